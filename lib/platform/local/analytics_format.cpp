// The analytics store's files (docs/formats.md, "Analytics store"): the manifest, the
// append-only dictionaries and the columnar segments. Everything read back is checked
// (magic, version, sizes, zstd checksums), so a damaged file is refused, never trusted.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numeric>

#include "analytics_store.hpp"
#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"

namespace mpaas::platform::local::analytics_store {
namespace {

constexpr char manifest_magic[8] = {'M', 'P', 'A', 'A', 'M', 'A', 'N', '1'};
constexpr char segment_magic[8] = {'M', 'P', 'A', 'A', 'S', 'E', 'G', '1'};
constexpr int compression_level = 3;
// Version 1 segments: one time-sorted run, a frame per column (still read).
constexpr size_t segment_v1_header_bytes = 8 + 4 + 4 + 8 + 8 + 4;
constexpr size_t column_entry_bytes = 4 + 4 + 8 + 8 + 8;
// Version 2 segments: runs per event name in chunks, a frame per column of each chunk.
constexpr uint32_t segment_version = 2;
constexpr size_t segment_v2_header_bytes = 8 + 4 + 4 + 8 + 8 + 4 + 4 + 4;
constexpr size_t run_entry_bytes = 4 + 4 + 8 + 8;
constexpr size_t chunk_entry_bytes = 4;
constexpr size_t frame_entry_bytes = 4 + 4 + 4 + 8 + 8 + 8;
constexpr uint32_t whole_segment = 0xFFFFFFFFu;  // the chunk of a segment-wide frame
// Runs of fewer rows share a chunk (up to about this many rows), so that a segment with many
// rare event names does not become thousands of tiny frames, while a query for one rare
// event still decodes only a few thousand rows per segment.
constexpr uint32_t chunk_min_rows = 4096;
// The columns of each chunk of a version 2 segment (the event column is implied by the runs).
constexpr uint32_t chunk_columns[] = {col_device,
                                      col_user,
                                      col_first_dimension + 0,
                                      col_first_dimension + 1,
                                      col_first_dimension + 2,
                                      col_first_dimension + 3,
                                      col_first_dimension + 4,
                                      col_first_dimension + 5,
                                      col_first_dimension + 6,
                                      col_time,
                                      col_properties};
static_assert(col_event == col_first_dimension + 7, "event is the last dimension");

const char* const dictionary_files[dictionary_count] = {
    "dict-device", "dict-user",   "dict-platform", "dict-app_version", "dict-os_version",
    "dict-model",  "dict-region", "dict-network",  "dict-channel",     "dict-event"};

void put_u32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i)
    out += static_cast<char>((value >> (8 * i)) & 0xFF);
}
void put_u64(std::string& out, uint64_t value) {
  for (int i = 0; i < 8; ++i)
    out += static_cast<char>((value >> (8 * i)) & 0xFF);
}
void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

// Reads little-endian numbers and varints from a byte string, refusing to run past its end.
class Cursor {
 public:
  Cursor(std::string_view data, std::string file) : m_data(data), m_file(std::move(file)) {}
  uint32_t u32() { return static_cast<uint32_t>(fixed(4)); }
  uint64_t u64() { return fixed(8); }
  int64_t i64() { return static_cast<int64_t>(fixed(8)); }
  uint64_t varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (m_pos >= m_data.size())
        throw corrupt();
      uint8_t byte = static_cast<uint8_t>(m_data[m_pos++]);
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0)
        return value;
    }
    throw corrupt();
  }
  std::string_view bytes(size_t count) {
    if (count > m_data.size() - m_pos)
      throw corrupt();
    auto view = m_data.substr(m_pos, count);
    m_pos += count;
    return view;
  }
  bool done() const { return m_pos == m_data.size(); }
  Error corrupt() const {
    return invalid_input("the analytics store is damaged: " + m_file + " is corrupt", m_file);
  }

 private:
  uint64_t fixed(int size) {
    auto view = bytes(static_cast<size_t>(size));
    uint64_t value = 0;
    for (int i = size - 1; i >= 0; --i)
      value = (value << 8) | static_cast<uint8_t>(view[static_cast<size_t>(i)]);
    return value;
  }
  std::string_view m_data;
  size_t m_pos = 0;
  std::string m_file;
};

// One compression context per thread: a segment has a frame per column of each chunk, and a
// fresh context for each would cost more than the compression of a small one.
struct CompressionContext {
  ZSTD_CCtx* context = ZSTD_createCCtx();
  ~CompressionContext() { ZSTD_freeCCtx(context); }
};

