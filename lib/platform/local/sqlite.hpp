// A thin RAII layer over the SQLite C API for the embedded platform (private to local/).
// Every SQLite failure becomes an mpaas::Error: a corrupt or foreign file is invalid input,
// a lock held past the busy timeout a conflict, anything else a failure; all name the file.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace mpaas::platform::local {

class Database {
 public:
  // Opens `path` read-write, creating it when `create`; waits up to `busy_ms` for locks.
  Database(const std::filesystem::path& path, bool create, int busy_ms);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const char* sql);
  // The transaction statements, prepared once per connection: a check is one short read
  // transaction, and parsing BEGIN and its end again each time was a tenth of its cost.
  enum class Kept { begin_read, begin_write, commit, rollback };
  void run(Kept statement);
  int64_t changes() const;
  sqlite3* handle() const { return m_db; }
  const std::filesystem::path& path() const { return m_path; }
  // Throws the Error that `code` deserves, with `what` and SQLite's message.
  [[noreturn]] void fail(int code, const std::string& what) const;

 private:
  sqlite3* m_db = nullptr;
  std::filesystem::path m_path;
  sqlite3_stmt* m_kept[4] = {};
};

class Statement {
 public:
  Statement(Database& db, const char* sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds are 1-based like SQLite's.
  Statement& bind(int index, const std::string& text);
  Statement& bind(int index, int64_t value);
  Statement& bind_null(int index);
  // One step: true when a row is available.
  bool step();
  // Steps to completion (INSERT, UPDATE, DELETE).
  void run();
  void reset();

  std::string text(int column) const;
  int64_t integer(int column) const;
  bool is_null(int column) const;

 private:
  Database& m_db;
  sqlite3_stmt* m_statement = nullptr;
};

// BEGIN IMMEDIATE (a writer: takes the write lock up front, so two writers queue instead of
// one failing on upgrade) or BEGIN DEFERRED (a reader's consistent snapshot); rolled back
// unless committed.
class Transaction {
 public:
  enum class Mode { read, write };
  Transaction(Database& db, Mode mode);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& m_db;
  bool m_open = true;
};

}  // namespace mpaas::platform::local
