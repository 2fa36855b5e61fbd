#pragma once
// `exacheck run`: expands a plan into cases, runs each in its own worker launch, evaluates verdicts after
// each case, keeps run.json current on disk, and renders the reports at the end (or when interrupted).
#include <optional>
#include <string>
#include <vector>

#include "harness/plan/hosts.hpp"

namespace exacheck {

struct run_options {
  std::string plan_file;
  std::string out_dir;                  // "" → runs/<plan>-<UTC timestamp>
  std::string system_file;              // "" → the plan's own
  std::vector<std::string> tags;        // only cases with any of these tags
  std::vector<std::string> case_names;  // only these cases
  std::optional<std::string> backend;   // overrides every case
  std::optional<std::string> launcher;
  std::optional<int> ranks;          // all_ranks (harness/plan/plan.hpp) for `--ranks all`
  std::optional<host_set> hosts;     // --hosts / --hostfile: mpirun's hosts for every case
  std::optional<int> cpus_per_node;  // --cpus-per-node
  bool dry_run = false;
  bool replace = false;       // a run directory that holds a run: remove its files first instead of refusing
  std::string history_file;   // --history: add the run to this database as it finishes ("" none)
  std::string prom_textfile;  // --prom-textfile: metrics.prom also written here, atomically ("" → not)
  std::vector<std::string> command_line;
};

// Returns the exit code (DESIGN.md): 0, 1, 2, 3 or 130.
int run_plan(const run_options& options);

// `exacheck validate`: loads and validates; prints the cases it would run. Returns 0 or 2.
int validate_plan(const std::string& plan_file, const std::string& system_file);

// `exacheck report RUN_DIR`: re-analyses RUN_DIR/run.json (with the rules stored in its "analysis", the z
// threshold overridden when given), saves it, and re-renders every report from it, holding the run
// directory's lock. A run whose controller died is completed when every case was recorded, and stays
// INCOMPLETE (naming the cases that never finished) when not. With `history_file`, report.md and report.html
// show the trend of the devices needing attention from that database (docs/history.md); a database that
// cannot be read is a warning, never a change of the exit code. With `prom_textfile`, metrics.prom is also
// published there (harness/controller/prom_textfile.hpp). Returns the verdict's exit code (0, 1, 3, 130), or 2
// for a usage error (no run.json, the directory in use).
int rerender_reports(const std::string& run_dir, std::optional<double> z_threshold = std::nullopt,
                     const std::string& history_file = "", const std::string& prom_textfile = "");

}  // namespace exacheck
