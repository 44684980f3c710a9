// Safe extraction of the web files of an .amr into a folder. Every tar member is judged
// first (safe_path.hpp rules, duplicates, links through links, size and ratio ceilings) in
// a pass that writes nothing; only a package that passes every check is written, in a
// second pass. Directories are created as needed; existing files are replaced.
#pragma once

#include <cstdint>
#include <filesystem>

#include "mpaas/archive/safe_path.hpp"

namespace mpaas::offline {

struct ExtractResult {
  size_t files = 0;
  uint64_t bytes = 0;
};

ExtractResult extract_package(const std::filesystem::path& package,
                              const std::filesystem::path& folder,
                              const archive::ExtractionLimits& limits = {});

}  // namespace mpaas::offline
