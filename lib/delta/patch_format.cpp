// Header encoding and validation for mpd and BSDIFF40 (see patch_format.hpp).
#include "mpaas/delta/patch_format.hpp"

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_getFrameHeader_advanced: magicless frames
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "mpaas/core/error.hpp"
#include "mpaas/delta/vcdiff.hpp"

namespace mpaas::delta {
bool is_compact_magic(const uint8_t* magic) {
  return std::memcmp(magic, mpd_compact_magic, 4) == 0 ||
         std::memcmp(magic, mpd_dictionary_magic, 4) == 0;
}

namespace {

[[noreturn]] void corrupt(const std::string& what, const std::string& name) {
  throw invalid_input("patch is corrupted: " + what + " (" + name + ")");
}

constexpr uint64_t size_limit = uint64_t{1} << 62;

// Version 4's dictionary mode leaves the new file's size to the frame, which must declare
// it (the decoder insists on it too): read from the frame header at `at`.
uint64_t new_size_of_frame(const uint8_t* bytes, size_t size, size_t at, const std::string& name) {
  ZSTD_frameHeader frame{};
  size_t result =
      ZSTD_getFrameHeader_advanced(&frame, bytes + at, size - at, ZSTD_f_zstd1_magicless);
  if (ZSTD_isError(result))
    corrupt("bad dictionary frame header", name);
  if (result != 0)
    throw invalid_input("patch is truncated (" + name + ")");
  if (frame.frameContentSize == ZSTD_CONTENTSIZE_UNKNOWN)
    corrupt("dictionary frame without a content size", name);
  if (frame.frameContentSize > size_limit)
    corrupt("size out of range", name);
  return frame.frameContentSize;
}

// Reads the varints of a compact header, each at most 10 bytes and 2^62.
class VarintReader {
 public:
  VarintReader(const uint8_t* bytes, size_t size, size_t at, const std::string& name)
      : m_bytes(bytes), m_size(size), m_at(at), m_name(name) {}
  uint64_t next() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (m_at >= m_size)
        throw invalid_input("patch is truncated (" + m_name + ")");
      uint8_t byte = m_bytes[m_at++];
      if (shift == 63 && byte > 1)
        break;
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if (!(byte & 0x80)) {
        if (value > size_limit)
          corrupt("size out of range", m_name);
        return value;
      }
    }
    corrupt("varint out of range in the header", m_name);
  }
  size_t position() const { return m_at; }

 private:
  const uint8_t* m_bytes;
  size_t m_size;
  size_t m_at;
  const std::string& m_name;
};

void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void check_codec_and_filter(uint8_t codec, uint8_t filter, const std::string& name) {
  if (codec != static_cast<uint8_t>(Codec::zstd) && codec != static_cast<uint8_t>(Codec::lzma) &&
      codec != static_cast<uint8_t>(Codec::none))
    corrupt("unknown codec " + std::to_string(codec), name);
  if (filter > static_cast<uint8_t>(Filter::arm64))
    corrupt("unknown filter " + std::to_string(filter), name);
}

// Offsets from the sizes, and the size of the whole patch as declared.
void place_streams(PatchHeader& header, uint64_t header_size) {
  header.control_offset = header_size;
  header.diff_offset = header.control_offset + header.control_size;
  header.extra_offset = header.diff_offset + header.diff_size;
  header.patch_size = header.extra_offset + header.extra_size;
}

