// Structure-checked ZIP reading (see zip_reader.hpp). Field layouts follow APPNOTE 6.3.10;
// section numbers are given where a rule comes from there.
#include "mpaas/archive/zip_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>

#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"

namespace mpaas::archive {
namespace {

constexpr uint32_t local_signature = 0x04034b50;
constexpr uint32_t central_signature = 0x02014b50;
constexpr uint32_t end_signature = 0x06054b50;
constexpr uint32_t zip64_end_signature = 0x06064b50;
constexpr uint32_t zip64_locator_signature = 0x07064b50;
constexpr uint32_t descriptor_signature = 0x08074b50;

constexpr size_t local_header_size = 30;
constexpr size_t central_header_size = 46;
constexpr size_t end_record_size = 22;
constexpr size_t zip64_locator_size = 20;
constexpr size_t zip64_end_size = 56;  // with no extensible data: "size of record" is 44

constexpr uint16_t marker16 = 0xFFFF;
constexpr uint32_t marker32 = 0xFFFFFFFF;
constexpr uint16_t zip64_extra_id = 0x0001;

// Flag bits that hide or scramble data: encryption (bit 0), strong encryption (bit 6),
// masked local header values (bit 13). None has a place in a package.
constexpr uint16_t refused_flags = 0x0001 | 0x0040 | 0x2000;
constexpr uint16_t descriptor_flag = 0x0008;

constexpr size_t chunk_size = size_t{1} << 16;

// Little-endian fields of a header read into memory; every access is bounds-checked.
class Fields {
 public:
  Fields(std::string bytes, const std::string& label) : m_bytes(std::move(bytes)), m_label(label) {}
  uint16_t u16(size_t at) const { return static_cast<uint16_t>(get(at, 2)); }
  uint32_t u32(size_t at) const { return static_cast<uint32_t>(get(at, 4)); }
  uint64_t u64(size_t at) const { return get(at, 8); }
  std::string_view slice(size_t at, size_t length) const {
    check(at, length);
    return std::string_view(m_bytes).substr(at, length);
  }
  size_t size() const { return m_bytes.size(); }

 private:
  void check(size_t at, size_t length) const {
    if (at > m_bytes.size() || length > m_bytes.size() - at)
      throw invalid_input("malformed zip: a header is cut short (" + m_label + ")", m_label);
  }
  uint64_t get(size_t at, size_t width) const {
    check(at, width);
    uint64_t value = 0;
    for (size_t i = width; i-- > 0;)
      value = (value << 8) | static_cast<unsigned char>(m_bytes[at + i]);
    return value;
  }
  std::string m_bytes;
  const std::string& m_label;
};

[[noreturn]] void refuse(const std::string& why, const std::string& label) {
  throw invalid_input("malformed zip: " + why + " (" + label + ")", label);
}

std::string read_bytes(const ByteSource& source, uint64_t offset, size_t length,
                       const std::string& label) {
  if (offset > source.size() || length > source.size() - offset)
    refuse("a header points past the end of the file", label);
  std::string bytes(length, '\0');
  source.read_at(offset, bytes.data(), length);
  return bytes;
}

// a + b, refusing overflow (offsets come from the file).
uint64_t add(uint64_t a, uint64_t b, const std::string& label) {
  if (b > UINT64_MAX - a)
    refuse("an offset overflows", label);
  return a + b;
}

// The extra fields of a header: each a 2-byte id and 2-byte length, filling the area
// exactly (4.5.1). Returns the ZIP64 field's data, if any; two ZIP64 fields are refused.
std::optional<std::string_view> zip64_extra(std::string_view extra, const std::string& label) {
  std::optional<std::string_view> found;
  size_t at = 0;
  while (at < extra.size()) {
    if (extra.size() - at < 4)
      refuse("an extra field is cut short", label);
    auto byte = [&](size_t i) { return static_cast<unsigned char>(extra[at + i]); };
    uint16_t id = static_cast<uint16_t>(byte(0) | (byte(1) << 8));
    size_t length = static_cast<size_t>(byte(2) | (byte(3) << 8));
    if (extra.size() - at - 4 < length)
      refuse("an extra field is cut short", label);
    if (id == zip64_extra_id) {
      if (found)
        refuse("two ZIP64 extra fields in one header", label);
      found = extra.substr(at + 4, length);
    }
    at += 4 + length;
  }
  return found;
}

// Reads the 64-bit values that replace marker fields, in the order APPNOTE 4.5.3 gives.
class Zip64Values {
 public:
  Zip64Values(std::optional<std::string_view> data, const std::string& label)
      : m_data(data), m_label(label) {}
  uint64_t resolve(uint64_t value32, bool is_marker) {
    if (!is_marker)
      return value32;
    if (!m_data || m_data->size() - m_used < 8)
      refuse("a ZIP64 value is missing from the extra field", m_label);
    uint64_t value = 0;
    for (size_t i = 8; i-- > 0;)
      value = (value << 8) | static_cast<unsigned char>((*m_data)[m_used + i]);
    m_used += 8;
    return value;
  }

