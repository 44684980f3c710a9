// The analytics store's files (docs/formats.md, "Analytics store"): the manifest, the
// append-only dictionaries and the columnar segments. Everything read back is checked
// (magic, version, sizes, zstd checksums), so a damaged file is refused, never trusted.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
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
constexpr uint32_t format_version = 1;
constexpr int compression_level = 3;
constexpr size_t segment_header_bytes = 8 + 4 + 4 + 8 + 8 + 4;
constexpr size_t column_entry_bytes = 4 + 4 + 8 + 8 + 8;

const char* const dictionary_files[dictionary_count] = {
    "dict-device", "dict-user",    "dict-platform", "dict-app_version", "dict-os_version",
    "dict-model",  "dict-region",  "dict-network",  "dict-channel",     "dict-event"};

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

std::string compress(const std::string& raw) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  ZSTD_CCtx* context = ZSTD_createCCtx();
  if (!context)
    throw failure("out of memory");
  ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, compression_level);
  ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1);
  size_t size = ZSTD_compress2(context, out.data(), out.size(), raw.data(), raw.size());
  ZSTD_freeCCtx(context);
  if (ZSTD_isError(size))
    throw failure(std::string("zstd: ") + ZSTD_getErrorName(size));
  out.resize(size);
  return out;
}

void decompress(std::string_view stored, uint64_t raw_size, std::string& out,
                const std::string& file) {
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

uint32_t width_for(const std::vector<uint32_t>& values) {
  uint32_t largest = values.empty() ? 0 : *std::max_element(values.begin(), values.end());
  return largest < 0x100 ? 1 : largest < 0x10000 ? 2 : 4;
}

}  // namespace

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
  if (in.u32() != format_version)
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
  put_u32(body, format_version);
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
    m_committed = 0;
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
  m_committed = m_values.size();
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
  bool ok = ::ftruncate(fd, static_cast<off_t>(info.bytes + bytes.size())) == 0 &&
            ::fdatasync(fd) == 0;
  ::close(fd);
  if (!ok)
    throw failure("cannot write " + file.string(), file.string());
  info.bytes += bytes.size();
  info.entries = static_cast<uint32_t>(m_values.size());
  m_committed = m_values.size();
}

// ---- segments ----

void SegmentRows::clear() {
  time.clear();
  for (auto& column : columns)
    column.clear();
  properties.clear();
  keys.clear();
}

