#pragma once
// The history database (docs/history.md): every run added to it and every device's value per metric and
// point, in SQLite. This header opens it: creates the schema, migrates an older one step by step, refuses a
// newer one; sets WAL and a busy time-out so that many nightly jobs can add to one file at once.
#include <string>

#include "harness/history/sqlite.hpp"

namespace exacheck::history {

// The schema this exacheck writes (PRAGMA user_version). 1: runs, devices, series, run_devices,
// measurements; 2: runs.night (the UTC date a run started, what `show` and `drift` group by) and its index.
inline constexpr int schema_version = 2;
// How long a writer waits for another's write lock: nightly jobs of a whole machine may finish together.
inline constexpr int busy_timeout_ms = 120'000;

// The default database: $EXACHECK_HISTORY when set and not empty, else
// $XDG_DATA_HOME/exacheck/history.sqlite, else $HOME/.local/share/exacheck/history.sqlite. Throws usage_error
// when none of them can be formed.
std::string default_database_path();

class database {
 public:
  // Opens the database at `path`, creating it (and its folder) when absent and `create` is true; brings an
  // older schema to schema_version in steps, each in one transaction. A schema newer than this exacheck's
  // is refused (usage_error naming the file and both versions), never downgraded. A missing file without
  // `create` is a usage_error.
  database(const std::string& path, bool create = true);
  connection& sql() { return m_db; }
  const std::string& path() const { return m_db.path(); }
  // The schema version the file had when opened (0: created now).
  int opened_version() const { return m_opened_version; }

 private:
  connection m_db;
  int m_opened_version = 0;
};

}  // namespace exacheck::history
