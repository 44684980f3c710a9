// Incremental packages (an mpaas extension: mPaaS does not publish its own format). An
// incremental .amr has the same envelope and signature scheme as a full one; its manifest
// adds <type>incremental</type> and <base_version>, and its tar holds incremental.json
// (the change list with SHA-256 of every file, and of the base and target trees) beside
// files/<path> (whole files) and patches/<path> (binary patches). Applying it to the base
// package rebuilds a package whose file tree is the target's, checking every hash.
// docs/formats.md describes the format.
#pragma once

#include <filesystem>
#include <string>

#include "mpaas/core/progress.hpp"
#include "mpaas/offline/builder.hpp"

namespace mpaas::offline {

inline constexpr const char* incremental_index = "incremental.json";

// How one changed file travels. "whole": `bytes` is the new file. "patch": `bytes` is a
// patch in `codec` that turns the old file into the new one.
struct EncodedChange {
  std::string encoding = "whole";
  std::string codec;
  std::string bytes;
};

// The one place a delta engine plugs in: returns a patch when one is available and
// smaller than the new file, else the whole file. Patches are mpd (lib/delta), codec "mpd".
EncodedChange encode_changed_file(const std::string& old_bytes, const std::string& new_bytes);
// Inverse of a "patch" encoding; throws invalid_input for an unknown codec.
std::string decode_changed_file(const std::string& codec, const std::string& old_bytes,
                                const std::string& patch);

struct DiffSummary {
  size_t added = 0;
  size_t changed = 0;
  size_t deleted = 0;
  size_t copied = 0;  // added files whose bytes exist in the base under another path
  PackResult package;
};

DiffSummary diff_packages(const std::filesystem::path& old_package,
                          const std::filesystem::path& new_package,
                          const std::filesystem::path& output, const PackOptions& options,
                          ProgressSink& progress);
PackResult apply_incremental(const std::filesystem::path& old_package,
                             const std::filesystem::path& incremental,
                             const std::filesystem::path& output, const PackOptions& options,
                             ProgressSink& progress);

}  // namespace mpaas::offline