std::string compress(const std::string& raw) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  thread_local CompressionContext holder;
  ZSTD_CCtx* context = holder.context;
  if (!context)
    throw failure("out of memory");
  ZSTD_CCtx_reset(context, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, compression_level);
  ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1);
  size_t size = ZSTD_compress2(context, out.data(), out.size(), raw.data(), raw.size());
  if (ZSTD_isError(size))
    throw failure(std::string("zstd: ") + ZSTD_getErrorName(size));
  out.resize(size);
  return out;
}

template <class Buffer>
void decompress(std::string_view stored, uint64_t raw_size, Buffer& out, const std::string& file) {
  // Raw sizes are bounded by the checks of the caller (events times width), so a damaged
  // header cannot ask for an absurd allocation.
  out.resize(raw_size);
  size_t size = ZSTD_decompress(out.data(), out.size(), stored.data(), stored.size());
  if (ZSTD_isError(size) || size != raw_size)
    throw invalid_input("the analytics store is damaged: " + file + " is corrupt", file);
}

std::string read_whole(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw not_found("cannot read " + file.string(), file.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

void* allocate_buffer(size_t bytes) {
  constexpr size_t huge = size_t(2) << 20;
  if (bytes < huge / 2)
    return ::operator new(bytes);
  size_t rounded = (bytes + huge - 1) & ~(huge - 1);
  void* pointer = std::aligned_alloc(huge, rounded);
  if (!pointer)
    throw std::bad_alloc();
  ::madvise(pointer, rounded, MADV_HUGEPAGE);  // a hint: without it, ordinary pages
  return pointer;
}

void release_buffer(void* pointer, size_t bytes) {
  if (bytes < (size_t(1) << 20))
    ::operator delete(pointer);
  else
    std::free(pointer);
}

const char* dictionary_file_name(uint32_t dictionary) {
  return dictionary_files[dictionary];
}

uint64_t Manifest::events() const {
  uint64_t total = 0;
  for (const auto& segment : segments)
    total += segment.events;
  return total;
}

fs::path segment_path(const fs::path& folder, uint64_t number) {
  return folder / ("seg-" + std::to_string(number) + ".seg");
}

// ---- manifest ----

Manifest read_manifest(const fs::path& folder) {
  Manifest manifest;
  fs::path file = folder / "MANIFEST";
  std::error_code ec;
  if (!fs::exists(file, ec))
    return manifest;
  std::string bytes = read_whole(file);
  std::string name = file.string();
  Cursor head(bytes, name);
  if (head.bytes(8) != std::string_view(manifest_magic, 8))
    throw head.corrupt();
  uint64_t raw_size = head.u64();
  if (raw_size > (uint64_t(1) << 36))
    throw head.corrupt();
  std::string body;
  decompress(std::string_view(bytes).substr(16), raw_size, body, name);
  Cursor in(body, name);
  // Version 1 has the same manifest; only its segments differ, and both kinds are read.
  uint32_t version = in.u32();
  if (version == 0)
    throw in.corrupt();
  if (version > manifest_version)
    throw failure("the analytics store " + name + " was written by a newer mpaas", name);
  manifest.generation = in.u64();
  manifest.next_segment = in.u64();
  for (auto& dictionary : manifest.dictionaries) {
    dictionary.entries = in.u32();
    dictionary.bytes = in.u64();
  }
  uint32_t segments = in.u32();
  if (segments > 10000000)
    throw in.corrupt();
  for (uint32_t i = 0; i < segments; ++i) {
    SegmentInfo info;
    info.number = in.u64();
    info.events = in.u32();
    info.min_time = in.i64();
    info.max_time = in.i64();
    info.bytes = in.u64();
    if (info.number >= manifest.next_segment || info.min_time > info.max_time)
      throw in.corrupt();
    manifest.segments.push_back(info);
  }
  uint32_t devices = in.u32();
  if (devices != manifest.dictionaries[col_device].entries)
    throw in.corrupt();
  auto view = in.bytes(static_cast<size_t>(devices) * 8);
  manifest.first_seen.resize(devices);
  std::memcpy(manifest.first_seen.data(), view.data(), view.size());
  if (!in.done())
    throw in.corrupt();
  return manifest;
}

void write_manifest(const fs::path& folder, const Manifest& manifest) {
  std::string body;
  put_u32(body, manifest_version);
  put_u64(body, manifest.generation);
  put_u64(body, manifest.next_segment);
  for (const auto& dictionary : manifest.dictionaries) {
    put_u32(body, dictionary.entries);
    put_u64(body, dictionary.bytes);
  }
  put_u32(body, static_cast<uint32_t>(manifest.segments.size()));
  for (const auto& info : manifest.segments) {
    put_u64(body, info.number);
    put_u32(body, info.events);
    put_u64(body, static_cast<uint64_t>(info.min_time));
    put_u64(body, static_cast<uint64_t>(info.max_time));
    put_u64(body, info.bytes);
  }
  put_u32(body, static_cast<uint32_t>(manifest.first_seen.size()));
  body.append(reinterpret_cast<const char*>(manifest.first_seen.data()),
              manifest.first_seen.size() * 8);
  std::string bytes(manifest_magic, 8);
  put_u64(bytes, body.size());
  bytes += compress(body);
  AtomicFile out(folder / "MANIFEST", 0644, Durability::synced);
  out.write(bytes);
  out.commit();
}

// ---- dictionaries ----

void Dictionary::load(const fs::path& file, const DictionaryInfo& info) {
  m_values.clear();
  m_ids.clear();
  m_indexed = false;
  if (info.entries == 0) {
    m_committed = m_batch_start = 0;
    return;
  }
  std::string name = file.string();
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw invalid_input("the analytics store is damaged: " + name + " is missing", name);
  std::string bytes(info.bytes, '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t got = ::pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (got <= 0)
      break;
    done += static_cast<size_t>(got);
  }
  ::close(fd);
  Cursor in(bytes, name);
  if (done != bytes.size())
    throw in.corrupt();
  m_values.reserve(info.entries);
  for (uint32_t i = 0; i < info.entries; ++i) {
    uint64_t length = in.varint();
    m_values.emplace_back(in.bytes(length));
  }
  if (!in.done())
    throw in.corrupt();
  m_committed = m_batch_start = m_values.size();
}

void Dictionary::index_all() {
  m_ids.reserve(m_values.size() * 2);
  for (size_t i = 0; i < m_values.size(); ++i)
    m_ids.emplace(m_values[i], static_cast<uint32_t>(i) + m_base);
  m_indexed = true;
}

int64_t Dictionary::find(const std::string& value) const {
  if (m_base == 1 && value.empty())
    return 0;
  for (size_t i = 0; i < m_values.size(); ++i) {
    if (m_values[i] == value)
      return static_cast<int64_t>(i) + m_base;
  }
  return -1;
}

uint32_t Dictionary::intern(const std::string& value) {
  if (m_base == 1 && value.empty())
    return 0;
  if (!m_indexed)
    index_all();
  auto [it, added] = m_ids.try_emplace(value, static_cast<uint32_t>(m_values.size()) + m_base);
  if (added) {
    if (m_values.size() >= 0xFFFFFFF0u)
      throw failure("too many distinct values in an analytics dictionary");
    m_values.push_back(value);
  }
  return it->second;
}

void Dictionary::end_batch(std::vector<uint32_t>& column) {
  const size_t added = m_values.size() - m_batch_start;
  if (added == 0)
    return;
  const auto first_id = static_cast<uint32_t>(m_batch_start + m_base);
  constexpr uint32_t unused = 0xFFFFFFFFu;
  std::vector<uint32_t> renumbered(added, unused);
  uint32_t next = first_id;
  for (auto& id : column) {
    if (id < first_id)
      continue;
    auto& to = renumbered[id - first_id];
    if (to == unused)
      to = next++;
    id = to;
  }
  bool same = next - first_id == added;
  for (size_t k = 0; same && k < added; ++k)
    same = renumbered[k] == first_id + k;
  if (same)
    return;
  std::vector<std::string> kept(next - first_id);
  for (size_t k = 0; k < added; ++k) {
    std::string& value = m_values[m_batch_start + k];
    if (renumbered[k] == unused) {
      if (m_indexed)
        m_ids.erase(value);
      continue;
    }
    if (m_indexed)
      m_ids[value] = renumbered[k];
    kept[renumbered[k] - first_id] = std::move(value);
  }
  m_values.resize(m_batch_start);
  for (auto& value : kept)
    m_values.push_back(std::move(value));
}

void Dictionary::append_new(const fs::path& file, DictionaryInfo& info) {
  if (m_committed == m_values.size())
    return;
  std::string bytes;
  for (size_t i = m_committed; i < m_values.size(); ++i) {
    put_varint(bytes, m_values[i].size());
    bytes += m_values[i];
  }
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    throw failure("cannot write " + file.string(), file.string());
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t wrote = ::pwrite(fd, bytes.data() + done, bytes.size() - done,
                             static_cast<off_t>(info.bytes + done));
    if (wrote <= 0) {
      ::close(fd);
      throw failure("cannot write " + file.string(), file.string());
    }
    done += static_cast<size_t>(wrote);
  }
  bool ok =
      ::ftruncate(fd, static_cast<off_t>(info.bytes + bytes.size())) == 0 && ::fdatasync(fd) == 0;
  ::close(fd);
  if (!ok)
    throw failure("cannot write " + file.string(), file.string());
  info.bytes += bytes.size();
  info.entries = static_cast<uint32_t>(m_values.size());
  m_committed = m_values.size();
}

// ---- segments ----

void SegmentRows::keep_only(const std::vector<uint8_t>& keep) {
  size_t out = 0;
  uint64_t bytes_out = 0, start = 0;
  for (size_t i = 0; i < size(); ++i) {
    uint64_t end = property_end[i];
    if (keep[i]) {
      time[out] = time[i];
      for (auto& column : columns)
        column[out] = column[i];
      keys[out] = keys[i];
      if (bytes_out != start)
        std::memmove(property_bytes.data() + bytes_out, property_bytes.data() + start, end - start);
      bytes_out += end - start;
      property_end[out] = bytes_out;
      ++out;
    }
    start = end;
  }
  time.resize(out);
  for (auto& column : columns)
    column.resize(out);
  keys.resize(out);
  property_end.resize(out);
  property_bytes.resize(bytes_out);
}

void SegmentRows::clear() {
  time.clear();
  for (auto& column : columns)
    column.clear();
  property_bytes.clear();
  property_end.clear();
  keys.clear();
}

namespace {

struct Frame {
  uint32_t chunk, column, width;
  std::string stored;
  uint64_t raw;
};

// The order a segment stores its rows in: by event id, then time (ties in input order).
std::vector<uint32_t> storage_order(const SegmentRows& rows) {
  struct Key {
    uint32_t event;
    uint32_t row;
    int64_t time;
  };
  const auto& events = rows.columns[col_event];
  std::vector<Key> keys(rows.size());
  for (uint32_t i = 0; i < keys.size(); ++i)
    keys[i] = Key{events[i], i, rows.time[i]};
  std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
    if (a.event != b.event)
      return a.event < b.event;
    if (a.time != b.time)
      return a.time < b.time;
    return a.row < b.row;
  });
  std::vector<uint32_t> order(keys.size());
  for (size_t i = 0; i < keys.size(); ++i)
    order[i] = keys[i].row;
  return order;
}