SegmentInfo write_segment(const fs::path& file, SegmentRows& rows, uint64_t number) {
  const size_t n = rows.size();
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return rows.time[a] < rows.time[b]; });
  struct Built {
    uint32_t id, width;
    std::string raw;
  };
  std::vector<Built> built;
  {
    std::string raw;
    int64_t previous = 0;
    for (uint32_t i : order) {
      put_varint(raw, static_cast<uint64_t>(rows.time[i] - previous));
      previous = rows.time[i];
    }
    built.push_back({col_time, 0, std::move(raw)});
  }
  for (uint32_t c = 0; c < dictionary_count; ++c) {
    const auto& column = rows.columns[c];
    uint32_t width = width_for(column);
    std::string raw;
    raw.reserve(n * width);
    for (uint32_t i : order) {
      uint32_t value = column[i];
      for (uint32_t b = 0; b < width; ++b)
        raw += static_cast<char>((value >> (8 * b)) & 0xFF);
    }
    built.push_back({c, width, std::move(raw)});
  }
  {
    std::string raw;
    for (uint32_t i : order) {
      put_varint(raw, rows.properties[i].size());
      raw += rows.properties[i];
    }
    built.push_back({col_properties, 0, std::move(raw)});
  }
  {
    std::vector<uint64_t> keys = rows.keys;
    std::sort(keys.begin(), keys.end());
    std::string raw;
    raw.reserve(keys.size() * 8);
    for (uint64_t key : keys)
      put_u64(raw, key);
    built.push_back({col_ids, 8, std::move(raw)});
  }
  {
    // Events per (UTC hour, event name), in time order: launches and crashes over periods
    // that start on whole UTC hours are summed from these without decoding a row.
    std::string raw;
    int64_t previous_hour = 0;
    size_t i = 0;
    std::vector<uint64_t> per_event;
    while (i < n) {
      int64_t hour = rows.time[order[i]] / 3600000;
      per_event.clear();
      for (; i < n && rows.time[order[i]] / 3600000 == hour; ++i) {
        uint32_t event = rows.columns[col_event][order[i]];
        if (event >= per_event.size())
          per_event.resize(event + 1, 0);
        ++per_event[event];
      }
      for (uint32_t event = 0; event < per_event.size(); ++event) {
        if (per_event[event] == 0)
          continue;
        put_varint(raw, static_cast<uint64_t>(hour - previous_hour));
        put_varint(raw, event);
        put_varint(raw, per_event[event]);
        previous_hour = hour;
      }
    }
    built.push_back({col_hourly, 0, std::move(raw)});
  }
  SegmentInfo info;
  info.number = number;
  info.events = static_cast<uint32_t>(n);
  info.min_time = n ? rows.time[order.front()] : 0;
  info.max_time = n ? rows.time[order.back()] : 0;
  std::string header(segment_magic, 8);
  put_u32(header, format_version);
  put_u32(header, info.events);
  put_u64(header, static_cast<uint64_t>(info.min_time));
  put_u64(header, static_cast<uint64_t>(info.max_time));
  put_u32(header, static_cast<uint32_t>(built.size()));
  std::vector<std::string> frames;
  uint64_t offset = segment_header_bytes + built.size() * column_entry_bytes;
  for (auto& column : built) {
    frames.push_back(compress(column.raw));
    put_u32(header, column.id);
    put_u32(header, column.width);
    put_u64(header, offset);
    put_u64(header, frames.back().size());
    put_u64(header, column.raw.size());
    offset += frames.back().size();
    std::string().swap(column.raw);
  }
  AtomicFile out(file, 0644, Durability::synced);
  out.write(header);
  for (const auto& frame : frames)
    out.write(frame);
  out.commit();
  info.bytes = offset;
  return info;
}

SegmentReader::SegmentReader(const fs::path& file) : m_file(file) {
  std::string name = file.string();
  m_fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (m_fd < 0)
    throw invalid_input("the analytics store is damaged: " + name + " is missing", name);
  struct stat info {};
  ::fstat(m_fd, &info);
  m_size = static_cast<uint64_t>(info.st_size);
  std::string head(segment_header_bytes + column_count * column_entry_bytes, '\0');
  ssize_t got = ::pread(m_fd, head.data(), head.size(), 0);
  head.resize(got > 0 ? static_cast<size_t>(got) : 0);
  Cursor in(head, name);
  if (in.bytes(8) != std::string_view(segment_magic, 8))
    throw in.corrupt();
  if (in.u32() != format_version)
    throw failure("the analytics segment " + name + " was written by a newer mpaas", name);
  m_events = in.u32();
  in.i64();
  in.i64();
  uint32_t columns = in.u32();
  if (columns > column_count)
    throw in.corrupt();
  for (uint32_t i = 0; i < columns; ++i) {
    uint32_t id = in.u32();
    Entry entry;
    entry.width = in.u32();
    entry.offset = in.u64();
    entry.stored = in.u64();
    entry.raw = in.u64();
    entry.present = true;
    bool fits = id < column_count && entry.offset <= m_size && entry.stored <= m_size - entry.offset;
    bool sized = true;
    if (id < dictionary_count)
      sized = (entry.width == 1 || entry.width == 2 || entry.width == 4) &&
              entry.raw == uint64_t(m_events) * entry.width;
    else if (id == col_time)
      sized = entry.raw <= uint64_t(m_events) * 10;
    else if (id == col_properties)
      sized = entry.raw <= uint64_t(m_events) * (max_properties_bytes + 2);
    else if (id == col_ids)
      sized = entry.raw == uint64_t(m_events) * 8;
    else if (id == col_hourly)
      sized = entry.raw <= uint64_t(m_events) * 30;
    if (!fits || !sized)
      throw in.corrupt();
    m_entries[id] = entry;
  }
}

