// zstd, xz (LZMA2) and bzip2 streams behind one small interface. Encoders cap their window
// at 8 MiB so that apply stays in bounded memory; decoders enforce the same cap and a memory
// limit, so a hostile patch cannot make a reader allocate without limit.
#include "mpaas/delta/codec.hpp"

#include <bzlib.h>
#include <lzma.h>
#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_getCParams: sizing tables for the input
#include <zstd.h>

#include <algorithm>
#include <vector>

#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"

namespace mpaas::delta {
namespace {

constexpr size_t chunk_size = 1 << 16;

// Compressors take their input in pieces of this size with a stop-request check before
// each: a slow codec (xz level 9 codes about 1 MiB/s of hard data) then still reacts to
// Ctrl-C within a few tens of milliseconds.
constexpr size_t input_piece = 1 << 16;

template <class Code>
void in_pieces(const uint8_t* data, size_t size, Code code) {
  while (size > 0) {
    throw_if_stop_requested();
    size_t piece = std::min(size, input_piece);
    code(data, piece);
    data += piece;
    size -= piece;
  }
}

// A window that reaches from the end of the data back to the start of the prefix.
unsigned prefix_window_log(uint64_t reach) {
  unsigned log = 10;
  while (log < static_cast<unsigned>(dictionary_window_log) && (uint64_t{1} << log) < reach)
    ++log;
  return log;
}

class StoredCompressor : public Compressor {
 public:
  void write(const uint8_t* data, size_t size) override {
    m_out.append(reinterpret_cast<const char*>(data), size);
  }
  std::string finish() override { return std::move(m_out); }

 private:
  std::string m_out;
};

class ZstdCompressor : public Compressor {
 public:
  ZstdCompressor(int level, int threads, uint64_t size_hint, Framing framing)
      : m_context(ZSTD_createCCtx()) {
    if (!m_context)
      throw failure("out of memory (zstd)");
    ZSTD_CCtx_setParameter(m_context, ZSTD_c_compressionLevel, level);
    // A checksum per stream, so that corruption reads as corruption (exit 3), not as a
    // wrong output file; compact frames leave that to the new file's SHA-256.
    ZSTD_CCtx_setParameter(m_context, ZSTD_c_checksumFlag, framing.compact ? 0 : 1);
    if (framing.compact)
      ZSTD_CCtx_setParameter(m_context, ZSTD_c_format, ZSTD_f_zstd1_magicless);
    // Parameters sized for the data (small streams get small tables, which is also much
    // faster), with the window capped so that readers need at most 8 MiB.
    ZSTD_compressionParameters parameters = ZSTD_getCParams(
        level, size_hint == 0 ? ZSTD_CONTENTSIZE_UNKNOWN : size_hint, framing.prefix_size);
    unsigned window_log = std::min<unsigned>(parameters.windowLog, max_window_log);
    if (framing.prefix)
      window_log = prefix_window_log(framing.prefix_size + size_hint);
    auto set = [&](ZSTD_cParameter parameter, unsigned value) {
      ZSTD_CCtx_setParameter(m_context, parameter, static_cast<int>(value));
    };
    set(ZSTD_c_windowLog, window_log);
    set(ZSTD_c_chainLog, std::min(parameters.chainLog, window_log + 1));
    set(ZSTD_c_hashLog, std::min(parameters.hashLog, window_log + 1));
    set(ZSTD_c_searchLog, parameters.searchLog);
    set(ZSTD_c_minMatch, parameters.minMatch);
    set(ZSTD_c_targetLength, parameters.targetLength);
    set(ZSTD_c_strategy, static_cast<unsigned>(parameters.strategy));
    // zstd's multi-threaded mode writes the same bytes for any number of workers, but not
    // the same as its single-threaded mode: the mode follows the size, never the threads.
    if (size_hint >= lzma_split_size)
      ZSTD_CCtx_setParameter(m_context, ZSTD_c_nbWorkers, std::max(threads, 1));
    if (framing.prefix) {
      // The reader of a frame with a prefix insists on its content size (see ZstdDecoder).
      ZSTD_CCtx_setPledgedSrcSize(m_context, size_hint > 0 ? size_hint : ZSTD_CONTENTSIZE_UNKNOWN);
      ZSTD_CCtx_refPrefix(m_context, framing.prefix, static_cast<size_t>(framing.prefix_size));
    }
  }
  ~ZstdCompressor() override { ZSTD_freeCCtx(m_context); }