 private:
  std::optional<std::string_view> m_data;
  size_t m_used = 0;
  const std::string& m_label;
};

struct Directory {
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t count = 0;
  uint64_t end = 0;  // where the end records start: the directory must end exactly here
};

// The end of central directory record, last in the file with no comment (4.3.16), and the
// ZIP64 end record and locator before it when present (4.3.14, 4.3.15).
Directory read_end_records(const ByteSource& source, const std::string& label) {
  uint64_t size = source.size();
  auto not_a_zip = [&]() { throw invalid_input("not a zip archive (" + label + ")", label); };
  if (size < end_record_size)
    not_a_zip();
  uint64_t end_offset = size - end_record_size;
  Fields end(read_bytes(source, end_offset, end_record_size, label), label);
  if (end.u32(0) != end_signature) {
    std::string head = read_bytes(source, 0, 4, label);
    if (Fields(head, label).u32(0) != local_signature)
      not_a_zip();
    refuse("the end of central directory record is not at the end of the file", label);
  }
  if (end.u16(20) != 0)
    refuse("an archive comment after the end record", label);
  uint16_t disk = end.u16(4), directory_disk = end.u16(6);
  uint16_t disk_count = end.u16(8), count = end.u16(10);
  uint32_t directory_size = end.u32(12), directory_offset = end.u32(16);
  if (disk != 0 || directory_disk != 0 || disk_count != count)
    refuse("a multi-disk archive", label);

  bool has_locator = false;
  if (end_offset >= zip64_locator_size) {
    Fields locator(read_bytes(source, end_offset - zip64_locator_size, zip64_locator_size, label),
                   label);
    has_locator = locator.u32(0) == zip64_locator_signature;
    if (has_locator) {
      uint64_t record_offset = locator.u64(8);
      if (locator.u32(4) != 0 || locator.u32(16) > 1)
        refuse("a multi-disk archive", label);
      if (record_offset != end_offset - zip64_locator_size - zip64_end_size)
        refuse("the ZIP64 end record is not right before its locator", label);
      Fields record(read_bytes(source, record_offset, zip64_end_size, label), label);
      if (record.u32(0) != zip64_end_signature || record.u64(4) != zip64_end_size - 12)
        refuse("a malformed ZIP64 end record", label);
      if (record.u32(16) != 0 || record.u32(20) != 0 || record.u64(24) != record.u64(32))
        refuse("a multi-disk archive", label);
      Directory directory{record.u64(48), record.u64(40), record.u64(32), record_offset};
      // The 32-bit copies must agree with the ZIP64 values or hold the marker.
      bool agree = (count == marker16 || count == directory.count) &&
                   (directory_size == marker32 || directory_size == directory.size) &&
                   (directory_offset == marker32 || directory_offset == directory.offset);
      if (!agree)
        refuse("the end record and the ZIP64 end record disagree", label);
      return directory;
    }
  }
  if (count == marker16 || directory_size == marker32 || directory_offset == marker32)
    refuse("ZIP64 markers without a ZIP64 end record", label);
  return Directory{directory_offset, directory_size, count, end_offset};
}

// One central directory record at `offset` (4.3.12); returns the offset after it.
uint64_t read_central_record(const ByteSource& source, uint64_t offset, const ZipLimits& limits,
                             const std::string& label, ZipEntry& entry) {
  Fields fixed(read_bytes(source, offset, central_header_size, label), label);
  if (fixed.u32(0) != central_signature)
    refuse("the central directory holds something other than entries", label);
  entry.flags = fixed.u16(8);
  entry.method = fixed.u16(10);
  entry.crc32 = fixed.u32(16);
  uint32_t compressed32 = fixed.u32(20), size32 = fixed.u32(24);
  size_t name_length = fixed.u16(28), extra_length = fixed.u16(30), comment_length = fixed.u16(32);
  uint16_t start_disk = fixed.u16(34);
  uint32_t offset32 = fixed.u32(42);
  Fields variable(read_bytes(source, offset + central_header_size,
                             name_length + extra_length + comment_length, label),
                  label);
  entry.name = std::string(variable.slice(0, name_length));
  if (entry.name.empty() || name_length > limits.max_name_length ||
      entry.name.find('\0') != std::string::npos) {
    refuse("an entry name is empty, too long or holds a NUL byte", label);
  }
  if (entry.flags & refused_flags)
    refuse("an encrypted entry (" + entry.name + ")", label);
  if (entry.method != 0 && entry.method != 8)
    refuse("an entry neither stored nor deflated (" + entry.name + ")", label);
  Zip64Values zip64(zip64_extra(variable.slice(name_length, extra_length), label), label);
  entry.size = zip64.resolve(size32, size32 == marker32);
  entry.compressed_size = zip64.resolve(compressed32, compressed32 == marker32);
  entry.header_offset = zip64.resolve(offset32, offset32 == marker32);
  uint64_t disk = zip64.resolve(start_disk, start_disk == marker16);
  if (disk != 0)
    refuse("a multi-disk archive", label);
  if (entry.method == 0 && entry.size != entry.compressed_size)
    refuse("a stored entry whose two sizes differ (" + entry.name + ")", label);
  return add(offset, central_header_size + name_length + extra_length + comment_length, label);
}

// The data descriptor after an entry's data (4.3.9): its length is what lies between the
// data and the next header, and must be one of the four forms (with or without the
// signature, 32- or 64-bit sizes); its values must be the directory's.
void check_descriptor(const ByteSource& source, const ZipEntry& entry, uint64_t data_end,
                      uint64_t next, const std::string& label) {
  if (next < data_end)
    refuse("entries overlap (" + entry.name + ")", label);
  uint64_t length = next - data_end;
  if (length != 12 && length != 16 && length != 20 && length != 24)
    refuse("data between entries (" + entry.name + ")", label);
  Fields descriptor(read_bytes(source, data_end, static_cast<size_t>(length), label), label);
  bool signed_form = length == 16 || length == 24;
  if (signed_form && descriptor.u32(0) != descriptor_signature)
    refuse("data between entries (" + entry.name + ")", label);
  size_t at = signed_form ? 4 : 0;
  bool wide = length >= 20;
  uint64_t crc = descriptor.u32(at);
  uint64_t compressed = wide ? descriptor.u64(at + 4) : descriptor.u32(at + 4);
  uint64_t size = wide ? descriptor.u64(at + 12) : descriptor.u32(at + 8);
  if (crc != entry.crc32 || compressed != entry.compressed_size || size != entry.size)
    refuse("the data descriptor and the central directory disagree (" + entry.name + ")", label);
}

// The local header of `entry` (4.3.7) must repeat the directory's name, flags, method,
// CRC and sizes (which may be zero when a data descriptor carries them). Fills the data
// offset and returns where the data ends.
uint64_t check_local_header(const ByteSource& source, ZipEntry& entry, const std::string& label) {
  Fields fixed(read_bytes(source, entry.header_offset, local_header_size, label), label);
  if (fixed.u32(0) != local_signature)
    refuse("no local header where the central directory puts one (" + entry.name + ")", label);
  uint16_t flags = fixed.u16(6), method = fixed.u16(8);
  uint32_t crc = fixed.u32(14), compressed32 = fixed.u32(18), size32 = fixed.u32(22);
  size_t name_length = fixed.u16(26), extra_length = fixed.u16(28);
  Fields variable(read_bytes(source, entry.header_offset + local_header_size,
                             name_length + extra_length, label),
                  label);
  if (variable.slice(0, name_length) != entry.name)
    refuse("a local header names another entry than the central directory (" + entry.name + ")",
           label);
  if (flags != entry.flags || method != entry.method)
    refuse("the local header and the central directory disagree (" + entry.name + ")", label);
  // A local ZIP64 field holds both sizes, uncompressed first (4.5.3).
  bool local_zip64 = compressed32 == marker32 || size32 == marker32;
  Zip64Values zip64(zip64_extra(variable.slice(name_length, extra_length), label), label);
  uint64_t size = zip64.resolve(size32, local_zip64);
  uint64_t compressed = zip64.resolve(compressed32, local_zip64);
  // With a data descriptor, a value the writer did not know yet is zero here (Info-ZIP
  // writing to a pipe knows a file's size but not its CRC or compressed size); the
  // descriptor, checked against the directory, then carries it.
  bool deferred = (flags & descriptor_flag) != 0;
  auto agrees = [deferred](uint64_t local, uint64_t central) {
    return local == central || (deferred && local == 0);
  };
  if (!agrees(crc, entry.crc32) || !agrees(compressed, entry.compressed_size) ||
      !agrees(size, entry.size)) {
    refuse("the local header and the central directory disagree (" + entry.name + ")", label);
  }
  // A stored entry's end is found only from its size: a streaming reader that has to search
  // for the descriptor instead could stop at a fake one inside the data.
  if (deferred && method == 0 && compressed == 0)
    refuse("a stored entry whose size only a data descriptor gives (" + entry.name + ")", label);
  entry.data_offset =
      add(entry.header_offset, local_header_size + name_length + extra_length, label);
  return add(entry.data_offset, entry.compressed_size, label);
}

// Inflates (or copies) an entry's data, checking its end, size and CRC-32.
class EntryStream : public ZipEntryStream {
 public:
  EntryStream(const ByteSource& source, const ZipEntry& entry, const std::string& label)
      : m_source(source), m_entry(entry), m_label(label), m_input(chunk_size, '\0') {
    m_remaining_in = entry.compressed_size;
    if (entry.method == 8 && inflateInit2(&m_zlib, -15) != Z_OK)
      throw failure("cannot initialise inflate");
  }
  ~EntryStream() override {
    if (m_entry.method == 8)
      inflateEnd(&m_zlib);
  }
  EntryStream(const EntryStream&) = delete;
  EntryStream& operator=(const EntryStream&) = delete;

