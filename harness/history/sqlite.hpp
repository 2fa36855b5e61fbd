#pragma once
// A thin RAII layer over SQLite's C API (Debian's libsqlite3): a connection, a prepared statement and a
// transaction, each closing what it opened, and every failure a sqlite_error naming the database file and
// SQLite's own message. Only what the history database (harness/history/history_db.hpp) uses.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace exacheck::history {

// A failure of SQLite: what was being done, the file, and SQLite's message.
class sqlite_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class statement;

class connection {
 public:
  // Opens (and with `create`, creates) the database file at `path`. Throws sqlite_error naming it.
  connection(const std::string& path, bool create);
  connection(const connection&) = delete;  // owns the handle: a copy would close it twice
  connection& operator=(const connection&) = delete;
  ~connection();

  // Runs one or more statements without results (DDL, PRAGMA, BEGIN/COMMIT).
  void exec(std::string_view sql);
  statement prepare(std::string_view sql);
  // How long a writer waits for another's lock before SQLITE_BUSY.
  void busy_timeout_ms(int milliseconds);
  std::int64_t last_insert_rowid() const;
  int changes() const;
  const std::string& path() const { return m_path; }
  // "FILE: what: SQLite's message": what every error of this connection says.
  [[noreturn]] void fail(std::string_view what) const;

 private:
  friend class statement;
  std::string m_path;
  sqlite3* m_db = nullptr;
};

class statement {
 public:
  statement(statement&& other) noexcept;
  statement& operator=(statement&&) = delete;
  statement(const statement&) = delete;  // owns the handle
  ~statement();

  // Parameters by position, from 1 as SQLite counts them; each returns *this for chaining.
  statement& bind(int index, std::int64_t value);
  statement& bind(int index, double value);
  statement& bind(int index, std::string_view value);
  statement& bind(int index, std::optional<double> value);  // nullopt: NULL
  statement& bind_null(int index);
  // True while a row is there to read, false when done.
  bool step();
  // Runs a statement without results to its end.
  void run();
  void reset();  // for the next bind/step, keeping the bound values until rebound

  bool is_null(int column) const;
  std::int64_t integer(int column) const;
  double real(int column) const;
  std::string text(int column) const;  // "" for NULL

 private:
  friend class connection;
  statement(const connection& owner, sqlite3_stmt* handle) : m_owner(&owner), m_handle(handle) {}
  const connection* m_owner;
  sqlite3_stmt* m_handle;
};

// BEGIN IMMEDIATE on construction (the write lock taken at once, so that two writers queue on the busy
// time-out instead of one failing at its first write), ROLLBACK unless commit() was called.
class transaction {
 public:
  explicit transaction(connection& db);
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();
  void commit();

 private:
  connection& m_db;
  bool m_open = true;
};

}  // namespace exacheck::history
