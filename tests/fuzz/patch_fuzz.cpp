// Fuzzes every patch reader (mpd versions 1 to 4 with zstd and lzma streams, the dictionary
// mode of versions 3 and 4, BSDIFF40 with bzip2, VCDIFF from mpaas and xdelta3) through
// apply_patch against a fixed old file. An mpd input is also tried with its old-file hash
// and size fixed up, so that the fuzzer reaches the streams behind the SHA-256 check.
// Any mpaas::Error is an accepted refusal; a crash, leak or sanitizer report is a bug.
#include <cstdint>
#include <cstring>
#include <string>

#include "mpaas/core/error.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/delta/delta.hpp"

namespace {

// The old file every seed in corpus/patch_fuzz was made against (see scripts/fuzz.sh).
std::string fuzz_old_file() {
  std::string old_data;
  for (int i = 0; i < 4096; ++i)
    old_data.push_back(static_cast<char>((i * 7 + i / 64) & 0xFF));
  return old_data;
}

void try_apply(const std::string& old_data, const std::string& patch) {
  mpaas::delta::ApplyLimits limits;
  limits.max_new_size = 1 << 20;
  try {
    mpaas::delta::apply_patch(old_data, patch, limits);
  } catch (const mpaas::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string old_data = fuzz_old_file();
  static const mpaas::Sha256Digest old_hash = mpaas::sha256_of(old_data);
  std::string patch(reinterpret_cast<const char*>(data), size);
  try_apply(old_data, patch);
  if (patch.size() >= mpaas::delta::mpd_v1_header_size &&
      std::memcmp(patch.data(), mpaas::delta::mpd_magic, 8) == 0) {
    std::string fixed = patch;
    std::string old_size;
    mpaas::delta::put_u64(old_size, old_data.size());
    fixed.replace(16, 8, old_size);
    fixed.replace(32, 32, reinterpret_cast<const char*>(old_hash.data()), 32);
    try_apply(old_data, fixed);
  }
  // Versions 3 and 4 keep the old size as a varint: re-encode the header with the right
  // fields.
  if (patch.size() >= 4 &&
      mpaas::delta::is_compact_magic(reinterpret_cast<const uint8_t*>(patch.data()))) {
    try {
      mpaas::delta::MemoryInput input(patch);
      mpaas::delta::PatchHeader header = mpaas::delta::parse_header(input, "fuzz");
      header.old_size = old_data.size();
      header.old_sha256 = old_hash;
      try_apply(old_data, mpaas::delta::encode_mpd_compact_header(header) +
                              patch.substr(header.control_offset));
    } catch (const mpaas::Error&) {
    }
  }
  return 0;
}
