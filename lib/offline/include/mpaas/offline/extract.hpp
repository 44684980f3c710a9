// Safe extraction of the web files of an .amr into a folder, in three steps:
//  1. Check: every tar member is judged, and the whole tree they make, against the folder as
//     it is (archive/tree_check.hpp): unsafe names, links to or through links, clashes with
//     files, links and folders already there, names over NAME_MAX or PATH_MAX, size and
//     ratio ceilings. Nothing is written; a refusal throws invalid_input (exit 3).
//  2. Write: the members are written into a fresh staging folder beside the target (inside
//     it when the parent cannot take one), walking folders by descriptor and creating every
//     name exclusively without following links. Hard links are made as hard links.
//  3. Move into place: a new target is the staging folder renamed; into an existing one,
//     each new file or link replaces the old one with an atomic rename (an exchange, so a
//     failure puts the old ones back). Existing links are replaced, never written through.
// A failure or a stop request (SIGINT, SIGTERM, SIGHUP) before step 3 leaves the target as
// it was and removes the staging folder; step 3 is only renames and does not stop halfway
// by itself (a forced stop during it leaves each file old or new, never partial).
#pragma once

#include <cstdint>
#include <filesystem>

#include "mpaas/archive/safe_path.hpp"

namespace mpaas::offline {

struct ExtractResult {
  size_t files = 0;    // regular files written (hard links not counted)
  uint64_t bytes = 0;  // their bytes
};

ExtractResult extract_package(const std::filesystem::path& package,
                              const std::filesystem::path& folder,
                              const archive::ExtractionLimits& limits = {});

}  // namespace mpaas::offline
