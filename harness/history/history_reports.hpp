#pragma once
// The history for `exacheck run --history FILE` and `exacheck report RUN_DIR --history FILE`
// (docs/history.md "With run and report").
#include <nlohmann/json.hpp>
#include <string>

namespace exacheck::history {

// With `add` (run), adds the analysed run to the database at `database_path` (created when absent), then
// returns the trend of its devices needing attention (trend_for_run) for the reports' "history_trend", or
// null when there is none. Never throws: the run's results come first, so a database that cannot be opened,
// read or written is a warning on stderr naming it, and the caller's exit code stays the run's.
nlohmann::json history_for_reports(const std::string& database_path, const nlohmann::json& run,
                                   const std::string& run_dir, bool add);

}  // namespace exacheck::history
