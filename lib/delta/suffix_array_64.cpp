// The 64-bit suffix array through libdivsufsort64 (old files of 2 GiB and more).
#include <divsufsort64.h>

#include "mpaas/core/error.hpp"
#include "mpaas/delta/matcher.hpp"

namespace mpaas::delta {

void build_suffix_array(const uint8_t* data, uint64_t size, int64_t* out) {
  if (size == 0)
    return;
  if (divsufsort64(data, out, static_cast<saidx64_t>(size)) != 0)
    throw failure("suffix sorting failed (libdivsufsort64)");
}

}  // namespace mpaas::delta