// Version 3: magic, packed byte, digests, then varint sizes (see docs/formats.md).
PatchHeader parse_compact_fields(const RandomInput& patch, const std::string& name) {
  uint8_t bytes[mpd_compact_header_max] = {};
  size_t have = static_cast<size_t>(std::min<uint64_t>(patch.size(), sizeof bytes));
  if (have < 6)
    throw invalid_input("patch is truncated (" + name + ")");
  patch.read_at(0, bytes, have);
  PatchHeader header;
  header.format = PatchFormat::mpd;
  header.version = bytes[3] == '4' ? mpd_dictionary_version : mpd_compact_version;
  uint8_t packed = bytes[4];
  check_codec_and_filter(packed & 3, (packed >> 2) & 3, name);
  if ((packed & 0xC0) != 0)
    corrupt("unknown flags", name);
  header.codec = static_cast<Codec>(packed & 3);
  header.filter = static_cast<Filter>((packed >> 2) & 3);
  header.diff_runs = (packed & 0x10) != 0;
  header.dictionary = (packed & 0x20) != 0;
  if (header.dictionary &&
      (header.diff_runs || header.codec != Codec::zstd || header.filter != Filter::none))
    corrupt("dictionary mode with runs, a filter or a codec other than zstd", name);
  size_t at = 5;
  if (header.codec == Codec::lzma) {
    // The reader's memory: dictionaries from 4 KiB to 8 MiB, as for version 2's xz streams.
    header.lzma_dictionary_log = bytes[at++];
    if (header.lzma_dictionary_log < 12 || header.lzma_dictionary_log > max_window_log)
      corrupt("dictionary size out of range", name);
  }
  if (have < at + 64)
    throw invalid_input("patch is truncated (" + name + ")");
  std::memcpy(header.old_sha256.data(), bytes + at, 32);
  std::memcpy(header.new_sha256.data(), bytes + at + 32, 32);
  VarintReader sizes(bytes, have, at + 64, name);
  header.old_size = sizes.next();
  bool size_in_frame = header.dictionary && header.version == mpd_dictionary_version;
  header.new_size =
      size_in_frame ? new_size_of_frame(bytes, have, sizes.position(), name) : sizes.next();
  // Dictionary mode has only the frame; the last stream (extra) runs to the end of the file.
  header.control_size = header.dictionary ? 0 : sizes.next();
  header.diff_size = header.dictionary ? 0 : sizes.next();
  header.diff_runs_size = header.diff_runs ? sizes.next() : 0;
  if (header.diff_runs_size > header.diff_size)
    corrupt("run stream size out of range", name);
  if (header.dictionary &&
      (header.new_size > 16 * dictionary_new_limit || header.old_size > dictionary_old_limit))
    corrupt("dictionary mode for files larger than it allows", name);
  place_streams(header, sizes.position());
  header.patch_size = UINT64_MAX;  // parse_mpd sets the extra stream from the real size
  return header;
}

// The header's own fields, checked without looking at the rest of the patch.
PatchHeader parse_mpd_fields(const RandomInput& patch, const std::string& name) {
  if (patch.size() < mpd_v1_header_size)
    throw invalid_input("patch is truncated (" + name + ")");
  uint8_t bytes[mpd_header_size] = {};
  patch.read_at(0, bytes, mpd_v1_header_size);
  PatchHeader header;
  header.format = PatchFormat::mpd;
  header.version = get_u16(bytes + 8);
  if (header.version != 1 && header.version != 2)
    throw invalid_input("unsupported patch version " + std::to_string(header.version) +
                        ", this mpaas reads versions 1 to 4 (" + name + ")");
  size_t header_size = header.version == 1 ? mpd_v1_header_size : mpd_header_size;
  if (patch.size() < header_size)
    throw invalid_input("patch is truncated (" + name + ")");
  if (header.version == 2)
    patch.read_at(mpd_v1_header_size, bytes + mpd_v1_header_size,
                  mpd_header_size - mpd_v1_header_size);
  uint8_t codec = bytes[10], filter = bytes[11];
  check_codec_and_filter(codec, filter, name);
  uint32_t flags = get_u32(bytes + 12);
  uint32_t known_flags = header.version == 1 ? 0 : mpd_flag_diff_runs;
  if ((flags & ~known_flags) != 0)
    corrupt("unknown flags", name);
  header.codec = static_cast<Codec>(codec);
  header.filter = static_cast<Filter>(filter);
  header.old_size = get_u64(bytes + 16);
  header.new_size = get_u64(bytes + 24);
  std::memcpy(header.old_sha256.data(), bytes + 32, 32);
  std::memcpy(header.new_sha256.data(), bytes + 64, 32);
  header.control_size = get_u64(bytes + 96);
  header.diff_size = get_u64(bytes + 104);
  header.extra_size = get_u64(bytes + 112);
  header.diff_runs = (flags & mpd_flag_diff_runs) != 0;
  header.diff_runs_size = header.version == 2 ? get_u64(bytes + 120) : 0;
  constexpr uint64_t limit = uint64_t{1} << 62;
  if (header.control_size > limit || header.diff_size > limit || header.extra_size > limit)
    corrupt("stream size out of range", name);
  if (header.diff_runs ? header.diff_runs_size > header.diff_size : header.diff_runs_size != 0)
    corrupt("run stream size out of range", name);
  if (header.old_size > (uint64_t{1} << 62) || header.new_size > (uint64_t{1} << 62))
    corrupt("file size out of range", name);
  // What the header declares; parse_mpd checks it against the real size.
  place_streams(header, header_size);
  return header;
}