SegmentReader::~SegmentReader() {
  if (m_fd >= 0)
    ::close(m_fd);
}

// Decoded columns are read through one scratch buffer per thread, so that a query over many
// segments does not map and fault in fresh megabytes for every column of every segment.
std::string& scratch() {
  thread_local std::string buffer;
  return buffer;
}

void SegmentReader::raw_column(uint32_t column, std::string& out) {
  const Entry& entry = m_entries[column];
  std::string name = m_file.string();
  if (!entry.present)
    throw invalid_input("the analytics store is damaged: " + name + " misses a column", name);
  thread_local std::string compressed;
  compressed.resize(entry.stored);
  size_t done = 0;
  while (done < entry.stored) {
    ssize_t got = ::pread(m_fd, compressed.data() + done, entry.stored - done,
                          static_cast<off_t>(entry.offset + done));
    if (got <= 0)
      throw invalid_input("the analytics store is damaged: " + name + " is truncated", name);
    done += static_cast<size_t>(got);
  }
  decompress(compressed, entry.raw, out, name);
}

void SegmentReader::times(std::vector<int64_t>& out) {
  std::string& raw = scratch();
  raw_column(col_time, raw);
  out.resize(m_events);
  const auto* p = reinterpret_cast<const uint8_t*>(raw.data());
  const auto* end = p + raw.size();
  int64_t value = 0;
  for (uint32_t i = 0; i < m_events; ++i) {
    uint64_t delta = 0;
    int shift = 0;
    while (true) {
      if (p >= end || shift > 63)
        throw Cursor(raw, m_file.string()).corrupt();
      uint8_t byte = *p++;
      delta |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0)
        break;
      shift += 7;
    }
    value += static_cast<int64_t>(delta);
    out[i] = value;
  }
  if (p != end)
    throw Cursor(raw, m_file.string()).corrupt();
}

void SegmentReader::ids(uint32_t column, std::vector<uint32_t>& out) {
  std::string& raw = scratch();
  raw_column(column, raw);
  uint32_t width = m_entries[column].width;
  out.resize(m_events);
  const auto* p = reinterpret_cast<const uint8_t*>(raw.data());
  if (width == 1) {
    for (uint32_t i = 0; i < m_events; ++i)
      out[i] = p[i];
  } else if (width == 2) {
    for (uint32_t i = 0; i < m_events; ++i)
      out[i] = static_cast<uint32_t>(p[2 * i] | (p[2 * i + 1] << 8));
  } else {
    std::memcpy(out.data(), p, size_t(m_events) * 4);  // little-endian hosts (x86-64, arm64)
  }
}

void SegmentReader::id_keys(std::vector<uint64_t>& out) {
  std::string& raw = scratch();
  raw_column(col_ids, raw);
  out.resize(m_events);
  std::memcpy(out.data(), raw.data(), size_t(m_events) * 8);
}

bool SegmentReader::hourly(std::vector<HourlyCount>& out) {
  out.clear();
  if (!m_entries[col_hourly].present)
    return false;
  std::string& raw = scratch();
  raw_column(col_hourly, raw);
  Cursor in(raw, m_file.string());
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

void SegmentReader::properties(std::vector<std::string>& out) {
  std::string& raw = scratch();
  raw_column(col_properties, raw);
  Cursor in(raw, m_file.string());
  out.clear();
  for (uint32_t i = 0; i < m_events; ++i) {
    uint64_t length = in.varint();
    out.emplace_back(in.bytes(length));
  }
}

}  // namespace mpaas::platform::local::analytics_store
