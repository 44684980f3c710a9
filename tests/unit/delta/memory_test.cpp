// Small inputs cost little (issue 16): applying a patch to a small file must not hold buffers
// sized for large ones. The heap in use is sampled at every piece of output, while the
// applier, its decoders and their buffers are alive, and compared with what it was before.
#include <malloc.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <random>

#include "mpaas/delta/delta.hpp"

using namespace mpaas::delta;

// AddressSanitizer's count of heap bytes in use; glibc's mallinfo2 says nothing under it.
extern "C" size_t __sanitizer_get_current_allocated_bytes() __attribute__((weak));

namespace {

size_t heap_in_use() {
  if (__sanitizer_get_current_allocated_bytes)
    return __sanitizer_get_current_allocated_bytes();
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

std::string random_text(size_t size, uint32_t seed) {
  std::mt19937 generator(seed);
  std::string out(size, '\0');
  for (auto& c : out)
    c = static_cast<char>('a' + generator() % 26);
  return out;
}

// The most heap the apply held beyond what was in use when it started.
size_t peak_heap_of_apply(std::string old_data, const std::string& patch) {
  MemoryInput input(patch);
  mpaas::NullProgress progress;
  size_t before = heap_in_use(), peak = 0;
  size_t written = 0;
  apply_patch_into(
      reinterpret_cast<uint8_t*>(old_data.data()), old_data.size(), input, "patch",
      [&](const uint8_t*, size_t size) {
        written += size;
        size_t now = heap_in_use();
        peak = std::max(peak, now > before ? now - before : 0);
      },
      {}, progress);
  REQUIRE(written > 0);
  return peak;
}

}  // namespace

TEST_CASE("applying a patch to a small file holds buffers sized to it", "[delta][memory]") {
  std::string old_data = random_text(2000, 1);
  std::string new_data = old_data.substr(0, 900) + "a small change" + old_data.substr(900);

  SECTION("lzma instructions") {
    DiffOptions options;
    options.codec = Codec::lzma;
    size_t peak = peak_heap_of_apply(old_data, make_patch(old_data, new_data, options));
    // Three LZMA decoders (control, diff, extra) of about 35 KB each; with the fixed 64 KiB
    // buffers of before (one for the output pieces and one per stream) it was 366 KiB.
    CHECK(peak < 160 * 1024);
  }
  SECTION("zstd") {
    DiffOptions options;
    options.codec = Codec::zstd;
    size_t peak = peak_heap_of_apply(old_data, make_patch(old_data, new_data, options));
    // zstd's decoding context is about 100 KB whatever the input; with a fixed 64 KiB input
    // buffer it was 190 KiB.
    CHECK(peak < 160 * 1024);
  }
}
