#include "harness/history/history_reports.hpp"

#include <fmt/core.h>

#include <cstdio>

#include "harness/history/history_query.hpp"
#include "harness/history/history_store.hpp"

namespace exacheck::history {

nlohmann::json history_for_reports(const std::string& database_path, const nlohmann::json& run,
                                   const std::string& run_dir, bool add) {
  try {
    database db(database_path, add);
    if (add) {
      const auto added = add_run(db, run, run_dir);
      if (added.added)
        fmt::print("history: added {} (night {}, {} device(s), {} value(s)) to {}\n", added.run_id,
                   added.night, added.devices, added.values, db.path());
      else
        fmt::print("history: {} is in {} already: nothing added\n", added.run_id, db.path());
    }
    return trend_for_run(db, run);
  } catch (const std::exception& e) {
    fmt::print(
        stderr, "exacheck: warning: history {}: {}; the run's results and exit code are unchanged{}\n",
        database_path, e.what(),
        add ? fmt::format(" (add it later: exacheck history add {} --db {})", run_dir, database_path) : "");
    return nullptr;
  }
}

}  // namespace exacheck::history
