// Reading an .amr as hostile input, in one streaming pass: the ZIP entries with their
// sizes, SHA-256 and the digests their signatures are checked against, the manifest,
// CERT.json, and (optionally) the files of the inner tar with their SHA-256 and the
// hpmfile.json settings. Signature checking is separate (check_signatures, and verdict.hpp
// for what "verified" means) so that inspect can report unsigned or unverifiable packages.
// Nothing is written to disk.
//
// Every reader of packages comes through here, and every one refuses (invalid_input) a
// package that is not one: not a zip; a zip whose local headers and central directory
// disagree in any way (zip_reader.hpp); entries other than Manifest.xml, an optional
// CERT.json and one {name}.tar, in that order; a manifest without <uid> or <version>
// outside comments (format.hpp); a tar with anything but zero padding after its end
// marker, or more than max_tar_padding bytes of it. docs/security.md says why.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mpaas/archive/reader.hpp"
#include "mpaas/archive/zip_reader.hpp"
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

// What may follow a tar's end-of-archive marker: zero padding up to the end of its last
// record. GNU tar, bsdtar and mPaaS write 10240-byte records (at most 9 KiB of padding);
// 64 KiB allows blocking factors up to 128. Anything more is refused before it is
// inflated, so a small package cannot make every reader inflate and hash gigabytes.
inline constexpr uint64_t max_tar_padding = uint64_t{64} << 10;
inline constexpr const char* incremental_index_name = "incremental.json";
inline constexpr size_t max_incremental_index = size_t{16} << 20;

struct Package {
  std::string manifest_text;
  Manifest manifest;
  std::optional<std::map<std::string, std::string>> signatures;  // from CERT.json
  std::vector<EnvelopeEntry> entries;
  std::string tar_entry;           // the tar entry's name
  std::vector<PackageFile> files;  // inside the tar, in tar order
  Json hpmfile;                    // null when absent, unreadable or larger than 1 MiB
  size_t hpmfile_members = 0;      // how many tar members are named hpmfile.json
  // incremental.json of an incremental package (a manifest with <base_version>).
  Json incremental_index;
  size_t incremental_index_members = 0;
  uint64_t package_size = 0;
};

struct ReadOptions {
  bool list_files = true;
  // Called for every tar member before its data is read (extraction checks it).
  std::function<void(const archive::EntryInfo&)> on_member;
  // Called with each file's data when set (extraction writes it); else data is hashed only.
  std::function<void(const archive::EntryInfo&, archive::Reader&)> on_file_data;
  // Called with every uncompressed byte of every envelope entry, in order (re-signing).
  std::function<void(const archive::ZipEntry& entry, const char*, size_t)> on_entry_bytes;
};

// Throws not_found (no such file), usage_error (a folder or other non-file) or failure
// (cannot open or read) naming the path, and invalid_input for what is not a package.
Package read_package(const std::filesystem::path& path, const ReadOptions& options = {});
// The same from any byte source; `label` names it in messages (the fuzz target reads
// from memory).
Package read_package(std::shared_ptr<const archive::ByteSource> source, const std::string& label,
                     const ReadOptions& options = {});

struct SignatureCheck {
  std::string entry;
  std::string state;   // "valid", "invalid", "missing"
  std::string digest;  // "SHA1" or "SHA256" when valid
};

// One check per envelope entry other than CERT.json, plus one "invalid" per CERT.json name
// that is not in the package.
std::vector<SignatureCheck> check_signatures(const Package& package, const crypto::Key& key);

}  // namespace mpaas::offline