// Runs of the ordered rows, and chunks of runs: a run of chunk_min_rows or more is a chunk of
// its own; smaller runs share one until it holds chunk_min_rows.
void plan_runs(const SegmentRows& rows, const std::vector<uint32_t>& order, std::vector<Run>& runs,
               std::vector<Chunk>& chunks) {
  const auto& events = rows.columns[col_event];
  for (uint32_t i = 0; i < order.size(); ++i) {
    uint32_t event = events[order[i]];
    int64_t time = rows.time[order[i]];
    if (runs.empty() || runs.back().event != event)
      runs.push_back(Run{event, i, 0, time, time});
    ++runs.back().rows;
    runs.back().max_time = time;
  }
  bool open = false;
  for (uint32_t r = 0; r < runs.size(); ++r) {
    const Run& run = runs[r];
    if (run.rows >= chunk_min_rows || !open) {
      chunks.push_back(Chunk{r, 0, run.first_row, 0});
      open = run.rows < chunk_min_rows;
    }
    Chunk& chunk = chunks.back();
    ++chunk.runs;
    chunk.rows += run.rows;
    if (chunk.rows >= chunk_min_rows)
      open = false;
  }
}

std::string hourly_column(const SegmentRows& rows, const std::vector<uint32_t>& order,
                          const std::vector<Run>& runs) {
  // Events per (UTC hour, event name), sorted by hour: launches and crashes over periods that
  // start on whole UTC hours are summed from these without decoding a row.
  struct Count {
    int64_t hour;
    uint32_t event;
    uint64_t count;
  };
  std::vector<Count> counts;
  for (const Run& run : runs) {
    for (uint32_t i = run.first_row; i < run.first_row + run.rows; ++i) {
      int64_t hour = rows.time[order[i]] / 3600000;
      if (i == run.first_row || counts.back().hour != hour)
        counts.push_back(Count{hour, run.event, 0});
      ++counts.back().count;
    }
  }
  std::sort(counts.begin(), counts.end(), [](const Count& a, const Count& b) {
    return a.hour != b.hour ? a.hour < b.hour : a.event < b.event;
  });
  std::string raw;
  int64_t previous_hour = 0;
  for (const Count& count : counts) {
    put_varint(raw, static_cast<uint64_t>(count.hour - previous_hour));
    put_varint(raw, count.event);
    put_varint(raw, count.count);
    previous_hour = count.hour;
  }
  return raw;
}

