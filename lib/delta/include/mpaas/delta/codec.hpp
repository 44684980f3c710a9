// Stream compression for patch streams: zstd and xz/LZMA2 for our mpd format, bzip2 for
// BSDIFF40. Compressors take bytes as they are produced and return the compressed stream at
// finish(); decompressors read a compressed region and refuse malformed data or data that
// would need more memory than a patch reader may take (exit 3). It knows nothing of patches.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "mpaas/delta/byte_io.hpp"

namespace mpaas::delta {

enum class Codec : uint8_t { none = 0, zstd = 1, lzma = 2, bzip2 = 3 };

std::string codec_name(Codec codec);
// Parses "zstd", "lzma" (or "xz"), "bzip2", "none"; throws usage_error otherwise.
Codec parse_codec(const std::string& name);
// The default and allowed --level range of each codec.
int default_level(Codec codec);
int max_level(Codec codec);

// Decoders never need more than this much window (both codecs are capped when encoding),
// which keeps apply's memory bounded whatever the patch says.
inline constexpr int max_window_log = 23;  // 8 MiB

class Compressor {
 public:
  virtual ~Compressor() = default;
  virtual void write(const uint8_t* data, size_t size) = 0;
  // Ends the stream and returns all compressed bytes.
  virtual std::string finish() = 0;
};

// xz streams of at least this size (by size_hint) are written as two blocks, zstd ones in
// zstd's multi-threaded mode (whose bytes do not depend on the number of workers).
inline constexpr uint64_t lzma_split_size = uint64_t{4} << 20;

// LZMA's literal context bits, literal position bits and position bits, for streams
// whose statistics differ from text (the defaults, 3/0/2). Other codecs ignore them.
struct LzmaContext {
  uint32_t literal_context_bits = 3;
  uint32_t literal_position_bits = 0;
  uint32_t position_bits = 2;
};

// How a stream is framed. Standard: a zstd frame with its content checksum, or an xz
// stream (CRC32). Compact (mpd version 3, small patches): a zstd frame without magic number
// or checksum, or raw LZMA2 whose dictionary size (2^lzma_dictionary_log) the container
// keeps; the new file's SHA-256 then catches corruption. Saves 10 to 60 bytes a stream.
struct Framing {
  bool compact = false;
  uint8_t lzma_dictionary_log = 0;
  // Decoding: a compact stream is one frame, and bytes after it are refused; `last` says
  // the stream is the patch's last one, which runs to the end of the file, so that such
  // bytes are reported as trailing data rather than passed to the decoder as a next frame.
  bool last = false;
  // zstd only: bytes the frame may refer back into (dictionary mode: the old file), which
  // must stay alive and unchanged while the stream is coded. The decoder then accepts
  // windows up to dictionary_window_log but only frames that declare their content size,
  // at most prefix_output_limit, so that its buffer stays that small.
  const uint8_t* prefix = nullptr;
  uint64_t prefix_size = 0;
  uint64_t prefix_output_limit = 0;
};
inline constexpr int dictionary_window_log = 26;

// The dictionary size (log2) that an LZMA stream of `size_hint` bytes is written with.
uint8_t lzma_dictionary_log(int level, uint64_t size_hint);

// `threads` > 1 lets zstd use worker threads and xz code its two blocks at once;
// `size_hint` (0 if unknown) sizes windows and places the cut between the two xz blocks;
// with a prefix (Framing) it must be the exact size, which the frame then declares.
std::unique_ptr<Compressor> make_compressor(Codec codec, int level, int threads, uint64_t size_hint,
                                            LzmaContext context = {}, Framing framing = {});

// Decompresses `compressed`; `what` names the stream in error messages.
std::unique_ptr<ByteSource> make_decompressor(Codec codec, std::unique_ptr<ByteSource> compressed,
                                              const std::string& what, Framing framing = {});

// Reads exactly `size` bytes or throws invalid_input("... is truncated (what)").
void read_exactly(ByteSource& source, uint8_t* buffer, size_t size, const std::string& what);

}  // namespace mpaas::delta
