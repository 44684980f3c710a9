// The fast path of find_matches for a new file that is the old one with a few small edits
// (a version bump in a 9 MiB script): instead of a suffix array of the whole old file
// (a third of a second and 4 bytes per old byte for 9 MiB), 64-byte blocks of the old file
// are hashed, the new file is scanned with a rolling hash of the same width, and every hit is
// extended both ways byte by byte. When that leaves at most a thousandth of the new file
// uncovered, its covers are the instructions; otherwise the scan gives up as soon as it
// has seen that much uncovered and the suffix array does the job (private to lib/delta).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "mpaas/core/progress.hpp"
#include "mpaas/delta/matcher.hpp"

namespace mpaas::delta {

// New files from this size on try the fast path; below it the suffix array is cheap.
inline constexpr uint64_t block_cover_min_size = uint64_t{1} << 20;

// Instructions covering new[0, new_size) in order, or nothing when the files are not
// near-identical. Progress ("matching") is reported at the end, and only on success.
std::optional<std::vector<Instruction>> cover_by_blocks(const uint8_t* old_data, uint64_t old_size,
                                                        const uint8_t* new_data, uint64_t new_size,
                                                        ProgressSink& progress);

}  // namespace mpaas::delta