// The frames of one chunk's columns.
void chunk_frames(const SegmentRows& rows, const std::vector<uint32_t>& order,
                  const std::vector<Run>& runs, const Chunk& chunk, uint32_t number,
                  std::vector<Frame>& frames) {
  const uint32_t begin = chunk.first_row, end = chunk.first_row + chunk.rows;
  std::string raw;
  for (uint32_t column : chunk_columns) {
    raw.clear();
    uint32_t width = 0;
    if (column == col_time) {
      // Varint deltas, from each run's min_time: a run is sorted, so none is negative.
      for (uint32_t r = chunk.first_run; r < chunk.first_run + chunk.runs; ++r) {
        int64_t previous = runs[r].min_time;
        for (uint32_t i = runs[r].first_row; i < runs[r].first_row + runs[r].rows; ++i) {
          int64_t time = rows.time[order[i]];
          put_varint(raw, static_cast<uint64_t>(time - previous));
          previous = time;
        }
      }
    } else if (column == col_properties) {
      for (uint32_t i = begin; i < end; ++i) {
        auto properties = rows.properties(order[i]);
        put_varint(raw, properties.size());
        raw += properties;
      }
    } else {
      const auto& values = rows.columns[column];
      uint32_t largest = 0;
      for (uint32_t i = begin; i < end; ++i)
        largest = std::max(largest, values[order[i]]);
      width = largest < 0x100 ? 1 : largest < 0x10000 ? 2 : 4;
      raw.resize(size_t(chunk.rows) * width);
      auto* out = reinterpret_cast<uint8_t*>(raw.data());
      for (uint32_t i = begin; i < end; ++i) {
        uint32_t value = values[order[i]];
        for (uint32_t b = 0; b < width; ++b)
          *out++ = static_cast<uint8_t>(value >> (8 * b));
      }
    }
    frames.push_back(Frame{number, column, width, compress(raw), raw.size()});
  }
}

}  // namespace

