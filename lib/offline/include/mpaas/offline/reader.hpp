// Reading an .amr as hostile input, in one streaming pass: the ZIP entries with their
// sizes, SHA-256 and the digests their signatures are checked against, the manifest,
// CERT.json, and (optionally) the files of the inner tar with their SHA-256 and the
// hpmfile.json settings. Signature checking is separate (check_signatures) so that inspect
// can report unsigned or unverifiable packages. Nothing is written to disk.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mpaas/archive/reader.hpp"
#include "mpaas/core/output.hpp"
#include "mpaas/crypto/keys.hpp"
#include "mpaas/offline/format.hpp"

namespace mpaas::offline {

struct EnvelopeEntry {
  std::string name;
  uint64_t size = 0;
  std::string sha256;         // hex
  std::string sha1_digest;    // raw, for signature checks
  std::string sha256_digest;  // raw
};

struct PackageFile {
  std::string path;
  archive::EntryType type = archive::EntryType::file;
  uint64_t size = 0;
  std::string sha256;  // hex, files only
  std::string link_target;
};

struct Package {
  std::string manifest_text;
  Manifest manifest;
  std::optional<std::map<std::string, std::string>> signatures;  // from CERT.json
  std::vector<EnvelopeEntry> entries;
  std::vector<PackageFile> files;  // inside the tar, in tar order
  Json hpmfile;                    // null when absent
  uint64_t package_size = 0;
};

struct ReadOptions {
  bool list_files = true;
  // Called for every tar member before its data is read (extraction checks it).
  std::function<void(const archive::EntryInfo&)> on_member;
  // Called with each file's data when set (extraction writes it); else data is hashed only.
  std::function<void(const archive::EntryInfo&, archive::Reader&)> on_file_data;
};

Package read_package(const std::filesystem::path& path, const ReadOptions& options = {});

struct SignatureCheck {
  std::string entry;
  std::string state;   // "valid", "invalid", "missing"
  std::string digest;  // "SHA1" or "SHA256" when valid
};

// One check per envelope entry other than CERT.json, plus one "invalid" per CERT.json name
// that is not in the package.
std::vector<SignatureCheck> check_signatures(const Package& package, const crypto::Key& key);

}  // namespace mpaas::offline