  size_t read(void* buffer, size_t length) override {
    if (m_finished || length == 0)
      return 0;
    throw_if_stop_requested();
    size_t got = m_entry.method == 8 ? inflate_some(buffer, length) : copy_some(buffer, length);
    m_position += got;
    if (m_position > m_entry.size)
      refuse_entry("the data is larger than its declared size");
    m_crc = crc32_z(m_crc, static_cast<const Bytef*>(buffer), got);
    if (got == 0)
      finish();
    return got;
  }
  uint64_t position() const override { return m_position; }

 private:
  [[noreturn]] void refuse_entry(const std::string& why) const {
    refuse(why + " (" + m_entry.name + ")", m_label);
  }

  size_t copy_some(void* buffer, size_t length) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(length, m_remaining_in));
    if (want > 0)
      m_source.read_at(m_entry.data_offset + (m_entry.compressed_size - m_remaining_in), buffer,
                       want);
    m_remaining_in -= want;
    return want;
  }

  void refill() {
    size_t want = static_cast<size_t>(std::min<uint64_t>(m_input.size(), m_remaining_in));
    m_source.read_at(m_entry.data_offset + (m_entry.compressed_size - m_remaining_in),
                     m_input.data(), want);
    m_remaining_in -= want;
    m_zlib.next_in = reinterpret_cast<Bytef*>(m_input.data());
    m_zlib.avail_in = static_cast<uInt>(want);
  }

