// Reproducible, block-parallel ZIP writer (see zip_writer.hpp).
#include "mpaas/archive/zip_writer.hpp"
#include "mpaas/core/unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <ctime>
#include <vector>

#include "mpaas/archive/parallel_deflate.hpp"
#include "mpaas/core/error.hpp"

namespace mpaas::archive {
namespace {

constexpr size_t read_size = size_t{1} << 20;
constexpr uint64_t zip32_limit = 0xFFFFFFFFull;  // a 32-bit field holding this means ZIP64
constexpr uint32_t zip64_marker = 0xFFFFFFFFu;
constexpr uint16_t version_zip64 = 45;  // 4.5, needed to extract ZIP64 entries
constexpr uint16_t version_deflate = 20;

void put16(std::string& out, uint32_t value) {
  out.push_back(static_cast<char>(value & 0xff));
  out.push_back(static_cast<char>((value >> 8) & 0xff));
}
void put32(std::string& out, uint32_t value) {
  put16(out, value & 0xffff);
  put16(out, value >> 16);
}
void put64(std::string& out, uint64_t value) {
  put32(out, static_cast<uint32_t>(value));
  put32(out, static_cast<uint32_t>(value >> 32));
}
// A 32-bit field, or the marker that sends readers to the ZIP64 record.
uint32_t field32(uint64_t value, bool in_zip64) {
  return in_zip64 ? zip64_marker : static_cast<uint32_t>(value);
}

// DOS date and time of `mtime` read as UTC (so the bytes do not depend on the time zone);
// odd seconds round up, as Info-ZIP does.
std::pair<uint32_t, uint32_t> dos_date_time(int64_t mtime) {
  time_t seconds = static_cast<time_t>(mtime + (mtime & 1));
  struct tm utc {};
  gmtime_r(&seconds, &utc);
  if (utc.tm_year < 80)
    return {(0u << 9) | (1u << 5) | 1u, 0u};
  uint32_t date = (static_cast<uint32_t>(utc.tm_year - 80) << 9) |
                  (static_cast<uint32_t>(utc.tm_mon + 1) << 5) | static_cast<uint32_t>(utc.tm_mday);
  uint32_t time = (static_cast<uint32_t>(utc.tm_hour) << 11) |
                  (static_cast<uint32_t>(utc.tm_min) << 5) | static_cast<uint32_t>(utc.tm_sec / 2);
  return {date, time};
}

bool looks_like_text(std::string_view content) {
  for (unsigned char c : content) {
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t')
      return false;
  }
  return true;
}

// The Info-ZIP "ux" extra field (0x7875): version 1, then the uid and gid in 4 bytes each.
// Local and central headers carry the same bytes.
void append_unix_owner(std::string& out, uint32_t uid, uint32_t gid) {
  put16(out, 0x7875);
  put16(out, 11);
  out.push_back(1);
  out.push_back(4);
  put32(out, uid);
  out.push_back(4);
  put32(out, gid);
}

}  // namespace

std::string deflate_raw(std::string_view input) {
  z_stream stream{};
  if (deflateInit2(&stream, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw failure("cannot initialise deflate");
  std::string output(deflateBound(&stream, static_cast<uLong>(input.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = reinterpret_cast<Bytef*>(output.data());
  stream.avail_out = static_cast<uInt>(output.size());
  int status = deflate(&stream, Z_FINISH);
  output.resize(stream.total_out);
  deflateEnd(&stream);
  if (status != Z_STREAM_END)
    throw failure("deflate failed");
  return output;
}

ZipWriter::ZipWriter(int fd, ZipEntryOptions options, unsigned threads)
    : m_fd(fd), m_options(options), m_threads(threads == 0 ? 1 : threads) {}

void ZipWriter::write(const void* data, size_t size) {
  const char* cursor = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t done = ::write(m_fd, cursor, size);
    if (done <= 0)
      throw failure("cannot write the package (disk full?)");
    cursor += done;
    size -= static_cast<size_t>(done);
    m_offset += static_cast<uint64_t>(done);
  }
}

bool ZipWriter::needs_zip64(uint64_t size, uint64_t compressed_bound) const {
  return m_options.force_zip64 || size >= zip32_limit || compressed_bound >= zip32_limit;
}

// The fields that local and central headers share, from the flags to the name's length.
void ZipWriter::put_entry_fields(std::string& out, const Central& entry, uint32_t date,
                                 uint32_t time) {
  put16(out, 0);  // flags
  put16(out, 8);  // deflate
  put16(out, time);
  put16(out, date);
  put32(out, entry.crc);
  put32(out, field32(entry.compressed, entry.zip64));
  put32(out, field32(entry.size, entry.zip64));
  put16(out, static_cast<uint32_t>(entry.name.size()));
}

std::string ZipWriter::local_header(const Central& entry) const {
  auto [date, time] = dos_date_time(m_options.mtime);
  std::string out;
  put32(out, 0x04034b50);
  put16(out, entry.zip64 ? version_zip64 : version_deflate);
  put_entry_fields(out, entry, date, time);
  put16(out, entry.zip64 ? 48 : 28);
  out += entry.name;
  if (entry.zip64) {  // ZIP64 sizes; a local header carries both
    put16(out, 0x0001);
    put16(out, 16);
    put64(out, entry.size);
    put64(out, entry.compressed);
  }
  put16(out, 0x5455);  // extended timestamp: modification and access time
  put16(out, 9);
  out.push_back(3);
  put32(out, static_cast<uint32_t>(m_options.mtime));
  put32(out, static_cast<uint32_t>(m_options.mtime));
  append_unix_owner(out, m_options.uid, m_options.gid);
  return out;
}

void ZipWriter::patch_local_header(const Central& entry) {
  std::string header = local_header(entry);
  if (::pwrite(m_fd, header.data(), header.size(), static_cast<off_t>(entry.offset)) !=
      static_cast<ssize_t>(header.size())) {
    throw failure("cannot write the package");
  }
}

void ZipWriter::add(const std::string& name, std::string_view content) {
  Central entry;
  entry.name = name;
  entry.offset = m_offset;
  entry.size = content.size();
  entry.text = looks_like_text(content);
  std::string compressed = deflate_raw(content);
  entry.compressed = compressed.size();
  entry.zip64 = needs_zip64(entry.size, entry.compressed);
  entry.crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(content.data()), static_cast<uInt>(content.size())));
  std::string header = local_header(entry);
  write(header.data(), header.size());
  write(compressed.data(), compressed.size());
  m_entries.push_back(entry);
}

void ZipWriter::add_file(const std::string& name, const std::filesystem::path& file,
                         const std::function<void(uint64_t)>& on_bytes) {
  UniqueFd input = open_read_only(file);
  add_fd(name, input.get(), std::filesystem::file_size(file), on_bytes);
}

void ZipWriter::add_fd(const std::string& name, int fd, uint64_t size,
                       const std::function<void(uint64_t)>& on_bytes) {
  Central entry;
  entry.name = name;
  entry.offset = m_offset;
  // Decided before the data: the header is patched in place, so its length is fixed. The
  // bound covers deflate's worst case (stored blocks) with a wide margin.
  entry.zip64 = needs_zip64(size, size + size / 1024 + (uint64_t{1} << 20));
  std::string header = local_header(entry);  // patched once sizes and CRC are known
  write(header.data(), header.size());
  ParallelDeflater deflater([&](const void* data, size_t length) { write(data, length); },
                            m_threads);
  std::vector<char> buffer(read_size);
  uint64_t position = 0;
  while (position < size) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(size - position, buffer.size()));
    ssize_t got = ::pread(fd, buffer.data(), want, static_cast<off_t>(position));
    if (got <= 0)
      throw failure("the file changed while it was read (" + name + ")");
    deflater.write(buffer.data(), static_cast<size_t>(got));
    position += static_cast<uint64_t>(got);
    if (on_bytes)
      on_bytes(static_cast<uint64_t>(got));
  }
  auto totals = deflater.finish();
  entry.size = totals.size;
  entry.compressed = totals.compressed;
  entry.crc = totals.crc;
  if (!entry.zip64 && needs_zip64(entry.size, entry.compressed))
    throw failure("deflate grew the data beyond its bound (" + name + ")");
  patch_local_header(entry);
  m_entries.push_back(entry);
}

void ZipWriter::add_deflated(const std::string& name, const DeflateTotals& totals, int fd) {
  Central entry;
  entry.name = name;
  entry.offset = m_offset;
  entry.size = totals.size;
  entry.compressed = totals.compressed;
  entry.crc = totals.crc;
  entry.zip64 = needs_zip64(entry.size, entry.compressed);
  std::string header = local_header(entry);
  write(header.data(), header.size());
  std::vector<char> buffer(read_size);
  uint64_t position = 0;
  while (position < totals.compressed) {
    size_t want =
        static_cast<size_t>(std::min<uint64_t>(totals.compressed - position, buffer.size()));
    ssize_t got = ::pread(fd, buffer.data(), want, static_cast<off_t>(position));
    if (got <= 0)
      throw failure("cannot read the compressed data back (" + name + ")");
    write(buffer.data(), static_cast<size_t>(got));
    position += static_cast<uint64_t>(got);
  }
  m_entries.push_back(entry);
}

std::string ZipWriter::central_record(const Central& entry) const {
  auto [date, time] = dos_date_time(m_options.mtime);
  // The ZIP64 extra field holds, in this order, the fields whose 32-bit slot is the marker.
  bool offset64 = m_options.force_zip64 || entry.offset >= zip32_limit;
  std::string zip64;
  if (entry.zip64) {
    put64(zip64, entry.size);
    put64(zip64, entry.compressed);
  }
  if (offset64)
    put64(zip64, entry.offset);
  std::string out;
  put32(out, 0x02014b50);
  put16(out, 0x031e);  // made by Unix, version 3.0
  put16(out, zip64.empty() ? version_deflate : version_zip64);
  put_entry_fields(out, entry, date, time);
  put16(out, static_cast<uint32_t>(24 + (zip64.empty() ? 0 : 4 + zip64.size())));
  put16(out, 0);
  put16(out, 0);
  put16(out, entry.text ? 1 : 0);
  put32(out, (0100000u | m_options.mode) << 16);
  put32(out, field32(entry.offset, offset64));
  out += entry.name;
  if (!zip64.empty()) {
    put16(out, 0x0001);
    put16(out, static_cast<uint32_t>(zip64.size()));
    out += zip64;
  }
  put16(out, 0x5455);
  put16(out, 5);
  out.push_back(3);
  put32(out, static_cast<uint32_t>(m_options.mtime));
  append_unix_owner(out, m_options.uid, m_options.gid);
  return out;
}

void ZipWriter::finish() {
  std::string directory;
  for (const auto& entry : m_entries)
    directory += central_record(entry);
  uint64_t directory_offset = m_offset;
  write(directory.data(), directory.size());
  uint64_t count = m_entries.size();
  bool zip64 = m_options.force_zip64 || count >= 0xFFFF || directory.size() >= zip32_limit ||
               directory_offset >= zip32_limit;
  std::string end;
  if (zip64) {
    uint64_t record_offset = m_offset;
    put32(end, 0x06064b50);  // ZIP64 end of central directory record
    put64(end, 44);          // its size after this field
    put16(end, 0x031e);
    put16(end, version_zip64);
    put32(end, 0);
    put32(end, 0);
    put64(end, count);
    put64(end, count);
    put64(end, directory.size());
    put64(end, directory_offset);
    put32(end, 0x07064b50);  // ZIP64 end of central directory locator
    put32(end, 0);
    put64(end, record_offset);
    put32(end, 1);
  }
  put32(end, 0x06054b50);
  put16(end, 0);
  put16(end, 0);
  put16(end, zip64 ? 0xFFFF : static_cast<uint32_t>(count));
  put16(end, zip64 ? 0xFFFF : static_cast<uint32_t>(count));
  put32(end, field32(directory.size(), zip64));
  put32(end, field32(directory_offset, zip64));
  put16(end, 0);
  write(end.data(), end.size());
}

}  // namespace mpaas::archive
