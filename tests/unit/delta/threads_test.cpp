// The thread count must not change the patch: the new file is scanned in slices fixed by
// its size, the old file indexed in parts fixed by its size, and the codecs run in modes
// fixed by the stream sizes, so 1, 2 or 4 threads make the same bytes (issue 16). A slice
// must also start where one scan would be (issue item 12: two identical 8 MiB files gave
// 1.7 KB with one thread and 4.2 MB with two).
#include <catch2/catch.hpp>
#include <cstring>
#include <random>

#include "mpaas/delta/delta.hpp"
#include "mpaas/delta/matcher.hpp"
#include "random_bytes.hpp"

using namespace mpaas::delta;
using mpaas::test::random_bytes;

namespace {

// `count` four-byte edits at pseudo-random places.
std::string with_edits(std::string data, int count, uint32_t seed) {
  std::mt19937 generator(seed);
  for (int i = 0; i < count; ++i) {
    size_t at = generator() % (data.size() - 4);
    for (size_t k = 0; k < 4; ++k)
      data[at + k] = static_cast<char>(data[at + k] ^ (1 + generator() % 255));
  }
  return data;
}

// The patches made with 1, 2 and 4 threads, which must be the same bytes; the 4-thread
// patch must also apply.
void check_same_patch_at_every_thread_count(const std::string& old_data,
                                            const std::string& new_data, Codec codec) {
  std::vector<std::string> patches;
  for (int threads : {1, 2, 4}) {
    DiffOptions options;
    options.codec = codec;
    options.threads = threads;
    patches.push_back(make_patch(old_data, new_data, options));
  }
  INFO(codec_name(codec) << " patch sizes at 1, 2 and 4 threads: " << patches[0].size() << ", "
                         << patches[1].size() << ", " << patches[2].size());
  CHECK(patches[1] == patches[0]);
  CHECK(patches[2] == patches[0]);
  CHECK(apply_patch(old_data, patches[2]) == new_data);
}

}  // namespace

TEST_CASE("patches of identical files are the same bytes at every thread count",
          "[delta][threads]") {
  std::string data = random_bytes(8u << 20, 1);
  check_same_patch_at_every_thread_count(data, data, Codec::lzma);
  CHECK(make_patch(data, data).size() < 4096);
}

TEST_CASE("patches of a few small edits are the same bytes at every thread count",
          "[delta][threads]") {
  // Large enough for two index parts, several scan slices, a run-coded diff stream and
  // zstd's multi-threaded mode.
  std::string old_data = random_bytes(24u << 20, 2);
  std::string new_data = with_edits(old_data, 25, 3);
  for (Codec codec : {Codec::lzma, Codec::zstd})
    check_same_patch_at_every_thread_count(old_data, new_data, codec);
  CHECK(make_patch(old_data, new_data).size() < 4096);
}

TEST_CASE("a moved and edited file gives the same patch at every thread count",
          "[delta][threads]") {
  std::string old_data = random_bytes(12u << 20, 6);
  std::string new_data = with_edits(
      old_data.substr(5u << 20) + random_bytes(3000, 7) + old_data.substr(0, 5u << 20), 2000, 8);
  check_same_patch_at_every_thread_count(old_data, new_data, Codec::zstd);
}

TEST_CASE("every slice of a threaded scan covers the new file in order", "[delta][threads]") {
  // Moved blocks and an insertion, so that slices start inside shifted alignments.
  std::string old_data = random_bytes(10u << 20, 4);
  std::string new_data =
      old_data.substr(3u << 20) + random_bytes(1000, 5) + old_data.substr(0, 3u << 20);
  mpaas::NullProgress progress;
  MatchOptions one, four;
  four.threads = 4;
  auto serial = find_matches(reinterpret_cast<const uint8_t*>(old_data.data()), old_data.size(),
                             reinterpret_cast<const uint8_t*>(new_data.data()), new_data.size(),
                             one, progress);
  auto sliced = find_matches(reinterpret_cast<const uint8_t*>(old_data.data()), old_data.size(),
                             reinterpret_cast<const uint8_t*>(new_data.data()), new_data.size(),
                             four, progress);
  uint64_t covered = 0;
  for (const auto& instruction : sliced) {
    CHECK(instruction.new_start == covered);
    covered += instruction.add_length + instruction.copy_length;
  }
  CHECK(covered == new_data.size());
  // Two moves and one insertion: a handful of instructions, whatever the thread count.
  CHECK(sliced.size() == serial.size());
  uint64_t copied = 0;
  for (const auto& instruction : sliced)
    copied += instruction.copy_length;
  CHECK(copied < 2000);
}