  size_t inflate_some(void* buffer, size_t length) {
    if (m_stream_ended)
      return 0;
    m_zlib.next_out = static_cast<Bytef*>(buffer);
    m_zlib.avail_out = static_cast<uInt>(std::min<size_t>(length, chunk_size));
    uInt offered = m_zlib.avail_out;
    while (m_zlib.avail_out == offered) {
      if (m_zlib.avail_in == 0) {
        if (m_remaining_in == 0)
          refuse_entry("the compressed data ends before the deflate stream does");
        refill();
      }
      int status = ::inflate(&m_zlib, Z_NO_FLUSH);
      if (status == Z_STREAM_END) {
        // The stream must use the entry's compressed bytes exactly: bytes after its end
        // would be data that a reader trusting the sizes and one following the stream
        // disagree on.
        if (m_zlib.avail_in != 0 || m_remaining_in != 0)
          refuse_entry("data after the end of the deflate stream");
        m_stream_ended = true;
        break;
      }
      if (status != Z_OK)
        refuse_entry("broken deflate data");
    }
    return offered - m_zlib.avail_out;
  }

  void finish() {
    m_finished = true;
    if (m_position != m_entry.size)
      refuse_entry("the data is smaller than its declared size");
    if (m_remaining_in != 0)
      refuse_entry("data after the end of the deflate stream");
    if (m_crc != m_entry.crc32)
      refuse_entry("CRC-32 mismatch");
  }

  const ByteSource& m_source;
  const ZipEntry& m_entry;
  const std::string& m_label;
  std::string m_input;
  z_stream m_zlib{};
  uint64_t m_remaining_in = 0;
  uint64_t m_position = 0;
  uint32_t m_crc = 0;
  bool m_stream_ended = false;
  bool m_finished = false;
};

std::string errno_text() {
  return std::strerror(errno);
}

}  // namespace