PatchHeader parse_compact(const RandomInput& patch, const std::string& name) {
  PatchHeader header = parse_compact_fields(patch, name);
  if (header.extra_offset > patch.size())
    throw invalid_input("patch is truncated (" + name + ")");
  header.extra_size = patch.size() - header.extra_offset;
  header.patch_size = patch.size();
  return header;
}

PatchHeader parse_mpd(const RandomInput& patch, const std::string& name) {
  PatchHeader header = parse_mpd_fields(patch, name);
  if (header.patch_size > patch.size())
    throw invalid_input("patch is truncated (" + name + ")");
  if (header.patch_size < patch.size())
    corrupt("trailing bytes after the streams", name);
  return header;
}

PatchHeader parse_bsdiff(const RandomInput& patch, const std::string& name) {
  if (patch.size() < bsdiff_header_size)
    throw invalid_input("patch is truncated (" + name + ")");
  uint8_t bytes[bsdiff_header_size];
  patch.read_at(0, bytes, sizeof bytes);
  int64_t control = get_bsdiff_int(bytes + 8, name);
  int64_t diff = get_bsdiff_int(bytes + 16, name);
  int64_t new_size = get_bsdiff_int(bytes + 24, name);
  if (control < 0 || diff < 0 || new_size < 0)
    corrupt("negative length in header", name);
  PatchHeader header;
  header.format = PatchFormat::bsdiff;
  header.codec = Codec::bzip2;
  header.patch_size = patch.size();
  header.new_size = static_cast<uint64_t>(new_size);
  uint64_t body = patch.size() - bsdiff_header_size;
  if (static_cast<uint64_t>(control) > body ||
      static_cast<uint64_t>(diff) > body - static_cast<uint64_t>(control))
    throw invalid_input("patch is truncated (" + name + ")");
  header.control_offset = bsdiff_header_size;
  header.control_size = static_cast<uint64_t>(control);
  header.diff_offset = header.control_offset + header.control_size;
  header.diff_size = static_cast<uint64_t>(diff);
  header.extra_offset = header.diff_offset + header.diff_size;
  header.extra_size = patch.size() - header.extra_offset;
  return header;
}

}  // namespace

std::string format_name(PatchFormat format) {
  switch (format) {
    case PatchFormat::mpd:
      return "mpd";
    case PatchFormat::bsdiff:
      return "bsdiff";
    case PatchFormat::vcdiff:
      return "vcdiff";
  }
  return "mpd";
}

PatchFormat parse_format(const std::string& name) {
  if (name == "mpd")
    return PatchFormat::mpd;
  if (name == "bsdiff" || name == "bsdiff40")
    return PatchFormat::bsdiff;
  if (name == "vcdiff")
    return PatchFormat::vcdiff;
  throw usage_error("unknown patch format '" + name + "', expected mpd, bsdiff or vcdiff",
                    "format");
}

PatchFormat format_of_magic(const uint8_t* magic, const std::string& name) {
  if (std::memcmp(magic, mpd_magic, 8) == 0 || is_compact_magic(magic))
    return PatchFormat::mpd;
  if (std::memcmp(magic, bsdiff_magic, 8) == 0)
    return PatchFormat::bsdiff;
  if (is_vcdiff_magic(magic, 8))
    return PatchFormat::vcdiff;
  throw invalid_input("not a patch: unknown magic, expected mpd, BSDIFF40 or VCDIFF (" + name + ")",
                      name);
}

PatchHeader parse_header(const RandomInput& patch, const std::string& name) {
  uint8_t magic[8] = {};
  patch.read_at(0, magic, static_cast<size_t>(std::min<uint64_t>(patch.size(), sizeof magic)));
  // A VCDIFF patch may be shorter than 8 bytes; its windows are read as it is applied.
  if (is_vcdiff_magic(magic, patch.size())) {
    PatchHeader header;
    header.format = PatchFormat::vcdiff;
    header.patch_size = patch.size();
    header.new_size = vcdiff_new_size(patch, name);
    return header;
  }
  if (patch.size() < 8)
    throw invalid_input("patch is truncated (" + name + ")");
  if (is_compact_magic(magic))
    return parse_compact(patch, name);
  if (format_of_magic(magic, name) == PatchFormat::mpd)
    return parse_mpd(patch, name);
  return parse_bsdiff(patch, name);
}

