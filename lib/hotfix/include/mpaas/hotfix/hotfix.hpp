// Hot-fix bundles: create one from two builds, verify it, inspect it, and apply it to the
// base build (docs/hotfix.md). ZIP-based builds (APK, AAB, IPA, JAR, AAR, zip, .amr) are
// patched entry by entry: unchanged entries are referenced, changed ones carry an mpd patch
// of their uncompressed content, new ones are stored (compressed), deleted and renamed ones
// are listed, and the archive is rebuilt byte for byte (entries deflated by zlib at a level
// it can find again are re-deflated; others carry their compressed bytes). Any other file is
// one mpd patch. This layer never prints.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "mpaas/core/output.hpp"
#include "mpaas/core/progress.hpp"
#include "mpaas/crypto/keys.hpp"
#include "mpaas/hotfix/bundle.hpp"

namespace mpaas::hotfix {

struct CreateRequest {
  std::filesystem::path base, target, output;
  std::optional<crypto::Key> key;  // unsigned without one
  std::string app_versions, notes;
};

// What a bundle holds, entry by entry: the shape of `hotfix create`, `inspect` and `verify`.
struct EntryReport {
  std::string name, content, from, packing;
  uint64_t size = 0;        // uncompressed content
  uint64_t patch_size = 0;  // payload bytes it costs
};

struct BundleReport {
  std::string bundle;  // the file
  std::string kind;
  FileId base, target;
  std::string app_versions, notes;
  uint64_t bundle_size = 0;
  std::string signer;     // "" unsigned
  bool verified = false;  // the signature was checked against a key given
  uint64_t unchanged = 0, changed = 0, added = 0, renamed = 0, deleted = 0;
  std::vector<EntryReport> entries;  // changed, added and renamed ones (archives)
  std::vector<std::string> deleted_names;
};
Json to_json(const BundleReport& report);
TextLayout text_layout(const BundleReport& report);

// Makes the bundle and writes it to request.output (atomically).
BundleReport create_bundle(const CreateRequest& request, ProgressSink& progress);

// Reads a bundle file and reports it; checks the signature when `key` is given.
BundleReport inspect_bundle(const std::filesystem::path& bundle,
                            const std::optional<crypto::Key>& key);

struct ApplyRequest {
  std::filesystem::path base, bundle;
  crypto::Key key;                       // the signature must verify with it
  std::filesystem::path output;          // the rebuilt target (atomically)
  std::filesystem::path changed_folder;  // or: the changed and added entries only, as files
};

struct ApplyReport {
  std::string output;
  std::string kind;
  FileId target;
  uint64_t written_entries = 0;  // --dir
  bool verified = true;
};
Json to_json(const ApplyReport& report);
TextLayout text_layout(const ApplyReport& report);

// Verifies the signature, refuses a base that is not the bundle's (verification_failed,
// exit 4, naming both hashes), and rebuilds the target, checking its SHA-256 before it is
// renamed into place.
ApplyReport apply_bundle(const ApplyRequest& request, ProgressSink& progress);

}  // namespace mpaas::hotfix
