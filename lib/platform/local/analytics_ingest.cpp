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

// An open-addressing set of 64-bit keys (event id keys): 8 bytes a slot, at most half full.
class KeySet {
 public:
  KeySet() { m_slots.assign(1 << 16, 0); }
  void reserve(size_t count) {
    size_t wanted = 1 << 16;
    while (wanted < count * 2)
      wanted <<= 1;
    if (wanted > m_slots.size())
      rehash(wanted);
  }
  // False when the key is there already.
  bool insert(uint64_t key) {
    if (key == 0)
      key = 1;  // 0 marks an empty slot
    if ((m_size + 1) * 2 > m_slots.size())
      rehash(m_slots.size() * 2);
    size_t mask = m_slots.size() - 1;
    for (size_t i = key & mask;; i = (i + 1) & mask) {
      if (m_slots[i] == key)
        return false;
      if (m_slots[i] == 0) {
        m_slots[i] = key;
        ++m_size;
        return true;
      }
    }
  }

 private:
  void rehash(size_t capacity) {
    std::vector<uint64_t> old(capacity, 0);
    old.swap(m_slots);
    size_t mask = m_slots.size() - 1;
    for (uint64_t key : old) {
      if (key == 0)
        continue;
      size_t i = key & mask;
      while (m_slots[i] != 0)
        i = (i + 1) & mask;
      m_slots[i] = key;
    }
  }
  std::vector<uint64_t> m_slots;
  size_t m_size = 0;
};

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
                       Dictionary(1), Dictionary(1), Dictionary(1), Dictionary(1), Dictionary(1)} {
  }

  IngestResult run() {
    fs::create_directories(m_folder);
    FileLock lock(m_folder / "MANIFEST");
    m_manifest = read_manifest(m_folder);
    remove_orphans();
    for (uint32_t d = 0; d < dictionary_count; ++d)
      m_dictionaries[d].load(m_folder / dictionary_file_name(d), m_manifest.dictionaries[d]);
    load_keys();

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

  void load_keys() {
    m_keys.reserve(m_manifest.events() + std::min<size_t>(m_request.batch_events, 1 << 22));
    std::vector<uint64_t> keys;
    for (const auto& info : m_manifest.segments) {
      throw_if_stop_requested();
      SegmentReader reader(segment_path(m_folder, info.number));
      reader.id_keys(keys);
      for (uint64_t key : keys)
        m_keys.insert(key);
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
      throw invalid_input("line " + std::to_string(line) + " of " + file + ": " + reason +
                              " (nothing was stored)",
                          file);
    Rejection rejection{file, line, reason};
    ++m_result.rejected;
    if (m_request.on_reject)
      m_request.on_reject(rejection);
    if (m_result.rejections.size() < max_listed_rejections)
      m_result.rejections.push_back(std::move(rejection));
  }

  void add(const Event& event) {
    uint64_t key = event_id_key(event.id);
    if (!m_keys.insert(key)) {
      ++m_result.duplicates;
      return;
    }
    uint32_t device = m_dictionaries[col_device].intern(event.device);
    auto& first_seen = m_manifest.first_seen;
    if (device == first_seen.size())
      first_seen.push_back(event.time);
    else
      first_seen[device] = std::min(first_seen[device], event.time);
    m_rows.time.push_back(event.time);
    m_rows.columns[col_device].push_back(device);
    m_rows.columns[col_user].push_back(m_dictionaries[col_user].intern(event.user));
    for (size_t d = 0; d < dimension_count; ++d) {
      uint32_t column = col_first_dimension + static_cast<uint32_t>(d);
      m_rows.columns[column].push_back(m_dictionaries[column].intern(event.dimensions[d]));
    }
    m_rows.properties.push_back(event.properties);
    m_rows.keys.push_back(key);
    ++m_result.ingested;
    if (m_rows.size() >= std::max<size_t>(m_request.batch_events, 1)) {
      flush();
      if (!m_request.strict)
        commit();
    }
  }

  // Writes the batch as a segment (not yet committed).
  void flush() {
    if (m_rows.size() == 0)
      return;
    throw_if_stop_requested();
    uint64_t number = m_manifest.next_segment++;
    fs::path file = segment_path(m_folder, number);
    m_uncommitted.files.push_back(file);
    m_manifest.segments.push_back(write_segment(file, m_rows, number));
    m_rows.clear();
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
  KeySet m_keys;
  SegmentRows m_rows;
  Uncommitted m_uncommitted;
  IngestResult m_result;
};

}  // namespace

IngestResult ingest(const fs::path& folder, const IngestRequest& request, ProgressSink& progress) {
  return Ingest(folder, request, progress).run();
}

}  // namespace mpaas::platform::local::analytics_store
