// The embedded platform's schema and its migrations (docs/platform.md, "Schema"). The
// version is PRAGMA user_version; PRAGMA application_id marks the file as ours. Migration i
// takes a database from version i-1 to i inside one write transaction, so a crash leaves
// the old version whole and two processes opening an old database migrate it once.
#include "schema.hpp"

#include "mpaas/core/error.hpp"

namespace mpaas::platform::local {
namespace {

constexpr int64_t application_id = 0x6d706173;  // "mpas"

// Version 1: apps, releases, their history and whitelists.
const char* const migration_1 = R"sql(
CREATE TABLE apps (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE releases (
  id TEXT PRIMARY KEY,
  app TEXT NOT NULL REFERENCES apps(id),
  platform TEXT NOT NULL,
  kind TEXT NOT NULL,
  package TEXT NOT NULL DEFAULT '',
  version TEXT NOT NULL,
  state TEXT NOT NULL,
  percent INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  file_name TEXT NOT NULL,
  min_app_version TEXT NOT NULL DEFAULT '',
  max_app_version TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  mandatory INTEGER NOT NULL DEFAULT 0,
  rules TEXT NOT NULL DEFAULT '[]',
  whitelist_count INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (app, platform, kind, package, version)
);
CREATE INDEX releases_by_sha256 ON releases(sha256);
CREATE TABLE changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  release TEXT NOT NULL,
  what TEXT NOT NULL,
  old_value TEXT,
  new_value TEXT,
  at INTEGER NOT NULL,
  by TEXT NOT NULL
);
CREATE INDEX changes_by_release ON changes(release, seq);
CREATE TABLE whitelist (
  release TEXT NOT NULL,
  device TEXT NOT NULL,
  PRIMARY KEY (release, device)
) WITHOUT ROWID;
)sql";

// Version 2: the time-window gray mode (first N distinct devices before a time).
const char* const migration_2 = R"sql(
ALTER TABLE releases ADD COLUMN window_max INTEGER;
ALTER TABLE releases ADD COLUMN window_until INTEGER;
ALTER TABLE releases ADD COLUMN window_counted INTEGER NOT NULL DEFAULT 0;
CREATE TABLE window_devices (
  release TEXT NOT NULL,
  device TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (release, device)
) WITHOUT ROWID;
)sql";

// Version 3: a check reads one app's releases for a platform in creation order; the index
// gives them in that order (before, SQLite sorted them in a temporary b-tree every check).
// API tokens for `mpaas serve`: only the SHA-256 of a secret is kept.
const char* const migration_3 = R"sql(
CREATE INDEX releases_by_app ON releases(app, platform, created_at);
CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  scope TEXT NOT NULL,
  secret_sha256 TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL DEFAULT 0,
  revoked_at INTEGER NOT NULL DEFAULT 0,
  last_used_at INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL
);
)sql";

const char* const migrations[] = {migration_1, migration_2, migration_3};
constexpr int latest = static_cast<int>(sizeof migrations / sizeof migrations[0]);

int64_t pragma_integer(Database& db, const char* sql) {
  Statement statement(db, sql);
  return statement.step() ? statement.integer(0) : 0;
}

bool has_tables(Database& db) {
  Statement statement(db, "SELECT count(*) FROM sqlite_master");
  return statement.step() && statement.integer(0) > 0;
}

// Refuses, before anything is written, a file that is not ours or is newer than this build.
void check_readable_version(Database& db) {
  auto version = pragma_integer(db, "PRAGMA user_version");
  auto id = pragma_integer(db, "PRAGMA application_id");
  std::string file = db.path().string();
  if ((version != 0 && id != application_id) || (version == 0 && has_tables(db)))
    throw invalid_input("not an mpaas platform database (" + file + ")", file);
  if (version > latest) {
    throw failure("the platform database has schema version " + std::to_string(version) +
                      ", newer than this mpaas understands (" + std::to_string(latest) +
                      "); upgrade mpaas (" + file + ")",
                  file);
  }
}

// Whether the database is at this build's version, after refusing one that is not ours or
// newer. One read transaction for the pragmas: each statement outside a transaction would
// take and drop the WAL read lock on its own.
bool is_current(Database& db) {
  Transaction transaction(db, Transaction::Mode::read);
  check_readable_version(db);
  return pragma_integer(db, "PRAGMA user_version") == latest;
}

}  // namespace

int schema_version() {
  return latest;
}

void open_schema(Database& db) {
  // FULL syncs each commit (release data is not something to lose on a power cut).
  db.exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
  if (is_current(db))
    return;
  // WAL lets readers run beside the one writer. The mode is stored in the file, so it is set
  // once, when the database is created or migrated, not on every start.
  {
    Statement mode(db, "PRAGMA journal_mode=WAL");
    mode.step();
  }
  Transaction transaction(db, Transaction::Mode::write);
  // Another process may have migrated it meanwhile: decide again under the write lock.
  check_readable_version(db);
  auto version = pragma_integer(db, "PRAGMA user_version");
  for (auto step = version; step < latest; ++step)
    db.exec(migrations[step]);
  db.exec(("PRAGMA user_version=" + std::to_string(latest)).c_str());
  db.exec(("PRAGMA application_id=" + std::to_string(application_id)).c_str());
  transaction.commit();
}

const char* migration_sql(int version) {
  return version >= 1 && version <= latest ? migrations[version - 1] : nullptr;
}

}  // namespace mpaas::platform::local
