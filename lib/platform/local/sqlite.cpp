// RAII over the SQLite C API (see sqlite.hpp).
#include "sqlite.hpp"

#include "mpaas/core/error.hpp"

namespace mpaas::platform::local {
namespace {

// Most platform commands are one short process, so SQLite's start-up is part of every call.
// By default each connection allocates and touches page-cache memory for 20 pages up front
// (about 20 page faults before the first query); a command reads a handful of pages, so the
// cache grows on demand instead. Must run before SQLite initialises; a later call is refused
// by SQLite and changes nothing.
void configure_sqlite_once() {
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0);
    return true;
  }();
  (void)configured;
}

}  // namespace

Database::Database(const std::filesystem::path& path, bool create, int busy_ms) : m_path(path) {
  configure_sqlite_once();
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int code = sqlite3_open_v2(path.c_str(), &m_db, flags, nullptr);
  if (code != SQLITE_OK) {
    std::string message = m_db ? sqlite3_errmsg(m_db) : sqlite3_errstr(code);
    sqlite3_close_v2(m_db);
    m_db = nullptr;
    throw failure("cannot open the platform database: " + message + " (" + path.string() + ")",
                  path.string());
  }
  sqlite3_extended_result_codes(m_db, 1);
  sqlite3_busy_timeout(m_db, busy_ms);
}

Database::~Database() {
  for (auto* statement : m_kept)
    sqlite3_finalize(statement);
  sqlite3_close_v2(m_db);
}

void Database::run(Kept which) {
  static const char* const sql[] = {"BEGIN DEFERRED", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"};
  auto index = static_cast<size_t>(which);
  auto*& statement = m_kept[index];
  if (!statement) {
    int code = sqlite3_prepare_v2(m_db, sql[index], -1, &statement, nullptr);
    if (code != SQLITE_OK)
      fail(code, sqlite3_errmsg(m_db));
  }
  int code = sqlite3_step(statement);
  sqlite3_reset(statement);
  if (code != SQLITE_DONE)
    fail(code, sqlite3_errmsg(m_db));
}

void Database::exec(const char* sql) {
  char* message = nullptr;
  int code = sqlite3_exec(m_db, sql, nullptr, nullptr, &message);
  if (code != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errstr(code);
    sqlite3_free(message);
    fail(code, text);
  }
}

int64_t Database::changes() const {
  return sqlite3_changes64(m_db);
}

void Database::fail(int code, const std::string& what) const {
  std::string file = m_path.string();
  switch (code & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      throw invalid_input("the platform database is corrupt or not a database (" + file + ")",
                          file);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw conflict("the platform database stayed locked by another process (" + file + ")", file);
    case SQLITE_FULL:
      throw failure("no space left for the platform database (" + file + ")", file);
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      throw failure("cannot write the platform database (" + file + ")", file);
    default:
      throw failure("platform database error: " + what + " (" + file + ")", file);
  }
}

Statement::Statement(Database& db, const char* sql) : m_db(db) {
  int code =
      sqlite3_prepare_v3(db.handle(), sql, -1, SQLITE_PREPARE_PERSISTENT, &m_statement, nullptr);
  if (code != SQLITE_OK)
    db.fail(code, sqlite3_errmsg(db.handle()));
}

Statement::~Statement() {
  sqlite3_finalize(m_statement);
}

Statement& Statement::bind(int index, const std::string& text) {
  int code = sqlite3_bind_text(m_statement, index, text.data(), static_cast<int>(text.size()),
                               SQLITE_TRANSIENT);
  if (code != SQLITE_OK)
    m_db.fail(code, sqlite3_errmsg(m_db.handle()));
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  int code = sqlite3_bind_int64(m_statement, index, value);
  if (code != SQLITE_OK)
    m_db.fail(code, sqlite3_errmsg(m_db.handle()));
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(m_statement, index);
  return *this;
}

bool Statement::step() {
  int code = sqlite3_step(m_statement);
  if (code == SQLITE_ROW)
    return true;
  if (code == SQLITE_DONE)
    return false;
  std::string message = sqlite3_errmsg(m_db.handle());
  sqlite3_reset(m_statement);
  m_db.fail(code, message);
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(m_statement);
  sqlite3_clear_bindings(m_statement);
}

std::string Statement::text(int column) const {
  auto* data = reinterpret_cast<const char*>(sqlite3_column_text(m_statement, column));
  if (data == nullptr)
    return "";
  return std::string(data, static_cast<size_t>(sqlite3_column_bytes(m_statement, column)));
}

int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(m_statement, column);
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(m_statement, column) == SQLITE_NULL;
}

Transaction::Transaction(Database& db, Mode mode) : m_db(db) {
  db.run(mode == Mode::write ? Database::Kept::begin_write : Database::Kept::begin_read);
}

Transaction::~Transaction() {
  if (!m_open)
    return;
  try {
    m_db.run(Database::Kept::rollback);
  } catch (const std::exception&) {
    // Nothing to do in a destructor: SQLite rolls back a failed transaction itself.
  }
}

void Transaction::commit() {
  m_db.run(Database::Kept::commit);
  m_open = false;
}

}  // namespace mpaas::platform::local