SegmentInfo write_segment(const fs::path& file, const SegmentRows& rows, uint64_t number) {
  const size_t n = rows.size();
  if (n == 0 || n > 0xFFFFFFF0u)
    throw failure("cannot write an analytics segment of " + std::to_string(n) + " events");
  std::vector<uint32_t> order = storage_order(rows);
  std::vector<Run> runs;
  std::vector<Chunk> chunks;
  plan_runs(rows, order, runs, chunks);
  std::vector<Frame> frames;
  for (uint32_t c = 0; c < chunks.size(); ++c)
    chunk_frames(rows, order, runs, chunks[c], c, frames);
  {
    std::vector<uint64_t> keys = rows.keys;
    std::sort(keys.begin(), keys.end());
    std::string raw;
    raw.reserve(keys.size() * 8);
    for (uint64_t key : keys)
      put_u64(raw, key);
    frames.push_back(Frame{whole_segment, col_ids, 8, compress(raw), raw.size()});
  }
  {
    std::string raw = hourly_column(rows, order, runs);
    frames.push_back(Frame{whole_segment, col_hourly, 0, compress(raw), raw.size()});
  }
  SegmentInfo info;
  info.number = number;
  info.events = static_cast<uint32_t>(n);
  info.min_time = *std::min_element(rows.time.begin(), rows.time.end());
  info.max_time = *std::max_element(rows.time.begin(), rows.time.end());
  std::string header(segment_magic, 8);
  put_u32(header, segment_version);
  put_u32(header, info.events);
  put_u64(header, static_cast<uint64_t>(info.min_time));
  put_u64(header, static_cast<uint64_t>(info.max_time));
  put_u32(header, static_cast<uint32_t>(runs.size()));
  put_u32(header, static_cast<uint32_t>(chunks.size()));
  put_u32(header, static_cast<uint32_t>(frames.size()));
  for (const Run& run : runs) {
    put_u32(header, run.event);
    put_u32(header, run.rows);
    put_u64(header, static_cast<uint64_t>(run.min_time));
    put_u64(header, static_cast<uint64_t>(run.max_time));
  }
  for (const Chunk& chunk : chunks)
    put_u32(header, chunk.runs);
  uint64_t offset = header.size() + frames.size() * frame_entry_bytes;
  for (const Frame& frame : frames) {
    put_u32(header, frame.chunk);
    put_u32(header, frame.column);
    put_u32(header, frame.width);
    put_u64(header, offset);
    put_u64(header, frame.stored.size());
    put_u64(header, frame.raw);
    offset += frame.stored.size();
  }
  AtomicFile out(file, 0644, Durability::synced);
  out.write(header);
  for (const Frame& frame : frames)
    out.write(frame.stored);
  out.commit();
  info.bytes = offset;
  return info;
}

Error SegmentReader::corrupt() const {
  std::string name = m_file.string();
  return invalid_input("the analytics store is damaged: " + name + " is corrupt", name);
}

