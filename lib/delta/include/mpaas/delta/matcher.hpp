// Finding what to copy: a suffix array of the old file (libdivsufsort; 32-bit indexes below
// 2 GiB, 64-bit above; a large file in two halves sorted at once on two threads) and a
// forward scan over the new file that picks, at each point, the longest match in the old
// file unless the current alignment is nearly as good, then extends each match with
// approximate runs both ways (bsdiff's scheme) so that small edits inside moved code become
// mostly-zero differences. The new file is scanned in slices of 4 MiB, several at once
// (--threads); each slice starts with the alignment a single scan starts with, and
// instructions cut at slice borders are joined. Index parts and slices depend on the sizes
// only, so the thread count changes the time, never the patch. It produces instructions
// only; the formats encode them. Every loop checks for a stop request
// (mpaas/core/interrupt.hpp) every millisecond or so of work.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
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
  // Keeps the old file's bytes alive. The suffix sort is one library call that cannot
  // check for a stop request; with an owner, a stop returns at once and the sort finishes
  // on a detached thread over the bytes this keeps. Without one, a stop waits for the sort.
  std::shared_ptr<const void> old_data_owner;
};

// Covers new[0, new_size) with instructions in order (none when new_size is 0).
std::vector<Instruction> find_matches(const uint8_t* old_data, uint64_t old_size,
                                      const uint8_t* new_data, uint64_t new_size,
                                      const MatchOptions& options, ProgressSink& progress);

// Bytes of working memory the suffix array of an old file of this size takes.
uint64_t suffix_array_bytes(uint64_t old_size);

// The old file is indexed in this many parts, sorted at once on two threads; fixed by the
// size alone, so that the patch never depends on the thread count (see matcher.cpp).
uint64_t suffix_array_parts(uint64_t old_size);

// The suffix array of data[0, size) into out[0, size). Built by suffix_array_32.cpp /
// suffix_array_64.cpp (the two libdivsufsort headers cannot share a translation unit).
void build_suffix_array(const uint8_t* data, uint64_t size, int32_t* out);
void build_suffix_array(const uint8_t* data, uint64_t size, int64_t* out);

}  // namespace mpaas::delta
