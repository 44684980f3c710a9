// The thread count must not change what the matcher finds: the new file is scanned in
// slices on several threads, and a slice must start where one scan would be (issue item 12:
// two identical 8 MiB files gave 1.7 KB with one thread and 4.2 MB with two).
#include <catch2/catch.hpp>
#include <cstring>
#include <random>

#include "mpaas/delta/delta.hpp"
#include "mpaas/delta/matcher.hpp"

using namespace mpaas::delta;

namespace {

std::string random_bytes(size_t size, uint32_t seed) {
  std::mt19937_64 generator(seed);
  std::string out(size, '\0');
  for (size_t i = 0; i + 8 <= size; i += 8) {
    uint64_t word = generator();
    std::memcpy(out.data() + i, &word, 8);
  }
  return out;
}

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

// Patch sizes at 1, 2 and 4 threads; the 4-thread patch must also apply.
std::vector<size_t> patch_sizes(const std::string& old_data, const std::string& new_data) {
  std::vector<size_t> sizes;
  for (int threads : {1, 2, 4}) {
    DiffOptions options;
    options.threads = threads;
    std::string patch = make_patch(old_data, new_data, options);
    sizes.push_back(patch.size());
    if (threads == 4)
      CHECK(apply_patch(old_data, patch) == new_data);
  }
  return sizes;
}

void check_within_one_percent(const std::vector<size_t>& sizes) {
  INFO("patch sizes at 1, 2 and 4 threads: " << sizes[0] << ", " << sizes[1] << ", " << sizes[2]);
  for (size_t size : sizes) {
    CHECK(size * 100 <= sizes[0] * 101);
    CHECK(size * 100 >= sizes[0] * 99);
  }
}

}  // namespace

TEST_CASE("patches of identical files do not grow with the thread count", "[delta][threads]") {
  std::string data = random_bytes(8u << 20, 1);
  auto sizes = patch_sizes(data, data);
  check_within_one_percent(sizes);
  CHECK(sizes[0] < 4096);
}

TEST_CASE("patches of a few small edits do not grow with the thread count", "[delta][threads]") {
  std::string old_data = random_bytes(24u << 20, 2);
  std::string new_data = with_edits(old_data, 25, 3);
  auto sizes = patch_sizes(old_data, new_data);
  check_within_one_percent(sizes);
  CHECK(sizes[0] < 4096);
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