  void write(const uint8_t* data, size_t size) override {
    in_pieces(data, size, [&](const uint8_t* piece, size_t length) {
      compress(piece, length, ZSTD_e_continue);
    });
  }
  std::string finish() override {
    compress(nullptr, 0, ZSTD_e_end);
    return std::move(m_out);
  }

 private:
  void compress(const uint8_t* data, size_t size, ZSTD_EndDirective mode) {
    ZSTD_inBuffer input{data, size, 0};
    std::vector<char> buffer(ZSTD_CStreamOutSize());
    while (true) {
      throw_if_stop_requested();
      ZSTD_outBuffer output{buffer.data(), buffer.size(), 0};
      size_t left = ZSTD_compressStream2(m_context, &output, &input, mode);
      if (ZSTD_isError(left))
        throw failure(std::string("zstd: ") + ZSTD_getErrorName(left));
      m_out.append(buffer.data(), output.pos);
      bool done = mode == ZSTD_e_end ? left == 0 : input.pos == input.size;
      if (done)
        break;
    }
  }

  ZSTD_CCtx* m_context;
  std::string m_out;
};

class LzmaCompressor : public Compressor {
 public:
  LzmaCompressor(int level, int threads, uint64_t size_hint, LzmaContext context, Framing framing) {
    lzma_options_lzma options{};
    lzma_lzma_preset(&options, static_cast<uint32_t>(level));
    options.lc = context.literal_context_bits;
    options.lp = context.literal_position_bits;
    options.pb = context.position_bits;
    options.nice_len = 273;  // long runs of zeros in the diff stream need the longest matches
    options.dict_size = uint32_t{1} << lzma_dictionary_log(level, size_hint);
    lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &options}, {LZMA_VLI_UNKNOWN, nullptr}};
    if (framing.compact) {
      options.dict_size = uint32_t{1} << framing.lzma_dictionary_log;
      if (lzma_raw_encoder(&m_stream, filters) != LZMA_OK)
        throw failure("cannot start the lzma encoder (lzma)");
      return;
    }
    // A stream of 4 MiB or more is cut into two xz blocks, coded on two threads when
    // allowed. The cut depends only on the size, so the bytes never depend on the threads;
    // the second block's empty dictionary costs a few hundred bytes.
    if (size_hint >= lzma_split_size) {
      lzma_mt multi{};
      multi.threads = static_cast<uint32_t>(std::clamp(threads, 1, 2));
      multi.block_size = (size_hint + 1) / 2;
      multi.filters = filters;
      multi.check = LZMA_CHECK_CRC32;
      // lzma_code returns at least this often (ms) while the block threads work, so that
      // the loop below can see a stop request; the output does not depend on it.
      multi.timeout = 50;
      if (lzma_stream_encoder_mt(&m_stream, &multi) != LZMA_OK)
        throw failure("cannot start the xz encoder (lzma)");
      return;
    }
    if (lzma_stream_encoder(&m_stream, filters, LZMA_CHECK_CRC32) != LZMA_OK)
      throw failure("cannot start the xz encoder (lzma)");
  }
  ~LzmaCompressor() override { lzma_end(&m_stream); }

  void write(const uint8_t* data, size_t size) override {
    in_pieces(data, size,
              [&](const uint8_t* piece, size_t length) { compress(piece, length, LZMA_RUN); });
  }
  std::string finish() override {
    compress(nullptr, 0, LZMA_FINISH);
    return std::move(m_out);
  }

 private:
  void compress(const uint8_t* data, size_t size, lzma_action action) {
    m_stream.next_in = data;
    m_stream.avail_in = size;
    uint8_t buffer[chunk_size];
    while (true) {
      throw_if_stop_requested();
      m_stream.next_out = buffer;
      m_stream.avail_out = sizeof buffer;
      lzma_ret result = lzma_code(&m_stream, action);
      m_out.append(reinterpret_cast<char*>(buffer), sizeof buffer - m_stream.avail_out);
      if (result == LZMA_STREAM_END)
        break;
      if (result != LZMA_OK)
        throw failure("xz encoder failed (lzma)");
      if (action == LZMA_RUN && m_stream.avail_in == 0)
        break;
    }
  }

  lzma_stream m_stream = LZMA_STREAM_INIT;
  std::string m_out;
};

class Bzip2Compressor : public Compressor {
 public:
  Bzip2Compressor() {
    if (BZ2_bzCompressInit(&m_stream, 9, 0, 0) != BZ_OK)
      throw failure("cannot start the bzip2 encoder (bzip2)");
  }
  ~Bzip2Compressor() override { BZ2_bzCompressEnd(&m_stream); }

