// Reproducible pseudo-random bytes for tests: `size` bytes from a 64-bit Mersenne Twister
// seeded with `seed`, eight at a time (a tail shorter than eight bytes stays zero).
#pragma once

#include <cstdint>
#include <cstring>
#include <random>
#include <string>

namespace mpaas::test {

inline std::string random_bytes(size_t size, uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::string out(size, '\0');
  for (size_t i = 0; i + 8 <= size; i += 8) {
    uint64_t word = generator();
    std::memcpy(out.data() + i, &word, 8);
  }
  return out;
}

}  // namespace mpaas::test
