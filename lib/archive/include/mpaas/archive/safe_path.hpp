// The rules that keep extraction inside its target folder, judged on one archive entry at a
// time: no absolute paths, no ".." components, no names longer than the file system takes,
// no devices or FIFOs, and symbolic links whose target is "../" steps followed by names,
// never climbing above the root. That last form matters beyond one link: a target that
// only climbs before it descends cannot be turned into an escape by links that appear
// later (in the same archive or in a later extraction), because no ".." is ever resolved
// after a name that could be a link. Rules that need the whole archive (duplicates, links
// through links, entries below files) are in tree_check.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mpaas/archive/reader.hpp"

namespace mpaas::archive {

struct ExtractionLimits {
  uint64_t max_total_bytes = 4ull << 30;  // 4 GiB
  uint64_t max_ratio = 200;               // expanded bytes per byte of archive
  uint64_t max_entries = 1000000;
  uint64_t max_name_bytes = 256ull << 20;  // all entry paths and link targets together
};

// Linux's limits: one name (NAME_MAX) and a whole path with its terminating NUL (PATH_MAX).
inline constexpr size_t max_name_length = 255;
inline constexpr size_t max_path_length = 4095;

// Why `path` is unsafe to create under a root, or nullopt when it is safe.
std::optional<std::string> unsafe_path_reason(const std::string& path);
// Why `entry` is unsafe (path, type or link target), or nullopt.
std::optional<std::string> unsafe_entry_reason(const EntryInfo& entry);
// Normalises "./a//b" to "a/b"; does not resolve "..".
std::string normalise_entry_path(const std::string& path);
// The names of `path` without empty and "." components: "./a//b/" gives {"a", "b"}.
std::vector<std::string> path_components(const std::string& path);

}  // namespace mpaas::archive
