// archive/deflate_blocks: the final block found by walking a stream agrees with zlib's own
// account (inflate with Z_BLOCK reports every block boundary) for stored, fixed and dynamic
// blocks from libdeflate and zlib, and malformed streams are refused.
#include <libdeflate.h>
#include <zlib.h>
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "mpaas/archive/deflate_blocks.hpp"
#include "mpaas/core/error.hpp"

using mpaas::archive::FinalBlock;
using mpaas::archive::locate_final_block;

namespace {

// zlib's answer: at each boundary inflate(Z_BLOCK) sets data_type to the unused bits of the
// last byte read, +64 once inside the final block, +128 right after an end-of-block code.
FinalBlock zlib_final_block(const std::string& stream) {
  z_stream inflater{};
  REQUIRE(inflateInit2(&inflater, -15) == Z_OK);
  std::vector<unsigned char> scratch(1 << 16);
  inflater.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(stream.data()));
  inflater.avail_in = static_cast<uInt>(stream.size());
  uint64_t block_start = 0;
  FinalBlock found;
  for (;;) {
    inflater.next_out = scratch.data();
    inflater.avail_out = static_cast<uInt>(scratch.size());
    REQUIRE(inflate(&inflater, Z_BLOCK) == Z_OK);
    int type = inflater.data_type;
    if ((type & 128) == 0)
      continue;
    uint64_t bit = uint64_t{inflater.total_in} * 8 - static_cast<uint64_t>(type & 7);
    if ((type & 64) != 0) {
      found = {block_start, bit};
      break;
    }
    block_start = bit;
  }
  inflateEnd(&inflater);
  return found;
}

std::string with_libdeflate(const std::string& input, int level) {
  auto* compressor = libdeflate_alloc_compressor(level);
  REQUIRE(compressor != nullptr);
  std::string out(libdeflate_deflate_compress_bound(compressor, input.size()), '\0');
  size_t size =
      libdeflate_deflate_compress(compressor, input.data(), input.size(), out.data(), out.size());
  libdeflate_free_compressor(compressor);
  REQUIRE(size > 0);
  out.resize(size);
  return out;
}

// zlib with a strategy (Z_FIXED: static Huffman blocks) and full flushes every `flush_every`
// bytes, so the stream holds several blocks, some of them empty stored ones.
std::string with_zlib(const std::string& input, int level, int strategy, size_t flush_every) {
  z_stream deflater{};
  REQUIRE(deflateInit2(&deflater, level, Z_DEFLATED, -15, 8, strategy) == Z_OK);
  std::string out(deflateBound(&deflater, input.size()) + 64 * (input.size() / flush_every + 1),
                  '\0');
  deflater.next_out = reinterpret_cast<Bytef*>(out.data());
  deflater.avail_out = static_cast<uInt>(out.size());
  for (size_t at = 0; at <= input.size(); at += flush_every) {
    size_t take = std::min(flush_every, input.size() - at);
    deflater.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data() + at));
    deflater.avail_in = static_cast<uInt>(take);
    bool last = at + take >= input.size();
    REQUIRE(deflate(&deflater, last ? Z_FINISH : Z_FULL_FLUSH) == (last ? Z_STREAM_END : Z_OK));
    if (last)
      break;
  }
  out.resize(deflater.total_out);
  deflateEnd(&deflater);
  return out;
}

std::string sample(size_t size, unsigned seed, bool noisy) {
  std::mt19937 random(seed);
  std::string data;
  while (data.size() < size) {
    if (noisy && random() % 4 == 0) {
      for (int i = 0; i < 200; ++i)
        data.push_back(static_cast<char>(random()));
    } else {
      data += "<div class=\"row-" + std::to_string(random() % 50) + "\">cell</div>\n";
    }
  }
  data.resize(size);
  return data;
}

void check_agrees(const std::string& stream) {
  auto ours = locate_final_block(reinterpret_cast<const uint8_t*>(stream.data()), stream.size());
  auto theirs = zlib_final_block(stream);
  CHECK(ours.start_bit == theirs.start_bit);
  CHECK(ours.end_bit == theirs.end_bit);
  CHECK((ours.end_bit + 7) / 8 == stream.size());
}

}  // namespace

TEST_CASE("the final deflate block is found where zlib finds it", "[archive]") {
  for (size_t size : {size_t{0}, size_t{1}, size_t{300}, size_t{70000}, size_t{900000}}) {
    for (bool noisy : {false, true}) {
      INFO("size " << size << (noisy ? " noisy" : " text"));
      std::string input = sample(size, static_cast<unsigned>(size), noisy);
      for (int level : {0, 1, 6, 9, 12}) {
        INFO("libdeflate level " << level);
        check_agrees(with_libdeflate(input, level));
      }
      check_agrees(with_zlib(input, 6, Z_DEFAULT_STRATEGY, 50000));
      check_agrees(with_zlib(input, 6, Z_FIXED, 30000));
      check_agrees(with_zlib(input, 0, Z_DEFAULT_STRATEGY, 20000));
    }
  }
}

TEST_CASE("walking deflate blocks refuses truncated and malformed streams", "[archive]") {
  std::string stream = with_libdeflate(sample(100000, 4, true), 6);
  auto walk = [](const std::string& bytes) {
    return locate_final_block(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  };
  CHECK_THROWS_AS(walk(stream.substr(0, stream.size() / 2)), mpaas::Error);
  CHECK_THROWS_AS(walk(""), mpaas::Error);
  CHECK_THROWS_AS(walk(std::string("\x07", 1)), mpaas::Error);  // reserved block type
  CHECK_THROWS_AS(walk(std::string("\x01\x05\x00\x00\x00", 5)), mpaas::Error);  // bad NLEN
  std::mt19937 random(1);
  for (int round = 0; round < 200; ++round) {
    std::string noise(64 + random() % 2000, '\0');
    for (auto& c : noise)
      c = static_cast<char>(random());
    try {
      auto found = walk(noise);
      CHECK(found.end_bit <= noise.size() * 8);  // garbage that happens to parse stays inside
    } catch (const mpaas::Error&) {
    }
  }
}
