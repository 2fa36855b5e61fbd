#include "harness/history/sqlite.hpp"

#include <sqlite3.h>

#include <utility>

namespace exacheck::history {

connection::connection(const std::string& path, bool create) : m_path(path) {
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &m_db, flags, nullptr) != SQLITE_OK) {
    const std::string message = m_db ? sqlite3_errmsg(m_db) : "out of memory";
    sqlite3_close(m_db);
    m_db = nullptr;
    throw sqlite_error(path + ": cannot open the history database: " + message);
  }
  sqlite3_extended_result_codes(m_db, 1);
}

connection::~connection() {
  sqlite3_close_v2(m_db);
}

void connection::fail(std::string_view what) const {
  throw sqlite_error(m_path + ": " + std::string(what) + ": " + sqlite3_errmsg(m_db));
}

void connection::exec(std::string_view sql) {
  char* message = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string why = message ? message : sqlite3_errmsg(m_db);
    sqlite3_free(message);
    throw sqlite_error(m_path + ": " + why + " (in: " + text.substr(0, 60) + ")");
  }
}

statement connection::prepare(std::string_view sql) {
  sqlite3_stmt* handle = nullptr;
  if (sqlite3_prepare_v2(m_db, sql.data(), static_cast<int>(sql.size()), &handle, nullptr) != SQLITE_OK)
    fail("cannot prepare '" + std::string(sql.substr(0, 60)) + "'");
  return statement(*this, handle);
}

void connection::busy_timeout_ms(int milliseconds) {
  sqlite3_busy_timeout(m_db, milliseconds);
}

std::int64_t connection::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(m_db);
}

int connection::changes() const {
  return sqlite3_changes(m_db);
}

statement::statement(statement&& other) noexcept
    : m_owner(other.m_owner), m_handle(std::exchange(other.m_handle, nullptr)) {}

statement::~statement() {
  sqlite3_finalize(m_handle);
}

statement& statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(m_handle, index, value) != SQLITE_OK) m_owner->fail("cannot bind a value");
  return *this;
}

statement& statement::bind(int index, double value) {
  if (sqlite3_bind_double(m_handle, index, value) != SQLITE_OK) m_owner->fail("cannot bind a value");
  return *this;
}

statement& statement::bind(int index, std::string_view value) {
  if (sqlite3_bind_text(m_handle, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK)
    m_owner->fail("cannot bind a value");
  return *this;
}

statement& statement::bind(int index, std::optional<double> value) {
  return value ? bind(index, *value) : bind_null(index);
}

statement& statement::bind_null(int index) {
  if (sqlite3_bind_null(m_handle, index) != SQLITE_OK) m_owner->fail("cannot bind a value");
  return *this;
}

bool statement::step() {
  const int code = sqlite3_step(m_handle);
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  const std::string sql = sqlite3_sql(m_handle) ? sqlite3_sql(m_handle) : "";
  m_owner->fail("'" + sql.substr(0, 60) + "' failed");
}

void statement::run() {
  while (step()) {
  }
  reset();
}

void statement::reset() {
  sqlite3_reset(m_handle);
}

bool statement::is_null(int column) const {
  return sqlite3_column_type(m_handle, column) == SQLITE_NULL;
}

std::int64_t statement::integer(int column) const {
  return sqlite3_column_int64(m_handle, column);
}

double statement::real(int column) const {
  return sqlite3_column_double(m_handle, column);
}

std::string statement::text(int column) const {
  const auto* bytes = sqlite3_column_text(m_handle, column);
  return bytes ? std::string(reinterpret_cast<const char*>(bytes),
                             static_cast<std::size_t>(sqlite3_column_bytes(m_handle, column)))
               : std::string();
}

transaction::transaction(connection& db) : m_db(db) {
  m_db.exec("BEGIN IMMEDIATE");
}

transaction::~transaction() {
  if (m_open) {
    try {
      m_db.exec("ROLLBACK");
    } catch (...) {  // nothing more to do in a destructor: SQLite rolls back on close
    }
  }
}

void transaction::commit() {
  m_db.exec("COMMIT");
  m_open = false;
}

}  // namespace exacheck::history
