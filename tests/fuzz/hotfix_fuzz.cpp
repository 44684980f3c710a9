// Fuzzes the hot-fix bundle reader: the container, the JSON header and every field check
// (read_bundle, bundle_from_header), the signature block, and the app version range. Any
// mpaas::Error is an accepted refusal; a crash, leak or sanitizer report is a bug. Seeds in
// corpus/hotfix_fuzz are bundles made by `mpaas hotfix create` (a file, an archive with runs,
// renamed, added, inflated and deflated entries).
#include <cstdint>
#include <string>

#include "mpaas/core/error.hpp"
#include "mpaas/hotfix/bundle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    auto read = mpaas::hotfix::read_bundle(bytes, "fuzz.mphf");
    mpaas::hotfix::header_json(read.bundle).dump();
    mpaas::hotfix::app_version_range(read.bundle.app_versions);
  } catch (const mpaas::Error&) {
  }
  return 0;
}
