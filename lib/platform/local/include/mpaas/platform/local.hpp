// The embedded platform: the Platform interface over a SQLite database (WAL mode) and a
// content-addressed blob folder in one data folder, for one machine and any number of
// mpaas processes at once. Layout, schema and migrations: docs/platform.md.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "mpaas/core/clock.hpp"
#include "mpaas/platform/platform.hpp"

namespace mpaas::platform {

// The schema version this build writes (PRAGMA user_version); older databases are migrated
// on open, newer ones refused without a change.
int local_schema_version();

// Opens (creating when absent) the platform in `folder`: platform.db, blobs/, tmp/. Stale
// temp files of interrupted uploads are removed, with any blob they left unreferenced.
// `actor` is recorded as who made each change. Throws invalid_input for a corrupt database
// and failure for one from a newer schema version; neither is written to.
std::unique_ptr<Platform> open_local_platform(const std::filesystem::path& folder,
                                              const std::string& actor, const Clock& clock);

}  // namespace mpaas::platform
