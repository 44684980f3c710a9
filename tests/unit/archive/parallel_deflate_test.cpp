// archive/parallel_deflate: the joined libdeflate blocks form one raw deflate stream that
// zlib inflates back to the input exactly, at block boundaries of every awkward size, for
// random and highly compressible data, with the same bytes for any thread count or way of
// feeding the input.
#include <zlib.h>
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "mpaas/archive/parallel_deflate.hpp"

using mpaas::archive::deflate_block;
using mpaas::archive::DeflateTotals;
using mpaas::archive::ParallelDeflater;

namespace {

constexpr size_t small_block = 4096;

// Inflates a raw deflate stream, requiring that it ends (final block) exactly at its end.
std::string inflate_raw(const std::string& compressed) {
  z_stream stream{};
  REQUIRE(inflateInit2(&stream, -15) == Z_OK);
  std::string output;
  std::string buffer(1 << 16, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
    stream.avail_out = static_cast<uInt>(buffer.size());
    status = inflate(&stream, Z_NO_FLUSH);
    output.append(buffer.data(), buffer.size() - stream.avail_out);
  }
  CHECK(status == Z_STREAM_END);
  CHECK(stream.avail_in == 0);
  inflateEnd(&stream);
  return output;
}

std::string random_bytes(size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string data(size, '\0');
  for (auto& c : data)
    c = static_cast<char>(random());
  return data;
}

// Text-like data that compresses well, with enough variety to need dynamic Huffman blocks.
std::string compressible_bytes(size_t size, unsigned seed) {
  std::mt19937 random(seed);
  const char* words[] = {"function ", "return ", "const ", "editor", ".monaco", "{\n  ",
                         "}\n",       "=> ",     "null",   "(a, b)", "0x",      "\"use strict\";"};
  std::string data;
  while (data.size() < size)
    data += words[random() % 12];
  data.resize(size);
  return data;
}

struct Deflated {
  std::string bytes;
  DeflateTotals totals;
};

// Deflates `input`, fed in pieces of `piece` bytes (0: all at once).
Deflated deflate(const std::string& input, unsigned threads, size_t block_size, size_t piece = 0) {
  Deflated result;
  ParallelDeflater deflater(
      [&](const void* data, size_t size) {
        result.bytes.append(static_cast<const char*>(data), size);
      },
      threads, block_size);
  size_t step = piece == 0 ? std::max<size_t>(input.size(), 1) : piece;
  for (size_t at = 0; at < input.size(); at += step)
    deflater.write(input.data() + at, std::min(step, input.size() - at));
  result.totals = deflater.finish();
  return result;
}

uint32_t crc_of(const std::string& data) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

}  // namespace

TEST_CASE("parallel deflate inflates back exactly at every block boundary", "[archive]") {
  for (size_t size : {size_t{0}, size_t{1}, small_block - 1, small_block, small_block + 1,
                      2 * small_block, 5 * small_block + 77}) {
    for (bool random : {true, false}) {
      INFO("size " << size << (random ? " random" : " compressible"));
      std::string input = random ? random_bytes(size, 7) : compressible_bytes(size, 7);
      auto deflated = deflate(input, 2, small_block);
      CHECK(inflate_raw(deflated.bytes) == input);
      CHECK(deflated.totals.size == input.size());
      CHECK(deflated.totals.compressed == deflated.bytes.size());
      CHECK(deflated.totals.crc == crc_of(input));
    }
  }
}

TEST_CASE("parallel deflate handles real 1 MiB blocks and compresses text", "[archive]") {
  const size_t block = ParallelDeflater::default_block_size;
  for (size_t size : {block, block + 1, 3 * block - 5}) {
    INFO("size " << size);
    std::string input = compressible_bytes(size, 11);
    auto deflated = deflate(input, 2, block);
    CHECK(inflate_raw(deflated.bytes) == input);
    CHECK(deflated.bytes.size() < input.size() / 4);
  }
  std::string noise = random_bytes(block + 1, 3);  // stored blocks, joined the same way
  CHECK(inflate_raw(deflate(noise, 2, block).bytes) == noise);
}

TEST_CASE("parallel deflate gives the same bytes for any thread count and feeding", "[archive]") {
  std::string input = compressible_bytes(9 * small_block + 5, 5) + random_bytes(3000, 5) +
                      compressible_bytes(4 * small_block, 6);
  auto one = deflate(input, 1, small_block);
  CHECK(inflate_raw(one.bytes) == input);
  CHECK(deflate(input, 2, small_block).bytes == one.bytes);
  CHECK(deflate(input, 4, small_block).bytes == one.bytes);
  CHECK(deflate(input, 3, small_block, 1).bytes == one.bytes);
  CHECK(deflate(input, 2, small_block, 7777).bytes == one.bytes);
  CHECK(deflate(input, 2, small_block, small_block).bytes == one.bytes);
}

TEST_CASE("a block that is not last ends byte-aligned like a sync flush", "[archive]") {
  std::string first = compressible_bytes(50000, 1);
  std::string second = random_bytes(100, 2);
  std::string joined = deflate_block(first, false);
  REQUIRE(joined.size() > 4);
  CHECK(joined.substr(joined.size() - 4) == std::string("\x00\x00\xff\xff", 4));
  CHECK(inflate_raw(joined + deflate_block(second, true)) == first + second);
  CHECK(inflate_raw(deflate_block("", false) + deflate_block("", true)).empty());
}