FileSource::FileSource(const std::filesystem::path& path) : m_name(path.string()) {
  // Opened first and judged by fstat, so the file judged is the file read. O_NONBLOCK keeps
  // open(2) from waiting for a writer when the path is a FIFO (refused below).
  m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (m_fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      throw not_found("no such file (" + m_name + ")", m_name);
    throw failure("cannot open: " + errno_text() + " (" + m_name + ")", m_name);
  }
  struct stat info {};
  if (::fstat(m_fd, &info) != 0) {
    std::string reason = errno_text();
    ::close(m_fd);
    throw failure("cannot open: " + reason + " (" + m_name + ")", m_name);
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(m_fd);
    if (S_ISDIR(info.st_mode))
      throw usage_error("a folder, not a file (" + m_name + ")", m_name);
    throw usage_error("not a regular file (" + m_name + ")", m_name);
  }
  ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) & ~O_NONBLOCK);
  // The size of what was opened, not of what the path names now.
  m_size = static_cast<uint64_t>(info.st_size);
}

FileSource::~FileSource() {
  if (m_fd >= 0)
    ::close(m_fd);
}

void FileSource::read_at(uint64_t offset, void* buffer, size_t length) const {
  auto* cursor = static_cast<char*>(buffer);
  while (length > 0) {
    ssize_t got = ::pread(m_fd, cursor, length, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      throw failure("cannot read: " + errno_text() + " (" + m_name + ")", m_name);
    if (got == 0)
      throw failure("the file shrank while it was read (" + m_name + ")", m_name);
    cursor += got;
    offset += static_cast<uint64_t>(got);
    length -= static_cast<size_t>(got);
  }
}

void MemorySource::read_at(uint64_t offset, void* buffer, size_t length) const {
  if (offset > m_bytes.size() || length > m_bytes.size() - offset)
    throw failure("read past the end of the data");
  std::memcpy(buffer, m_bytes.data() + offset, length);
}

ZipArchive::ZipArchive(std::shared_ptr<const ByteSource> source, std::string label,
                       ZipLimits limits)
    : m_source(std::move(source)), m_label(std::move(label)) {
  const ByteSource& bytes = *m_source;
  Directory directory = read_end_records(bytes, m_label);
  if (directory.count > limits.max_entries)
    refuse("too many entries", m_label);
  if (directory.offset > directory.end || directory.end - directory.offset != directory.size)
    refuse("the central directory does not end where the end record starts", m_label);
  // Central records are at least 46 bytes: a count the directory cannot hold is refused
  // before anything is reserved for it.
  if (directory.count * central_header_size > directory.size)
    refuse("the central directory is smaller than its entry count", m_label);
  m_entries.reserve(static_cast<size_t>(directory.count));
  std::set<std::string> names;
  uint64_t at = directory.offset;
  for (uint64_t i = 0; i < directory.count; ++i) {
    ZipEntry entry;
    at = read_central_record(bytes, at, limits, m_label, entry);
    if (at > directory.end)
      refuse("the central directory runs into the end record", m_label);
    if (!names.insert(entry.name).second)
      refuse("two entries named " + entry.name, m_label);
    m_entries.push_back(std::move(entry));
  }
  if (at != directory.end)
    refuse("data in the central directory after its last entry", m_label);
  // Every byte before the directory belongs to exactly one entry, in directory order.
  uint64_t expected = 0;
  for (size_t i = 0; i < m_entries.size(); ++i) {
    ZipEntry& entry = m_entries[i];
    if (entry.header_offset != expected) {
      refuse(entry.header_offset < expected ? "entries overlap (" + entry.name + ")"
                                            : "data before an entry (" + entry.name + ")",
             m_label);
    }
    uint64_t data_end = check_local_header(bytes, entry, m_label);
    uint64_t next = i + 1 < m_entries.size() ? m_entries[i + 1].header_offset : directory.offset;
    if (data_end > directory.offset)
      refuse("an entry runs into the central directory (" + entry.name + ")", m_label);
    if (entry.flags & descriptor_flag) {
      check_descriptor(bytes, entry, data_end, next, m_label);
      entry.end_offset = next;
    } else {
      entry.end_offset = data_end;
    }
    expected = entry.end_offset;
  }
  if (expected != directory.offset)
    refuse("data between the last entry and the central directory", m_label);
}

std::unique_ptr<ZipEntryStream> ZipArchive::open(size_t index) const {
  return std::make_unique<EntryStream>(*m_source, m_entries.at(index), m_label);
}

}  // namespace mpaas::archive