  void write(const uint8_t* data, size_t size) override {
    // Pieces also keep within bzip2's unsigned int counts.
    in_pieces(data, size,
              [&](const uint8_t* piece, size_t length) { compress(piece, length, BZ_RUN); });
  }
  std::string finish() override {
    compress(nullptr, 0, BZ_FINISH);
    return std::move(m_out);
  }

 private:
  void compress(const uint8_t* data, size_t size, int action) {
    m_stream.next_in = const_cast<char*>(reinterpret_cast<const char*>(data));
    m_stream.avail_in = static_cast<unsigned>(size);
    char buffer[chunk_size];
    while (true) {
      throw_if_stop_requested();
      m_stream.next_out = buffer;
      m_stream.avail_out = sizeof buffer;
      int result = BZ2_bzCompress(&m_stream, action);
      m_out.append(buffer, sizeof buffer - m_stream.avail_out);
      if (result == BZ_STREAM_END)
        break;
      if (result != BZ_RUN_OK && result != BZ_FINISH_OK)
        throw failure("bzip2 encoder failed");
      if (action == BZ_RUN && m_stream.avail_in == 0)
        break;
    }
  }

  bz_stream m_stream{};
  std::string m_out;
};

// Shared shape of the decoders: an input buffer refilled from the compressed source.
class BufferedDecoder : public ByteSource {
 protected:
  // The input buffer holds at most the whole compressed region.
  BufferedDecoder(std::unique_ptr<ByteSource> compressed, std::string what)
      : m_compressed(std::move(compressed)),
        m_what(std::move(what)),
        m_input(
            static_cast<size_t>(std::clamp<uint64_t>(m_compressed->size_bound(), 1, chunk_size))) {}

  // Refills the input buffer when empty; false at the end of the compressed bytes.
  bool refill() {
    if (m_input_position < m_input_size)
      return true;
    m_input_size = m_compressed->read(m_input.data(), m_input.size());
    m_input_position = 0;
    return m_input_size > 0;
  }
  [[noreturn]] void corrupt(const std::string& detail) const {
    throw invalid_input("patch is corrupted: " + detail + " (" + m_what + ")");
  }
  [[noreturn]] void truncated() const {
    throw invalid_input("patch is truncated (" + m_what + ")");
  }
  // A compact stream's frame has ended: any byte left in its region is refused, before a
  // decoder could read it as the start of another frame (and report that instead).
  void check_nothing_after_frame(const Framing& framing) {
    if (!framing.compact || !refill())
      return;
    corrupt(framing.last ? "trailing bytes after the streams" : "bytes after the end of a stream");
  }

  std::unique_ptr<ByteSource> m_compressed;
  std::string m_what;
  std::vector<uint8_t> m_input;
  size_t m_input_size = 0;
  size_t m_input_position = 0;
  bool m_ended = false;
};

class StoredDecoder : public ByteSource {
 public:
  explicit StoredDecoder(std::unique_ptr<ByteSource> source) : m_source(std::move(source)) {}
  size_t read(uint8_t* buffer, size_t size) override { return m_source->read(buffer, size); }

 private:
  std::unique_ptr<ByteSource> m_source;
};

class ZstdDecoder : public BufferedDecoder {
 public:
  ZstdDecoder(std::unique_ptr<ByteSource> compressed, std::string what, Framing framing)
      : BufferedDecoder(std::move(compressed), std::move(what)),
        m_context(ZSTD_createDCtx()),
        m_framing(framing) {
    if (!m_context)
      throw failure("out of memory (zstd)");
    ZSTD_DCtx_setParameter(m_context, ZSTD_d_windowLogMax, max_window_log);
    if (framing.compact)
      ZSTD_DCtx_setParameter(m_context, ZSTD_d_format, ZSTD_f_zstd1_magicless);
    if (framing.prefix) {
      ZSTD_DCtx_setParameter(m_context, ZSTD_d_windowLogMax, dictionary_window_log);
      ZSTD_DCtx_refPrefix(m_context, framing.prefix, static_cast<size_t>(framing.prefix_size));
      m_format = framing.compact ? ZSTD_f_zstd1_magicless : ZSTD_f_zstd1;
      m_output_limit = framing.prefix_output_limit;
      m_check_frame = true;
    }
  }
  ~ZstdDecoder() override { ZSTD_freeDCtx(m_context); }

