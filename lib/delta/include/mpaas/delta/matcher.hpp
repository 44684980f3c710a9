// Finding what to copy: a suffix array of the old file (libdivsufsort; 32-bit indexes below
// 2 GiB, 64-bit above) and a forward scan over the new file that picks, at each point, the
// longest match in the old file unless the current alignment is nearly as good, then extends
// each match with approximate runs both ways (bsdiff's scheme) so that small edits inside
// moved code become mostly-zero differences. The new file can be scanned in several slices
// at once (--threads). It produces instructions only; the formats encode them.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "mpaas/core/progress.hpp"

namespace mpaas::delta {

// new[new_start, +add_length) = old[old_start, +add_length) + diff bytes, then
// new[new_start + add_length, +copy_length) comes verbatim from the extra stream.
struct Instruction {
  uint64_t new_start = 0;
  uint64_t old_start = 0;
  uint64_t add_length = 0;
  uint64_t copy_length = 0;
};

struct MatchOptions {
  int threads = 1;
  // Called (from any scanning thread) with ranges of the new file the scan will not read
  // again, so that a caller holding it in a file mapping can give the memory back.
  std::function<void(uint64_t begin, uint64_t end)> consumed;
};

// Covers new[0, new_size) with instructions in order (none when new_size is 0).
std::vector<Instruction> find_matches(const uint8_t* old_data, uint64_t old_size,
                                      const uint8_t* new_data, uint64_t new_size,
                                      const MatchOptions& options, ProgressSink& progress);

// Bytes of working memory the suffix array of an old file of this size takes.
uint64_t suffix_array_bytes(uint64_t old_size);

// Built by suffix_array_32.cpp / suffix_array_64.cpp (the two libdivsufsort headers cannot
// share a translation unit).
void build_suffix_array(const uint8_t* data, uint64_t size, std::vector<int32_t>& out);
void build_suffix_array(const uint8_t* data, uint64_t size, std::vector<int64_t>& out);

}  // namespace mpaas::delta
