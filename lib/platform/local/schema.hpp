// The embedded platform's schema versions and migrations (private to local/).
#pragma once

#include "sqlite.hpp"

namespace mpaas::platform::local {

// The version this build writes.
int schema_version();
// Checks the file is an mpaas platform database no newer than this build (refusing it
// before any write), sets WAL mode, and migrates an older one to schema_version().
void open_schema(Database& db);
// The SQL of migration `version` (1-based), for tests that build old databases.
const char* migration_sql(int version);

}  // namespace mpaas::platform::local