  size_t read(uint8_t* buffer, size_t size) override {
    ZSTD_outBuffer output{buffer, size, 0};
    while (output.pos == 0 && size > 0) {
      if (m_frame_ended) {
        check_nothing_after_frame(m_framing);
        if (m_framing.compact)
          return 0;
      }
      bool have_input = refill();
      if (m_check_frame)
        check_frame_header();
      ZSTD_inBuffer input{m_input.data(), m_input_size, m_input_position};
      size_t result = ZSTD_decompressStream(m_context, &output, &input);
      bool progressed = input.pos > m_input_position || output.pos > 0;
      m_input_position = input.pos;
      if (ZSTD_isError(result))
        corrupt(ZSTD_getErrorName(result));
      if (progressed) {
        m_frame_done = result == 0;
        m_frame_ended = m_frame_done;
      }
      if (output.pos == 0 && !have_input) {
        if (!m_frame_done)
          truncated();
        return 0;
      }
    }
    return output.pos;
  }

 private:
  // With a prefix the window may be large: only a frame that declares a content size
  // within the limit is decoded, since zstd then sizes its buffer to the content.
  void check_frame_header() {
    ZSTD_frameHeader header{};
    size_t result = ZSTD_getFrameHeader_advanced(&header, m_input.data() + m_input_position,
                                                 m_input_size - m_input_position, m_format);
    if (result > 0 && !ZSTD_isError(result))
      truncated();  // the frame header did not fit in what is left of the stream
    if (ZSTD_isError(result))
      corrupt(ZSTD_getErrorName(result));
    if (header.frameContentSize == ZSTD_CONTENTSIZE_UNKNOWN ||
        header.frameContentSize > m_output_limit || header.frameType != ZSTD_frame)
      corrupt("dictionary frame without a content size within the limit");
    m_check_frame = false;
  }

  ZSTD_DCtx* m_context;
  Framing m_framing;
  bool m_frame_done = true;    // an empty region is an empty stream
  bool m_frame_ended = false;  // a frame was decoded to its end (and nothing after it yet)
  bool m_check_frame = false;
  ZSTD_format_e m_format = ZSTD_f_zstd1;
  uint64_t m_output_limit = 0;
};

class LzmaDecoder : public BufferedDecoder {
 public:
  LzmaDecoder(std::unique_ptr<ByteSource> compressed, std::string what, Framing framing)
      : BufferedDecoder(std::move(compressed), std::move(what)), m_framing(framing) {
    if (framing.compact) {
      // The container checked the dictionary size (at most 8 MiB).
      m_options.dict_size = uint32_t{1} << framing.lzma_dictionary_log;
      lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &m_options}, {LZMA_VLI_UNKNOWN, nullptr}};
      if (lzma_raw_decoder(&m_stream, filters) != LZMA_OK)
        throw failure("cannot start the lzma decoder (lzma)");
      return;
    }
    // 8 MiB dictionary plus the decoder's own state.
    if (lzma_stream_decoder(&m_stream, 16u << 20, 0) != LZMA_OK)
      throw failure("cannot start the xz decoder (lzma)");
  }
  ~LzmaDecoder() override { lzma_end(&m_stream); }

  size_t read(uint8_t* buffer, size_t size) override {
    if (m_ended || size == 0)
      return 0;
    m_stream.next_out = buffer;
    m_stream.avail_out = size;
    while (m_stream.avail_out == size) {
      bool have_input = refill();
      m_stream.next_in = m_input.data() + m_input_position;
      m_stream.avail_in = m_input_size - m_input_position;
      lzma_ret result = lzma_code(&m_stream, have_input ? LZMA_RUN : LZMA_FINISH);
      m_input_position = m_input_size - m_stream.avail_in;
      if (result == LZMA_STREAM_END) {
        m_ended = true;
        check_nothing_after_frame(m_framing);
        break;
      }
      if (result == LZMA_MEMLIMIT_ERROR)
        corrupt("needs more memory than a patch may use");
      if (result == LZMA_BUF_ERROR)
        truncated();
      if (result != LZMA_OK)
        corrupt("invalid xz data");
    }
    return size - m_stream.avail_out;
  }

 private:
  lzma_stream m_stream = LZMA_STREAM_INIT;
  lzma_options_lzma m_options{};  // read by a raw decoder for its whole life
  Framing m_framing;
};

class Bzip2Decoder : public BufferedDecoder {
 public:
  Bzip2Decoder(std::unique_ptr<ByteSource> compressed, std::string what)
      : BufferedDecoder(std::move(compressed), std::move(what)) {
    if (BZ2_bzDecompressInit(&m_stream, 0, 0) != BZ_OK)
      throw failure("cannot start the bzip2 decoder (bzip2)");
  }
  ~Bzip2Decoder() override { BZ2_bzDecompressEnd(&m_stream); }

