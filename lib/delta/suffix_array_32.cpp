// The 32-bit suffix array through libdivsufsort (old files under 2 GiB).
#include <divsufsort.h>

#include "mpaas/core/error.hpp"
#include "mpaas/delta/matcher.hpp"

namespace mpaas::delta {

void build_suffix_array(const uint8_t* data, uint64_t size, int32_t* out) {
  if (size == 0)
    return;
  if (divsufsort(data, out, static_cast<saidx_t>(size)) != 0)
    throw failure("suffix sorting failed (libdivsufsort)");
}

}  // namespace mpaas::delta