uint64_t declared_patch_size(const RandomInput& header, const std::string& name) {
  uint8_t magic[8] = {};
  header.read_at(0, magic, static_cast<size_t>(std::min<uint64_t>(header.size(), sizeof magic)));
  if (is_vcdiff_magic(magic, header.size()))
    return UINT64_MAX;  // its windows run to the end of the file
  if (header.size() < 8)
    throw invalid_input("patch is truncated (" + name + ")");
  if (is_compact_magic(magic))
    return parse_compact_fields(header, name).patch_size;  // to the end of the file
  if (format_of_magic(magic, name) == PatchFormat::mpd)
    return parse_mpd_fields(header, name).patch_size;
  if (header.size() < bsdiff_header_size)
    throw invalid_input("patch is truncated (" + name + ")");
  uint8_t bytes[bsdiff_header_size];
  header.read_at(0, bytes, sizeof bytes);
  for (size_t at = 8; at < bsdiff_header_size; at += 8)
    if (get_bsdiff_int(bytes + at, name) < 0)
      corrupt("negative length in header", name);
  return UINT64_MAX;
}

std::string encode_mpd_header(const PatchHeader& header) {
  std::string out(mpd_magic, 8);
  put_u16(out, mpd_version);
  out.push_back(static_cast<char>(header.codec));
  out.push_back(static_cast<char>(header.filter));
  put_u32(out, header.diff_runs ? mpd_flag_diff_runs : 0);
  put_u64(out, header.old_size);
  put_u64(out, header.new_size);
  out.append(reinterpret_cast<const char*>(header.old_sha256.data()), 32);
  out.append(reinterpret_cast<const char*>(header.new_sha256.data()), 32);
  put_u64(out, header.control_size);
  put_u64(out, header.diff_size);
  put_u64(out, header.extra_size);
  put_u64(out, header.diff_runs ? header.diff_runs_size : 0);
  return out;
}

std::string encode_mpd_compact_header(const PatchHeader& header) {
  std::string out(header.dictionary ? mpd_dictionary_magic : mpd_compact_magic, 4);
  out.push_back(static_cast<char>(static_cast<uint8_t>(header.codec) |
                                  static_cast<uint8_t>(header.filter) << 2 |
                                  (header.diff_runs ? 0x10 : 0) | (header.dictionary ? 0x20 : 0)));
  if (header.codec == Codec::lzma)
    out.push_back(static_cast<char>(header.lzma_dictionary_log));
  out.append(reinterpret_cast<const char*>(header.old_sha256.data()), 32);
  out.append(reinterpret_cast<const char*>(header.new_sha256.data()), 32);
  put_varint(out, header.old_size);
  if (!header.dictionary) {
    put_varint(out, header.new_size);
    put_varint(out, header.control_size);
    put_varint(out, header.diff_size);
  }
  if (header.diff_runs)
    put_varint(out, header.diff_runs_size);
  return out;
}

std::string encode_bsdiff_header(uint64_t control_size, uint64_t diff_size, uint64_t new_size) {
  std::string out(bsdiff_magic, 8);
  put_bsdiff_int(out, static_cast<int64_t>(control_size));
  put_bsdiff_int(out, static_cast<int64_t>(diff_size));
  put_bsdiff_int(out, static_cast<int64_t>(new_size));
  return out;
}

void put_bsdiff_int(std::string& out, int64_t value) {
  uint64_t magnitude =
      value < 0 ? uint64_t{0} - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  std::string bytes;
  put_u64(bytes, magnitude);
  if (value < 0)
    bytes[7] = static_cast<char>(bytes[7] | 0x80);
  out += bytes;
}

int64_t get_bsdiff_int(const uint8_t* in, const std::string& name) {  // -0 reads as 0
  uint64_t raw = get_u64(in);
  uint64_t magnitude = raw & ~(uint64_t{1} << 63);
  bool negative = (raw >> 63) != 0;
  (void)name;
  return negative ? -static_cast<int64_t>(magnitude) : static_cast<int64_t>(magnitude);
}

}  // namespace mpaas::delta