SegmentReader::SegmentReader(const fs::path& file) : m_file(file) {
  std::string name = file.string();
  m_fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (m_fd < 0)
    throw invalid_input("the analytics store is damaged: " + name + " is missing", name);
  struct stat info {};
  ::fstat(m_fd, &info);
  m_size = static_cast<uint64_t>(info.st_size);
  std::string head(segment_v1_header_bytes + column_count * column_entry_bytes, '\0');
  ssize_t got = ::pread(m_fd, head.data(), head.size(), 0);
  head.resize(got > 0 ? static_cast<size_t>(got) : 0);
  Cursor in(head, name);
  if (in.bytes(8) != std::string_view(segment_magic, 8))
    throw corrupt();
  m_version = in.u32();
  if (m_version == 1)
    read_header_v1(head);
  else if (m_version == segment_version)
    read_header_v2();
  else if (m_version > segment_version)
    throw failure("the analytics segment " + name + " was written by a newer mpaas", name);
  else
    throw corrupt();
}

// Refuses an entry that does not fit the file, or whose raw size cannot be that of `rows`
// rows of its column (raw sizes bound what a read allocates).
void SegmentReader::check_entry(uint32_t column, const Entry& entry, uint64_t rows) const {
  bool fits = entry.offset <= m_size && entry.stored <= m_size - entry.offset;
  bool sized = true;
  if (column < dictionary_count)
    sized = (entry.width == 1 || entry.width == 2 || entry.width == 4) &&
            entry.raw == rows * entry.width;
  else if (column == col_time)
    sized = entry.raw <= rows * 10;
  else if (column == col_properties)
    sized = entry.raw <= rows * (max_properties_bytes + 2);
  else if (column == col_ids)
    sized = entry.raw == rows * 8;
  else if (column == col_hourly)
    sized = entry.raw <= rows * 30;
  if (!fits || !sized)
    throw corrupt();
}

void SegmentReader::read_header_v1(std::string_view head) {
  Cursor in(head.substr(12), m_file.string());
  m_events = in.u32();
  int64_t min_time = in.i64();
  int64_t max_time = in.i64();
  uint32_t columns = in.u32();
  if (columns > column_count)
    throw corrupt();
  m_entries.resize(1);
  for (uint32_t i = 0; i < columns; ++i) {
    uint32_t id = in.u32();
    Entry entry;
    entry.width = in.u32();
    entry.offset = in.u64();
    entry.stored = in.u64();
    entry.raw = in.u64();
    entry.present = true;
    if (id >= column_count)
      throw corrupt();
    check_entry(id, entry, m_events);
    if (id == col_ids)
      m_ids = entry;
    else if (id == col_hourly)
      m_hourly = entry;
    else
      m_entries[0][id] = entry;
  }
  // One chunk holding one time-sorted run of every event.
  m_runs.push_back(Run{mixed_event, 0, m_events, min_time, max_time});
  m_chunks.push_back(Chunk{0, 1, 0, m_events});
}

void SegmentReader::read_header_v2() {
  std::string fixed(segment_v2_header_bytes, '\0');
  if (::pread(m_fd, fixed.data(), fixed.size(), 0) != static_cast<ssize_t>(fixed.size()))
    throw corrupt();
  Cursor head(std::string_view(fixed).substr(12), m_file.string());
  m_events = head.u32();
  int64_t min_time = head.i64();
  int64_t max_time = head.i64();
  uint32_t run_count = head.u32();
  uint32_t chunk_count = head.u32();
  uint32_t frame_count = head.u32();
  // Counts are checked against each other and the file before anything is allocated.
  uint64_t bytes = segment_v2_header_bytes + uint64_t(run_count) * run_entry_bytes +
                   uint64_t(chunk_count) * chunk_entry_bytes +
                   uint64_t(frame_count) * frame_entry_bytes;
  if (m_events == 0 || run_count == 0 || run_count > m_events || chunk_count == 0 ||
      chunk_count > run_count || frame_count > uint64_t(chunk_count) * column_count + 2 ||
      bytes > m_size || min_time > max_time)
    throw corrupt();
  std::string rest(bytes - segment_v2_header_bytes, '\0');
  if (::pread(m_fd, rest.data(), rest.size(), segment_v2_header_bytes) !=
      static_cast<ssize_t>(rest.size()))
    throw corrupt();
  Cursor in(rest, m_file.string());
  uint64_t rows = 0;
  m_runs.reserve(run_count);
  for (uint32_t r = 0; r < run_count; ++r) {
    Run run;
    run.event = in.u32();
    run.rows = in.u32();
    run.min_time = in.i64();
    run.max_time = in.i64();
    run.first_row = static_cast<uint32_t>(rows);
    rows += run.rows;
    if (run.rows == 0 || rows > m_events || run.event == mixed_event ||
        (r > 0 && run.event <= m_runs.back().event) || run.min_time > run.max_time ||
        run.min_time < min_time || run.max_time > max_time)
      throw corrupt();
    m_runs.push_back(run);
  }
  if (rows != m_events)
    throw corrupt();
  uint32_t runs = 0;
  m_chunks.reserve(chunk_count);
  for (uint32_t c = 0; c < chunk_count; ++c) {
    Chunk chunk;
    chunk.first_run = runs;
    chunk.runs = in.u32();
    if (chunk.runs == 0 || chunk.runs > run_count - runs)
      throw corrupt();
    runs += chunk.runs;
    chunk.first_row = m_runs[chunk.first_run].first_row;
    const Run& last = m_runs[chunk.first_run + chunk.runs - 1];
    chunk.rows = last.first_row + last.rows - chunk.first_row;
    m_chunks.push_back(chunk);
  }
  if (runs != run_count)
    throw corrupt();
  m_entries.resize(chunk_count);
  for (uint32_t f = 0; f < frame_count; ++f) {
    uint32_t chunk = in.u32();
    uint32_t column = in.u32();
    Entry entry;
    entry.width = in.u32();
    entry.offset = in.u64();
    entry.stored = in.u64();
    entry.raw = in.u64();
    entry.present = true;
    if (column >= column_count)
      throw corrupt();
    Entry* slot = nullptr;
    if (chunk == whole_segment) {
      slot = column == col_ids ? &m_ids : column == col_hourly ? &m_hourly : nullptr;
      if (slot)
        check_entry(column, entry, m_events);
    } else if (chunk < chunk_count && column != col_ids && column != col_hourly &&
               column != col_event) {
      slot = &m_entries[chunk][column];
      check_entry(column, entry, m_chunks[chunk].rows);
    }
    if (!slot || slot->present)
      throw corrupt();
    *slot = entry;
  }
}

