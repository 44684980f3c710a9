// Applying to a new file of 1 MiB or more filters, hashes and hands out its bytes on a second
// thread (lib/delta/output_stage.cpp). The output must be the same bytes in the same order
// as on one thread, a sink that fails must stop the apply with its own error (not hang it or
// lose the error), and a patch that does not produce the expected file must still be caught.
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <thread>

#include "mpaas/core/error.hpp"
#include "mpaas/delta/delta.hpp"

using namespace mpaas::delta;

namespace {

// x86-like bytes: E8 and E9 opcodes with near displacements among random bytes, so that the
// branch filter has work at every piece boundary.
std::string code_like(size_t size, uint32_t seed) {
  std::mt19937 generator(seed);
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    if (i + 5 <= size && generator() % 20 == 0) {
      out[i] = static_cast<char>(generator() % 2 ? 0xE8 : 0xE9);
      uint32_t displacement = generator() % 4096;
      std::memcpy(out.data() + i + 1, &displacement, 4);
      i += 4;
    } else {
      out[i] = static_cast<char>(generator());
    }
  }
  return out;
}

std::string with_changes(std::string data, uint32_t seed) {
  std::mt19937 generator(seed);
  for (int i = 0; i < 200; ++i)
    data[generator() % data.size()] = static_cast<char>(generator());
  return data.substr(0, 1000) + "inserted" + data.substr(1000);
}

struct Pair {
  std::string old_data, new_data, patch;
};

const Pair& filtered_pair() {
  static const Pair pair = [] {
    Pair made;
    made.old_data = code_like(3 << 20, 1);
    made.new_data = with_changes(made.old_data, 2);
    DiffOptions options;
    options.filter = Filter::x86_64;
    made.patch = make_patch(made.old_data, made.new_data, options);
    return made;
  }();
  return pair;
}

}  // namespace

TEST_CASE("a threaded apply hands out the new file's bytes in order, in pieces of any size",
          "[delta][output]") {
  const Pair& pair = filtered_pair();
  std::string old_copy = pair.old_data, received;
  size_t calls = 0;
  MemoryInput input(pair.patch);
  mpaas::NullProgress progress;
  PatchHeader header = apply_patch_into(
      reinterpret_cast<uint8_t*>(old_copy.data()), old_copy.size(), input, "patch",
      [&](const uint8_t* data, size_t size) {
        ++calls;
        received.append(reinterpret_cast<const char*>(data), size);
      },
      {}, progress);
  CHECK(header.filter == Filter::x86_64);
  CHECK(received == pair.new_data);
  CHECK(calls > 1);
}

TEST_CASE("a sink that fails stops a threaded apply with its own error", "[delta][output]") {
  const Pair& pair = filtered_pair();
  for (size_t failing_call : {size_t{1}, size_t{3}, size_t{1000}}) {
    std::string old_copy = pair.old_data;
    size_t calls = 0;
    MemoryInput input(pair.patch);
    mpaas::NullProgress progress;
    auto apply = [&] {
      apply_patch_into(
          reinterpret_cast<uint8_t*>(old_copy.data()), old_copy.size(), input, "patch",
          [&](const uint8_t*, size_t) {
            if (++calls == failing_call)
              throw mpaas::failure("disk full (out.bin)");
          },
          {}, progress);
    };
    INFO("failing at call " << failing_call);
    if (failing_call == 1000) {
      apply();  // fewer calls than that: nothing fails
      CHECK(calls < 1000);
    } else {
      CHECK_THROWS_WITH(apply(), "disk full (out.bin)");
      CHECK(calls == failing_call);  // nothing more was handed out after the failure
    }
  }
}

TEST_CASE("a threaded apply still refuses a patch whose output is not the new file",
          "[delta][output]") {
  const Pair& pair = filtered_pair();
  // The same patch made for a different new file: its header promises other bytes.
  std::string other_new = with_changes(pair.old_data, 3);
  DiffOptions options;
  options.filter = Filter::x86_64;
  std::string patch = make_patch(pair.old_data, other_new, options);
  // Swap the new file's digest for the first pair's: the output no longer matches it.
  MemoryInput original(pair.patch), forged_input(patch);
  PatchHeader first = parse_header(original, "patch");
  PatchHeader second = parse_header(forged_input, "patch");
  REQUIRE(first.version == second.version);
  std::string forged = patch;
  auto at = forged.find(std::string(reinterpret_cast<const char*>(second.new_sha256.data()), 32));
  REQUIRE(at != std::string::npos);
  forged.replace(at, 32, reinterpret_cast<const char*>(first.new_sha256.data()), 32);
  CHECK_THROWS_AS(apply_patch(pair.old_data, forged), mpaas::Error);
  CHECK(apply_patch(pair.old_data, patch) == other_new);
}
