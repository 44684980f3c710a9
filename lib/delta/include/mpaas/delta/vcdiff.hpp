// VCDIFF (RFC 3284), the generic delta format that xdelta3 and open-vcdiff read and write:
// a header (magic D6 C3 C4 00, an indicator byte), then windows, each rebuilding one piece of
// the new file from a segment of the old file and the window's own earlier bytes, with three
// sections (added bytes, instructions, addresses) under the RFC's default code table and
// address cache (near 4, same 3). xdelta3 adds an Adler-32 of each window's output
// (window indicator bit 0x04), which both directions here write and check.
//
// What is read: windows against the old file (VCD_SOURCE) or none, xdelta3's application
// header (skipped), and the Adler-32. What is refused with a clear error: secondary
// compression (xdelta3's default; `xdelta3 -e -S none` makes patches without it), a custom
// code table, windows against earlier output (VCD_TARGET, which xdelta3 does not write
// either) and windows over 64 MiB. A patch is untrusted: every length and address is checked
// before it is used, memory is one window plus small buffers, and nothing is output for a
// window before its checksum holds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mpaas/core/progress.hpp"
#include "mpaas/delta/byte_io.hpp"
#include "mpaas/delta/matcher.hpp"

namespace mpaas::delta {

inline constexpr uint8_t vcdiff_magic[4] = {0xD6, 0xC3, 0xC4, 0x00};
// The largest window read or written (xdelta3's own hard limit is the same).
inline constexpr uint64_t vcdiff_max_window = uint64_t{64} << 20;
// The window size written: xdelta3's default.
inline constexpr uint64_t vcdiff_window = uint64_t{8} << 20;

// Whether the first bytes (at least 3) are VCDIFF's magic; the version byte is checked when
// the patch is read.
bool is_vcdiff_magic(const uint8_t* bytes, size_t size);

// Adler-32 (RFC 1950) of `size` bytes, continuing from `adler` (1 to start).
uint32_t adler32(uint32_t adler, const uint8_t* data, size_t size);

// Writes new[0, new_size) as VCDIFF windows of `window` bytes from `instructions`
// (find_matches over the same files): equal runs of an instruction's old and new bytes
// become COPYs from the old file, the rest ADDs and RUNs. Returns the number of windows.
uint64_t write_vcdiff(const uint8_t* old_data, uint64_t old_size, const uint8_t* new_data,
                      uint64_t new_size, const std::vector<Instruction>& instructions,
                      const ByteSink& out, ProgressSink& progress, uint64_t window = vcdiff_window);

// The new file's size a VCDIFF patch declares: the sum of its windows' target lengths, read
// from the window headers alone (`mpaas patch --info`). Throws as apply would on a malformed
// header.
uint64_t vcdiff_new_size(const RandomInput& patch, const std::string& name);

struct VcdiffSummary {
  uint64_t windows = 0;
  uint64_t new_size = 0;
  bool checksums = false;  // every window carried an Adler-32
};

// Applies a VCDIFF patch to old[0, old_size), handing each window's bytes to `out` once its
// Adler-32 (when present) holds. invalid_input (exit 3) names `name` for a malformed or
// unsupported patch; verification_failed (exit 4) for a checksum that does not match (the
// old file is likely not the one the patch was made from). Refuses output beyond
// `max_new_size`.
VcdiffSummary apply_vcdiff(const uint8_t* old_data, uint64_t old_size, const RandomInput& patch,
                           const std::string& name, const ByteSink& out, uint64_t max_new_size,
                           ProgressSink& progress);

}  // namespace mpaas::delta
