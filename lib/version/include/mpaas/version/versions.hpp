// Versions of mpaas and of the libraries it links, for `mpaas version`.
#pragma once

#include "mpaas/core/output.hpp"

namespace mpaas {

std::string mpaas_version();  // "0.1.0"
std::string mpaas_commit();   // short git commit the binary was built from
// {"libgit2": "1.5.1", "libcurl": ..., "libarchive", "openssl", "yaml-cpp", "sqlite", "zstd", ...}
Json linked_library_versions();

// What `mpaas version` reports (docs/json.md: version).
struct VersionReport {
  std::string version;
  std::string commit;
  Json libraries;  // library name -> version string
};
VersionReport version_report();
Json to_json(const VersionReport& report);
TextLayout text_layout(const VersionReport& report);

}  // namespace mpaas
