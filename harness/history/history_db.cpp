#include "harness/history/history_db.hpp"

#include <fmt/core.h>

#include <array>
#include <cstdlib>
#include <filesystem>

#include "harness/core/errors.hpp"

namespace exacheck::history {
namespace {

namespace fs = std::filesystem;

// Version 1, as the first exacheck with a history wrote it. Kept as it was: a database of that version is
// migrated from it.
constexpr const char* schema_v1 = R"sql(
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL UNIQUE,
  plan TEXT, system TEXT, started_at TEXT, finished_at TEXT, slurm_job TEXT, hosts TEXT,
  verdict TEXT, exit_code INTEGER, run_dir TEXT, synthetic INTEGER NOT NULL DEFAULT 0, added_at TEXT);
CREATE TABLE devices(
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  kind TEXT, uuid TEXT, serial TEXT, name TEXT);
CREATE TABLE series(
  id INTEGER PRIMARY KEY,
  case_id TEXT NOT NULL, params TEXT NOT NULL, metric TEXT NOT NULL, statistic TEXT NOT NULL,
  unit TEXT NOT NULL, benchmark TEXT, case_name TEXT, better TEXT,
  UNIQUE(case_id, params, metric, statistic, unit));
CREATE TABLE run_devices(
  run INTEGER NOT NULL, device INTEGER NOT NULL, host TEXT, gpu INTEGER, verdict TEXT,
  PRIMARY KEY(run, device)) WITHOUT ROWID;
CREATE TABLE measurements(
  run INTEGER NOT NULL, device INTEGER NOT NULL, series INTEGER NOT NULL, value REAL, outcome TEXT,
  PRIMARY KEY(run, device, series)) WITHOUT ROWID;
)sql";

// 1 → 2: the night a run belongs to (its UTC start date), filled in for the runs already there.
constexpr const char* migrate_v1_to_v2 = R"sql(
ALTER TABLE runs ADD COLUMN night TEXT;
UPDATE runs SET night = substr(started_at, 1, 10);
CREATE INDEX runs_by_night ON runs(night);
)sql";

// Step i brings a database of version i to i + 1 (0: an empty file).
constexpr std::array<const char*, schema_version> migrations = {schema_v1, migrate_v1_to_v2};

int user_version(connection& db) {
  auto query = db.prepare("PRAGMA user_version");
  query.step();
  return static_cast<int>(query.integer(0));
}

void refuse_newer(const std::string& path, int version) {
  if (version > schema_version)
    throw usage_error(fmt::format(
        "{}: the history database has schema version {}, newer than this exacheck's {}: it was written by "
        "a newer exacheck; use that one (it is never downgraded)",
        path, version, schema_version));
}

const char* environment(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}

}  // namespace

std::string default_database_path() {
  if (const char* explicit_path = environment("EXACHECK_HISTORY")) return explicit_path;
  if (const char* data = environment("XDG_DATA_HOME"))
    return (fs::path(data) / "exacheck" / "history.sqlite").string();
  if (const char* home = environment("HOME"))
    return (fs::path(home) / ".local" / "share" / "exacheck" / "history.sqlite").string();
  throw usage_error(
      "no history database given: pass --db FILE, or set EXACHECK_HISTORY (or XDG_DATA_HOME or HOME)");
}

database::database(const std::string& path, bool create)
    : m_db([&] {
        std::error_code ignored;
        if (!create && !fs::exists(path, ignored))
          throw usage_error(
              fmt::format("{}: no history database there (exacheck history add creates one)", path));
        if (create && fs::path(path).has_parent_path())
          fs::create_directories(fs::path(path).parent_path(), ignored);
        return connection(path, create);
      }()) {
  m_db.busy_timeout_ms(busy_timeout_ms);
  // WAL: readers never wait for a writer, and a writer appends to the log instead of rewriting pages in
  // place. Where it is not available (some network file systems) SQLite keeps its rollback journal: still
  // correct, writers only wait longer.
  m_db.exec("PRAGMA journal_mode=WAL");
  m_db.exec("PRAGMA synchronous=NORMAL");  // in WAL mode: durable at each checkpoint, never corrupt
  m_opened_version = user_version(m_db);
  refuse_newer(path, m_opened_version);
  if (m_opened_version == schema_version) return;
  // One migrator at a time: the write lock first, then the version again (another process may have just
  // created or migrated the file).
  transaction migrate(m_db);
  int version = user_version(m_db);
  refuse_newer(path, version);
  for (; version < schema_version; ++version) m_db.exec(migrations[static_cast<std::size_t>(version)]);
  m_db.exec(fmt::format("PRAGMA user_version = {}", schema_version));
  migrate.commit();
}

}  // namespace exacheck::history
