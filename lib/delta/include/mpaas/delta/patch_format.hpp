// The two patch containers and their headers. mpd (ours): magic, version, codec, filter,
// flags, sizes and SHA-256 of old and new, then the compressed control, diff and extra
// streams; in version 2 the diff stream may be run-length coded as two streams, zero runs
// and literal bytes (docs/formats.md). BSDIFF40 (bsdiff 4.x): a 32-byte header and three bzip2
// streams. parse_header treats its input as hostile: every length is checked against the patch's
// size before anything is read or allocated. Streams are decoded by patch_reader.cpp.
#pragma once

#include <cstdint>
#include <string>

#include "mpaas/core/sha256.hpp"
#include "mpaas/delta/byte_io.hpp"
#include "mpaas/delta/codec.hpp"
#include "mpaas/delta/exec_filter.hpp"

namespace mpaas::delta {

// vcdiff: RFC 3284 as xdelta3 writes it (mpaas/delta/vcdiff.hpp).
enum class PatchFormat { mpd, bsdiff, vcdiff };

std::string format_name(PatchFormat format);
// Parses "mpd", "bsdiff" or "vcdiff"; throws usage_error otherwise.
PatchFormat parse_format(const std::string& name);

inline constexpr char mpd_magic[8] = {'M', 'P', 'D', 'E', 'L', 'T', 'A', '\x1a'};
inline constexpr uint16_t mpd_version = 2;
inline constexpr size_t mpd_v1_header_size = 120;
inline constexpr size_t mpd_header_size = 128;
// Version 3, the compact container for small patches: a 4-byte magic that also says the
// version, one byte of codec, filter and flags, the two digests, then varint sizes; streams
// are framed without magic numbers or checksums and the last one runs to the end of the
// file (docs/formats.md).
inline constexpr char mpd_compact_magic[4] = {'M', 'P', 'D', '3'};
inline constexpr uint16_t mpd_compact_version = 3;
// Version 4 is version 3 with one field less in dictionary mode: the new file's size, which
// the zstd frame declares anyway. Written for dictionary-mode patches only, so that readers
// of version 3 still read every other patch.
inline constexpr char mpd_dictionary_magic[4] = {'M', 'P', 'D', '4'};
inline constexpr uint16_t mpd_dictionary_version = 4;
inline bool is_compact_version(uint16_t version) {
  return version == mpd_compact_version || version == mpd_dictionary_version;
}
// Whether the 4 bytes at `magic` start a version 3 or 4 patch.
bool is_compact_magic(const uint8_t* magic);
inline constexpr size_t mpd_compact_header_max = 4 + 2 + 64 + 5 * 10;
// The compact container is written when every stream is below this size (larger streams
// want version 2's framing: xz blocks coded on two threads).
inline constexpr uint64_t mpd_compact_limit = uint64_t{4} << 20;
// Flag bit: the diff region holds a run stream (diff_runs_size bytes) then a literal stream.
inline constexpr uint32_t mpd_flag_diff_runs = 1;
// Dictionary mode (versions 3 and 4): one zstd frame of the new file that refers back into
// the old file as its prefix, as `zstd --patch-from` does, instead of instructions.
// Dictionary patches are made for new files up to this size, and read up to 16 times it
// (the decoder holds the new file's window, which must stay within the apply budget).
inline constexpr uint64_t dictionary_new_limit = uint64_t{1} << 20;
inline constexpr uint64_t dictionary_old_limit = uint64_t{16} << 20;
inline constexpr char bsdiff_magic[8] = {'B', 'S', 'D', 'I', 'F', 'F', '4', '0'};
inline constexpr size_t bsdiff_header_size = 32;

// What a patch's header says. For BSDIFF40 the old size and both hashes are unknown.
struct PatchHeader {
  PatchFormat format = PatchFormat::mpd;
  uint16_t version = 0;
  Codec codec = Codec::none;
  Filter filter = Filter::none;
  uint64_t old_size = 0;
  uint64_t new_size = 0;
  Sha256Digest old_sha256{};
  Sha256Digest new_sha256{};
  uint64_t control_offset = 0, control_size = 0;
  uint64_t diff_offset = 0, diff_size = 0;
  bool diff_runs = false;       // mpd v2: diff coded as zero runs + literals
  uint64_t diff_runs_size = 0;  // of which the first diff_runs_size bytes are the runs
  uint64_t extra_offset = 0, extra_size = 0;
  uint64_t patch_size = 0;
  uint8_t lzma_dictionary_log = 0;  // version 3 with lzma: the raw LZMA2 dictionary, 2^n
  bool dictionary = false;          // version 3: the extra stream is a zstd frame over the old file
};

// Reads and validates the header; `name` is used in error messages (exit 3).
PatchHeader parse_header(const RandomInput& patch, const std::string& name);

// The format named by a patch's first 8 bytes; throws invalid_input ("not a patch") for any
// other bytes.
PatchFormat format_of_magic(const uint8_t* magic, const std::string& name);

// The whole patch's size as its header declares it, after checking the header's fields:
// `header` holds the header only (mpd_header_size bytes, mpd_v1_header_size for version 1,
// up to mpd_compact_header_max for version 3 (more is ignored), bsdiff_header_size for
// BSDIFF40). UINT64_MAX for BSDIFF40, whose extra stream runs to the
// end of the file. Lets a reader of a stream refuse a bad header before reading on.
uint64_t declared_patch_size(const RandomInput& header, const std::string& name);

// Version 2 (the header's version is ignored).
std::string encode_mpd_header(const PatchHeader& header);
// Version 3, the compact container.
std::string encode_mpd_compact_header(const PatchHeader& header);
std::string encode_bsdiff_header(uint64_t control_size, uint64_t diff_size, uint64_t new_size);

// bsdiff's 8-byte sign-and-magnitude integers.
void put_bsdiff_int(std::string& out, int64_t value);
// "Negative zero" reads as 0, as bspatch reads it.
int64_t get_bsdiff_int(const uint8_t* in, const std::string& name);

}  // namespace mpaas::delta