  size_t read(uint8_t* buffer, size_t size) override {
    if (m_ended || size == 0)
      return 0;
    unsigned want = static_cast<unsigned>(std::min<size_t>(size, 1u << 30));
    m_stream.next_out = reinterpret_cast<char*>(buffer);
    m_stream.avail_out = want;
    while (m_stream.avail_out == want) {
      if (!refill())
        truncated();
      m_stream.next_in = reinterpret_cast<char*>(m_input.data() + m_input_position);
      m_stream.avail_in = static_cast<unsigned>(m_input_size - m_input_position);
      int result = BZ2_bzDecompress(&m_stream);
      m_input_position = m_input_size - m_stream.avail_in;
      if (result == BZ_STREAM_END) {
        m_ended = true;
        break;
      }
      if (result != BZ_OK)
        corrupt("invalid bzip2 data");
    }
    return want - m_stream.avail_out;
  }

 private:
  bz_stream m_stream{};
};

}  // namespace

std::string codec_name(Codec codec) {
  switch (codec) {
    case Codec::none:
      return "none";
    case Codec::zstd:
      return "zstd";
    case Codec::lzma:
      return "lzma";
    case Codec::bzip2:
      return "bzip2";
  }
  return "unknown";
}

Codec parse_codec(const std::string& name) {
  if (name == "zstd")
    return Codec::zstd;
  if (name == "lzma" || name == "xz")
    return Codec::lzma;
  if (name == "bzip2")
    return Codec::bzip2;
  if (name == "none")
    return Codec::none;
  throw usage_error("unknown codec '" + name + "', expected zstd or lzma", "codec");
}

namespace {

// The levels of each codec, in one table: the default is what `mpaas diff` uses when no
// level is given (zstd's 19 rather than its 22, whose window needs far more memory for a
// gain of a fraction of a percent on patches).
struct CodecLevels {
  Codec codec;
  int default_level;
  int max_level;
};
constexpr CodecLevels codec_levels[] = {
    {Codec::zstd, 19, 22},
    {Codec::lzma, 9, 9},
    {Codec::bzip2, 9, 9},
    {Codec::none, 0, 0},
};

const CodecLevels& levels_of(Codec codec) {
  for (const auto& entry : codec_levels) {
    if (entry.codec == codec)
      return entry;
  }
  return codec_levels[3];
}

}  // namespace

int default_level(Codec codec) {
  return levels_of(codec).default_level;
}

int max_level(Codec codec) {
  return levels_of(codec).max_level;
}

uint8_t lzma_dictionary_log(int level, uint64_t size_hint) {
  lzma_options_lzma options{};
  lzma_lzma_preset(&options, static_cast<uint32_t>(level));
  // At most 2 MiB (the diff streams gain nothing from more), and no more than the data.
  uint8_t log = 12;
  while (log < 21 && (uint32_t{1} << log) < options.dict_size && (uint64_t{1} << log) < size_hint)
    ++log;
  return log;
}

std::unique_ptr<Compressor> make_compressor(Codec codec, int level, int threads, uint64_t size_hint,
                                            LzmaContext context, Framing framing) {
  switch (codec) {
    case Codec::zstd:
      return std::make_unique<ZstdCompressor>(level, threads, size_hint, framing);
    case Codec::lzma:
      return std::make_unique<LzmaCompressor>(level, threads, size_hint, context, framing);
    case Codec::bzip2:
      return std::make_unique<Bzip2Compressor>();
    case Codec::none:
      return std::make_unique<StoredCompressor>();
  }
  throw failure("unknown codec");
}

std::unique_ptr<ByteSource> make_decompressor(Codec codec, std::unique_ptr<ByteSource> compressed,
                                              const std::string& what, Framing framing) {
  switch (codec) {
    case Codec::zstd:
      return std::make_unique<ZstdDecoder>(std::move(compressed), what, framing);
    case Codec::lzma:
      return std::make_unique<LzmaDecoder>(std::move(compressed), what, framing);
    case Codec::bzip2:
      return std::make_unique<Bzip2Decoder>(std::move(compressed), what);
    case Codec::none:
      return std::make_unique<StoredDecoder>(std::move(compressed));
  }
  throw invalid_input("patch names an unknown codec (" + what + ")");
}

void read_exactly(ByteSource& source, uint8_t* buffer, size_t size, const std::string& what) {
  while (size > 0) {
    size_t got = source.read(buffer, size);
    if (got == 0)
      throw invalid_input("patch is truncated (" + what + ")");
    buffer += got;
    size -= got;
  }
}

}  // namespace mpaas::delta
