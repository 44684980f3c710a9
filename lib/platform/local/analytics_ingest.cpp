// Ingest into the analytics store: events are read, refused or deduplicated, dictionary
// encoded into a batch, and each batch is written as one segment and committed by replacing
// the manifest. An interrupted ingest leaves the committed batches and nothing else (with
// --strict: nothing at all), because a segment or dictionary entry only counts once a
// manifest names it.
#include <algorithm>

#include "analytics_store.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/file_lock.hpp"
#include "mpaas/core/interrupt.hpp"

namespace mpaas::platform::local::analytics_store {
namespace {

bool is_orphan(const std::string& name, const Manifest& manifest) {
  if (name.rfind(".", 0) == 0 && name.find(".tmp-") != std::string::npos)
    return true;  // an AtomicFile temp left by a killed process
  if (name.rfind("seg-", 0) != 0 || name.size() < 9 || name.substr(name.size() - 4) != ".seg")
    return false;
  std::string digits = name.substr(4, name.size() - 8);
  if (digits.empty() || digits.size() > 19 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  uint64_t number = std::stoull(digits);
  return std::none_of(manifest.segments.begin(), manifest.segments.end(),
                      [&](const SegmentInfo& info) { return info.number == number; });
}

// Segments written by this run and not committed yet are removed when the run fails.
struct Uncommitted {
  std::vector<fs::path> files;
  ~Uncommitted() {
    std::error_code ec;
    for (const auto& file : files)
      fs::remove(file, ec);
  }
};

class Ingest {
 public:
  Ingest(const fs::path& folder, const IngestRequest& request, ProgressSink& progress)
      : m_folder(folder),
        m_request(request),
        m_progress(progress),
        m_dictionaries{Dictionary(0), Dictionary(1), Dictionary(1), Dictionary(1), Dictionary(1),
                       Dictionary(1), Dictionary(1), Dictionary(1), Dictionary(1), Dictionary(1)} {}

  IngestResult run() {
    fs::create_directories(m_folder);
    FileLock lock(m_folder / "MANIFEST");
    m_manifest = read_manifest(m_folder);
    remove_orphans();
    for (uint32_t d = 0; d < dictionary_count; ++d)
      m_dictionaries[d].load(m_folder / dictionary_file_name(d), m_manifest.dictionaries[d]);

    uint64_t total = 0;
    for (const auto& input : m_request.inputs)
      total = input.size == 0 || total == UINT64_MAX ? UINT64_MAX : total + input.size;
    m_progress.start("ingesting", total == UINT64_MAX ? 0 : total);
    for (const auto& input : m_request.inputs) {
      read_input(input);
      ++m_result.files;
    }
    flush();
    commit();
    m_progress.finish();
    m_result.app = m_request.app;
    m_result.events = m_manifest.events();
    m_result.devices = m_manifest.first_seen.size();
    return m_result;
  }

 private:
  void remove_orphans() {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(m_folder, ec)) {
      if (is_orphan(entry.path().filename().string(), m_manifest))
        fs::remove(entry.path(), ec);
    }
  }

  void read_input(const IngestInput& input) {
    auto format = input.format ? input.format : format_of_name(input.name);
    EventReader reader(*input.stream, input.name, format);
    Event event;
    LineError error;
    uint64_t reported = 0;
    uint64_t count = 0;
    while (true) {
      if ((++count & 255) == 0) {
        throw_if_stop_requested();
        m_progress.advance(reader.bytes_read() - reported);
        reported = reader.bytes_read();
      }
      auto status = reader.next(event, error);
      if (status == EventReader::Status::end)
        break;
      if (status == EventReader::Status::rejected) {
        reject(input.name, reader.line_number(), error.reason);
        continue;
      }
      add(event);
    }
    m_progress.advance(reader.bytes_read() - reported);
  }

  void reject(const std::string& file, uint64_t line, const std::string& reason) {
    if (m_request.strict)
      throw invalid_input(
          "line " + std::to_string(line) + " of " + file + ": " + reason + " (nothing was stored)",
          file);
    Rejection rejection{file, line, reason};
    ++m_result.rejected;
    if (m_request.on_reject)
      m_request.on_reject(rejection);
    if (m_result.rejections.size() < max_listed_rejections)
      m_result.rejections.push_back(std::move(rejection));
  }

  // Events are deduplicated a batch at a time (see `drop_duplicates`), so a batch holds
  // every event read, interned; duplicates leave it before it is written.
  void add(const Event& event) {
    uint32_t device = m_dictionaries[col_device].intern(event.device);
    m_rows.time.push_back(event.time);
    m_rows.columns[col_device].push_back(device);
    m_rows.columns[col_user].push_back(m_dictionaries[col_user].intern(event.user));
    for (size_t d = 0; d < dimension_count; ++d) {
      uint32_t column = col_first_dimension + static_cast<uint32_t>(d);
      m_rows.columns[column].push_back(m_dictionaries[column].intern(event.dimensions[d]));
    }
    m_rows.property_bytes += event.properties;
    m_rows.property_end.push_back(m_rows.property_bytes.size());
    m_rows.keys.push_back(event_id_key(event.id));
    if (m_rows.size() >= std::max<size_t>(m_request.batch_events, 1)) {
      flush();
      if (!m_request.strict)
        commit();
    }
  }

  // Marks the batch's events whose key was met before: earlier in the batch, or in a segment
  // of the store (committed, or written by this run). The batch's keys are sorted once, and
  // each segment's sorted keys are streamed past them, so the memory this takes is the
  // batch's (16 bytes an event) and a few hundred KiB, however large the store: no set of
  // every key the store holds.
  std::vector<uint8_t> drop_duplicates() {
    const size_t n = m_rows.size();
    std::vector<std::pair<uint64_t, uint32_t>> sorted(n);
    for (uint32_t i = 0; i < n; ++i)
      sorted[i] = {m_rows.keys[i], i};
    std::sort(sorted.begin(), sorted.end());
    std::vector<uint8_t> keep(n, 1);
    size_t unique = 0;
    for (size_t k = 0; k < n; ++k) {
      if (k > 0 && sorted[k].first == sorted[k - 1].first)
        keep[sorted[k].second] = 0;  // the first in the input stays
      else
        sorted[unique++] = sorted[k];
    }
    sorted.resize(unique);
    for (const auto& info : m_manifest.segments) {
      throw_if_stop_requested();
      SegmentReader reader(segment_path(m_folder, info.number));
      size_t next = 0;
      reader.for_each_key_block([&](const uint64_t* keys, size_t count) {
        for (size_t k = 0; k < count && next < sorted.size(); ++k) {
          while (next < sorted.size() && sorted[next].first < keys[k])
            ++next;
          if (next < sorted.size() && sorted[next].first == keys[k])
            keep[sorted[next++].second] = 0;
        }
      });
    }
    return keep;
  }

  // Writes the batch, without its duplicates, as a segment (not yet committed).
  void flush() {
    if (m_rows.size() == 0)
      return;
    throw_if_stop_requested();
    std::vector<uint8_t> keep = drop_duplicates();
    size_t kept = static_cast<size_t>(std::count(keep.begin(), keep.end(), 1));
    m_result.duplicates += m_rows.size() - kept;
    if (kept != m_rows.size())
      m_rows.keep_only(keep);
    // Values only duplicates used are forgotten, the others numbered as if interned alone.
    for (uint32_t d = 0; d < dictionary_count; ++d)
      m_dictionaries[d].end_batch(m_rows.columns[d]);
    auto& first_seen = m_manifest.first_seen;
    for (size_t i = 0; i < m_rows.size(); ++i) {
      uint32_t device = m_rows.columns[col_device][i];
      if (device == first_seen.size())
        first_seen.push_back(m_rows.time[i]);
      else
        first_seen[device] = std::min(first_seen[device], m_rows.time[i]);
    }
    m_result.ingested += m_rows.size();
    if (m_rows.size() > 0) {
      uint64_t number = m_manifest.next_segment++;
      fs::path file = segment_path(m_folder, number);
      m_uncommitted.files.push_back(file);
      m_manifest.segments.push_back(write_segment(file, m_rows, number));
    }
    m_rows.clear();
    for (auto& dictionary : m_dictionaries)
      dictionary.begin_batch();
  }

  // Makes the written segments and the new dictionary entries part of the store.
  void commit() {
    if (m_uncommitted.files.empty())
      return;
    for (uint32_t d = 0; d < dictionary_count; ++d)
      m_dictionaries[d].append_new(m_folder / dictionary_file_name(d), m_manifest.dictionaries[d]);
    ++m_manifest.generation;
    write_manifest(m_folder, m_manifest);
    m_uncommitted.files.clear();
    ++m_result.batches;
  }

  fs::path m_folder;
  const IngestRequest& m_request;
  ProgressSink& m_progress;
  Manifest m_manifest;
  Dictionary m_dictionaries[dictionary_count];
  SegmentRows m_rows;
  Uncommitted m_uncommitted;
  IngestResult m_result;
};

}  // namespace

IngestResult ingest(const fs::path& folder, const IngestRequest& request, ProgressSink& progress) {
  return Ingest(folder, request, progress).run();
}

}  // namespace mpaas::platform::local::analytics_store
