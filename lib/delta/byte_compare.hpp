// Comparing runs of bytes, shared by the matchers (private to lib/delta).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace mpaas::delta {

// How many bytes a and b have in common from their start, eight at a time.
inline uint64_t common_prefix(const uint8_t* a, uint64_t a_size, const uint8_t* b,
                              uint64_t b_size) {
  uint64_t limit = std::min(a_size, b_size);
  uint64_t i = 0;
  while (i + 8 <= limit) {
    uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    if (x != y)
      return i + static_cast<uint64_t>(__builtin_ctzll(x ^ y) / 8);
    i += 8;
  }
  while (i < limit && a[i] == b[i])
    ++i;
  return i;
}

}  // namespace mpaas::delta
