// The rules that keep extraction inside its target folder, judged on archive entries before
// anything is written: no absolute paths, no ".." components, no links that resolve outside
// the root, no devices or FIFOs, and a ceiling on total size and expansion ratio. Callers
// check every entry first and only then write, so a refused archive leaves nothing behind.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mpaas/archive/reader.hpp"

namespace mpaas::archive {

struct ExtractionLimits {
  uint64_t max_total_bytes = 4ull << 30;  // 4 GiB
  uint64_t max_ratio = 200;               // expanded bytes per byte of archive
  uint64_t max_entries = 1000000;
};

// Why `path` is unsafe to create under a root, or nullopt when it is safe.
std::optional<std::string> unsafe_path_reason(const std::string& path);
// Why `entry` is unsafe (path, type or link target), or nullopt.
std::optional<std::string> unsafe_entry_reason(const EntryInfo& entry);
// Normalises "./a//b" to "a/b"; does not resolve "..".
std::string normalise_entry_path(const std::string& path);

}  // namespace mpaas::archive
