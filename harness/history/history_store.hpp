#pragma once
// Adding runs to the history database and removing old ones (docs/history.md).
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/history/history_db.hpp"

namespace exacheck::history {

// What tells a run apart in the history: "run-" and 16 hex digits of FNV-1a 64 over its plan (name and
// sha256), provenance (started_at, controller_host, command_line, the Slurm job) and a synthetic run's seed.
// The same run.json, wherever its directory is copied, is the same run.
std::string run_identity(const nlohmann::json& run);
// The UTC date the run started ("2026-11-24"): the night it belongs to.
std::string run_night(const nlohmann::json& run);
// What tells a device apart across runs: its GPU UUID, else "serial:<serial>", else "<host>/<kind>:<index>"
// (a CPU rank: its host and local rank, as analysis.devices gives them). Of an analysis.devices entry or a
// device_verdicts.gpus entry.
std::string device_key(const nlohmann::json& device);
// A point's params as the history keys them: nlohmann's compact dump (its object keys sorted).
std::string params_key(const nlohmann::json& params);

struct add_result {
  bool added = false;  // false: the run was in the history already (nothing changed)
  std::string run_id, night;
  std::size_t devices = 0;  // devices of the run
  std::size_t values = 0;   // device × metric × point rows written
};

// Adds a run (read_run_for_history, or the controller's document: its "cases" are not read) in one
// transaction: the run, its devices, its points' series and every device's value of every rank-scoped metric
// of analysis.metrics, with that device's outcome there. A run already there is left as it is.
add_result add_run(database& db, const nlohmann::json& run, const std::string& run_dir);

struct prune_result {
  std::size_t runs = 0;   // runs removed
  std::string kept_from;  // the earliest night kept ("" when the database is empty)
};

// Removes every run of a night more than `keep_days` days before the newest night in the database (not
// before today: a history not added to for a while keeps what it has), with its values, and the devices and
// series no run refers to any more.
prune_result prune(database& db, int keep_days);

}  // namespace exacheck::history
