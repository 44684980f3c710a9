// Building and (re)signing .amr packages. The tar is produced once and, in the same pass,
// signed and deflated on `threads` workers into an anonymous temp file beside the output;
// then the ZIP envelope (Manifest.xml, CERT.json, {id}.tar, in that order) is written into
// an AtomicFile, the tar entry copied from the temp file: memory stays flat whatever the
// package size. Everything that could vary
// between machines is fixed (order, times, owners, modes), so equal inputs give equal
// bytes. Reading packages is in reader.hpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "mpaas/core/progress.hpp"
#include "mpaas/crypto/keys.hpp"
#include "mpaas/offline/format.hpp"
#include "mpaas/offline/settings.hpp"

namespace mpaas::offline {

// The fixed time used when SOURCE_DATE_EPOCH is not set: 2020-01-01T00:00:00Z.
inline constexpr int64_t default_epoch = 1577836800;

struct SourceFile {
  std::string path;              // inside the tar, '/'-separated, no leading './'
  std::filesystem::path source;  // file on disk (symlinks already resolved)
  uint64_t size = 0;
};

struct PackOptions {
  std::optional<crypto::Key> key;  // unsigned (no CERT.json) when empty
  // The file the signing key was read from, if any: never packed unless named explicitly.
  std::optional<std::filesystem::path> key_file;
  crypto::DigestKind digest = crypto::DigestKind::sha1;
  int64_t mtime = default_epoch;
  unsigned threads = 2;
};

// A file or folder the settings select that a build leaves out because it looks secret.
struct LeftOut {
  std::string path;    // relative to the source folder; folders end with '/'
  std::string reason;  // "the signing key", "a private key", "a version control folder"
};

struct PackResult {
  std::filesystem::path output;
  uint64_t size = 0;
  uint64_t tar_size = 0;
  size_t files = 0;
  bool is_signed = false;
  std::vector<LeftOut> left_out;  // what collect_files kept out, for the caller to warn about
};

// The files under `root` that the settings select, sorted by path (byte order). Refuses
// symlinks that resolve outside `root` and skips the user's own hpmfile.json.
//
// Secrets never ship by accident: the signing key in use (`key_file`), files that look
// like private keys (a PEM "PRIVATE KEY" block in their first 64 KiB, SSH key names such
// as id_rsa, key stores such as .p12/.jks) and version control folders (.git, .svn, .hg,
// .bzr) are left out and listed in `left_out`, unless an include glob names them
// explicitly: the file's own name, or the folder's name, as a literal segment of an
// include glob that selects it ("keys/private.pem", "**/id_rsa", ".git/**"), not a
// wildcard ("**").
std::vector<SourceFile> collect_files(const Settings& settings, const std::filesystem::path& root,
                                      const std::optional<std::filesystem::path>& key_file = {},
                                      std::vector<LeftOut>* left_out = nullptr);
// Why `file` (at `relative` under the source folder) looks like a secret, or "" when it
// does not (see collect_files).
std::string secret_file_reason(const std::filesystem::path& file, const std::string& relative,
                               const std::optional<std::filesystem::path>& key_file);
// True when an include glob that selects `path` has `segment` as a literal segment.
bool names_explicitly(const Settings& settings, const std::string& path,
                      const std::string& segment);
// Throws invalid_input when the main URL is not among `files`, or a global package breaks
// the mPaaS path rule (see global_path_problem).
void check_package_rules(const Settings& settings, const std::vector<SourceFile>& files);
// What is wrong with a global package's resource path, or "" when it follows mPaaS's rule:
// host name (a valid DNS name, 253 characters at most, labels of 63), then an
// appId_workspaceId folder, then the resource, every segment of characters that no
// urlencode rewrites (letters, digits, '.', '_', '-').
std::string global_path_problem(const std::string& path);

// Builds `{id}_{version}.amr` content from the project into `output`.
PackResult build_package(const Settings& settings, const std::filesystem::path& project_dir,
                         const std::filesystem::path& output, const PackOptions& options,
                         ProgressSink& progress);
// Writes a package from a manifest and files already chosen (hpmfile.json among them).
PackResult write_package(const Manifest& manifest, const std::vector<SourceFile>& files,
                         const std::filesystem::path& output, const PackOptions& options,
                         ProgressSink& progress, const std::string& hpmfile_content = "");
// Re-signs `package` in place (atomically) with the options' key and digest.
PackResult sign_package(const std::filesystem::path& package, const PackOptions& options,
                        ProgressSink& progress);

// SOURCE_DATE_EPOCH from `value` when it is a number, else default_epoch.
int64_t epoch_from(const std::string& value);

}  // namespace mpaas::offline
