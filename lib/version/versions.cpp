// Runtime versions of linked libraries (see versions.hpp). Each is asked at run time where
// the library offers it, so the answer is what is really loaded; yaml-cpp has no such
// call, so its version is the one pkg-config reported at build time.
#include "mpaas/version/versions.hpp"

#include <archive.h>
#include <curl/curl.h>
#include <git2.h>
#include <lzma.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <zstd.h>

#include "mpaas/version/build_info.hpp"

namespace mpaas {

std::string mpaas_version() {
  return build_info::version;
}
std::string mpaas_commit() {
  return build_info::git_commit;
}

Json linked_library_versions() {
  int major = 0, minor = 0, revision = 0;
  git_libgit2_version(&major, &minor, &revision);
  Json versions;
  versions["libgit2"] =
      std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(revision);
  versions["libcurl"] = curl_version_info(CURLVERSION_NOW)->version;
  versions["libarchive"] = archive_version_details();
  versions["openssl"] = OpenSSL_version(OPENSSL_VERSION);
  versions["yaml-cpp"] = build_info::yaml_cpp_version;
  versions["sqlite"] = sqlite3_libversion();
  versions["zstd"] = ZSTD_versionString();
  versions["liblzma"] = lzma_version_string();
  return versions;
}

VersionReport version_report() {
  return {mpaas_version(), mpaas_commit(), linked_library_versions()};
}

Json to_json(const VersionReport& report) {
  return {{"version", report.version}, {"commit", report.commit}, {"libraries", report.libraries}};
}

TextLayout text_layout(const VersionReport&) {
  return {};
}

}  // namespace mpaas