SegmentReader::~SegmentReader() {
  if (m_fd >= 0)
    ::close(m_fd);
}

const SegmentReader::Entry& SegmentReader::entry(uint32_t chunk, uint32_t column) const {
  const Entry& found = m_entries.at(chunk)[column];
  if (!found.present) {
    std::string name = m_file.string();
    throw invalid_input("the analytics store is damaged: " + name + " misses a column", name);
  }
  return found;
}

// Decoded columns are read through one scratch buffer per thread, so that a query over many
// segments does not map and fault in fresh megabytes for every column of every segment.
Values<char>& scratch() {
  thread_local Values<char> buffer;
  return buffer;
}

void SegmentReader::raw_column(const Entry& entry, Values<char>& out) {
  std::string name = m_file.string();
  if (!entry.present)
    throw invalid_input("the analytics store is damaged: " + name + " misses a column", name);
  thread_local Values<char> compressed;
  compressed.resize(entry.stored);
  size_t done = 0;
  while (done < entry.stored) {
    ssize_t got = ::pread(m_fd, compressed.data() + done, entry.stored - done,
                          static_cast<off_t>(entry.offset + done));
    if (got <= 0)
      throw invalid_input("the analytics store is damaged: " + name + " is truncated", name);
    done += static_cast<size_t>(got);
  }
  decompress(std::string_view(compressed.data(), compressed.size()), entry.raw, out, name);
}

namespace {

// Reads a varint from [p, end); false when it runs past the end or past 64 bits.
inline bool next_varint(const uint8_t*& p, const uint8_t* end, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p >= end)
      return false;
    uint8_t byte = *p++;
    value |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0)
      return true;
  }
  return false;
}

}  // namespace

void SegmentReader::times(uint32_t chunk, Values<int64_t>& out) {
  const Chunk& info = m_chunks.at(chunk);
  Values<char>& raw = scratch();
  raw_column(entry(chunk, col_time), raw);
  out.resize(info.rows);
  const auto* p = reinterpret_cast<const uint8_t*>(raw.data());
  const auto* end = p + raw.size();
  size_t at = 0;
  for (uint32_t r = info.first_run; r < info.first_run + info.runs; ++r) {
    const Run& run = m_runs[r];
    // Version 1 counts from 0, version 2 from the run's first time; a time past the run's
    // last is a damaged file (checked without overflowing).
    uint64_t value = m_version == 1 ? 0 : static_cast<uint64_t>(run.min_time);
    uint64_t limit = static_cast<uint64_t>(run.max_time);
    for (uint32_t i = 0; i < run.rows; ++i) {
      uint64_t delta;
      if (!next_varint(p, end, delta))
        throw corrupt();
      if (m_version != 1 && delta > limit - value)
        throw corrupt();
      value += delta;
      out[at++] = static_cast<int64_t>(value);
    }
  }
  if (p != end)
    throw corrupt();
}

