#pragma once
// `exacheck node-check`: the node check for Slurm's hooks (HealthCheckProgram, Prolog, Epilog;
// docs/operations.md). Runs a plan (the shipped configs/plans/node-check.yaml by default) on this node only,
// never through the job around it, writes the run under OUT_ROOT/<host>/<UTC time>, prints nothing when the
// node passes and one NHC-style line when it does not, and exits with the run's code (0 pass; non-zero is
// what a Slurm prolog or epilog drains the node on).
#include <optional>
#include <string>
#include <vector>

namespace exacheck {

inline constexpr const char* default_node_check_root = "/var/lib/exacheck/node-check";

struct node_check_options {
  std::string plan_file;                           // "" → the shipped node-check.yaml (shipped_plan_file)
  std::string system_file;                         // "" → the plan's own
  std::string out_root = default_node_check_root;  // runs go to <out_root>/<host>/<YYYYmmddTHHMMSSZ>
  std::optional<int> ranks;                        // "" → one per visible GPU, else the plan's
  std::optional<std::string> backend;
  std::string prom_textfile;  // as `run --prom-textfile`
  std::vector<std::string> command_line;
};

// What a Slurm hook's environment says about the job (SLURM_*, and the PMI/PMIx variables of a job step),
// removed from this process's environment so that neither the controller nor mpirun takes the job's
// allocation for this node's: in a prolog SLURM_JOB_NODELIST is the whole job's. Returns the names removed.
std::vector<std::string> forget_the_job_around_us();

// <out_root>/<host>/<YYYYmmddTHHMMSSZ> for `utc_timestamp` ("2026-11-24T08:00:00Z"), with "-2", "-3", … when
// that directory exists already (a prolog and an epilog in the same second).
std::string node_check_run_dir(const std::string& out_root, const std::string& host,
                               const std::string& utc_timestamp);

int run_node_check(const node_check_options& options);

}  // namespace exacheck