void SegmentReader::ids(uint32_t chunk, uint32_t column, Values<uint32_t>& out) {
  const Chunk& info = m_chunks.at(chunk);
  out.resize(info.rows);
  if (column == col_event && m_version != 1) {
    size_t at = 0;
    for (uint32_t r = info.first_run; r < info.first_run + info.runs; ++r) {
      std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(at), m_runs[r].rows, m_runs[r].event);
      at += m_runs[r].rows;
    }
    return;
  }
  const Entry& found = entry(chunk, column);
  Values<char>& raw = scratch();
  raw_column(found, raw);
  const auto* p = reinterpret_cast<const uint8_t*>(raw.data());
  const uint32_t rows = info.rows;
  if (found.width == 1) {
    for (uint32_t i = 0; i < rows; ++i)
      out[i] = p[i];
  } else if (found.width == 2) {
    for (uint32_t i = 0; i < rows; ++i)
      out[i] = static_cast<uint32_t>(p[2 * i] | (p[2 * i + 1] << 8));
  } else {
    std::memcpy(out.data(), p, size_t(rows) * 4);  // little-endian hosts (x86-64, arm64)
  }
}

void SegmentReader::properties(uint32_t chunk, std::vector<std::string>& out) {
  const Chunk& info = m_chunks.at(chunk);
  Values<char>& raw = scratch();
  raw_column(entry(chunk, col_properties), raw);
  Cursor in(std::string_view(raw.data(), raw.size()), m_file.string());
  out.clear();
  for (uint32_t i = 0; i < info.rows; ++i) {
    uint64_t length = in.varint();
    out.emplace_back(in.bytes(length));
  }
}

void SegmentReader::for_each_key_block(const std::function<void(const uint64_t*, size_t)>& visit) {
  if (!m_ids.present)
    throw corrupt();
  // Streamed: a few hundred KiB whatever the segment's size.
  struct Stream {
    ZSTD_DCtx* context = ZSTD_createDCtx();
    ~Stream() { ZSTD_freeDCtx(context); }
  } stream;
  if (!stream.context)
    throw failure("out of memory");
  constexpr size_t in_size = 256 * 1024, block_keys = 32 * 1024;
  std::string input(in_size, '\0');
  std::vector<uint64_t> keys(block_keys);
  uint64_t read = 0, produced = 0;
  size_t pending = 0;  // bytes of keys[] filled
  uint64_t previous = 0;
  bool first = true, finished = false, wants_input = true;
  ZSTD_inBuffer in{input.data(), 0, 0};
  while (!finished) {
    if (in.pos == in.size && wants_input) {
      if (read == m_ids.stored)
        throw corrupt();  // the frame ended early
      size_t want = static_cast<size_t>(std::min<uint64_t>(in_size, m_ids.stored - read));
      ssize_t got = ::pread(m_fd, input.data(), want, static_cast<off_t>(m_ids.offset + read));
      if (got <= 0)
        throw corrupt();
      read += static_cast<uint64_t>(got);
      in = ZSTD_inBuffer{input.data(), static_cast<size_t>(got), 0};
    }
    ZSTD_outBuffer out{reinterpret_cast<char*>(keys.data()) + pending, block_keys * 8 - pending, 0};
    size_t status = ZSTD_decompressStream(stream.context, &out, &in);
    if (ZSTD_isError(status))
      throw corrupt();
    finished = status == 0;
    wants_input = out.pos < out.size;  // a full output may leave more for the next call
    produced += out.pos;
    if (produced > m_ids.raw)
      throw corrupt();
    pending += out.pos;
    size_t whole = pending / 8;
    if (whole == block_keys || (finished && whole > 0)) {
      for (size_t k = 0; k < whole; ++k) {
        if (!first && keys[k] <= previous)
          throw corrupt();  // the keys are a sorted set
        previous = keys[k];
        first = false;
      }
      visit(keys.data(), whole);
      size_t rest = pending - whole * 8;
      std::memmove(keys.data(), reinterpret_cast<char*>(keys.data()) + whole * 8, rest);
      pending = rest;
    }
  }
  if (produced != m_ids.raw || pending != 0)
    throw corrupt();
}

void SegmentReader::id_keys(std::vector<uint64_t>& out) {
  out.clear();
  out.reserve(m_events);
  for_each_key_block(
      [&](const uint64_t* keys, size_t count) { out.insert(out.end(), keys, keys + count); });
}

bool SegmentReader::hourly(std::vector<HourlyCount>& out) {
  out.clear();
  if (!m_hourly.present)
    return false;
  Values<char>& raw = scratch();
  raw_column(m_hourly, raw);
  Cursor in(std::string_view(raw.data(), raw.size()), m_file.string());
  int64_t hour = 0;
  uint64_t total = 0;
  while (!in.done()) {
    uint64_t delta = in.varint();
    uint64_t event = in.varint();
    uint64_t count = in.varint();
    total += count;
    if (delta > (uint64_t(1) << 40) || event > 0xFFFFFFFFu || total > m_events)
      throw in.corrupt();
    hour += static_cast<int64_t>(delta);
    out.push_back(HourlyCount{hour, static_cast<uint32_t>(event), count});
  }
  return true;
}

}  // namespace mpaas::platform::local::analytics_store
