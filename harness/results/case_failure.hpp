#pragma once
// Why a case's launch ended without a result, named by host, rank and cause: read from how the launcher ended
// (process_result), what it printed (harness/results/launcher_messages.hpp) and how far each rank got
// (harness/results/rank_progress.hpp). The reason sentence becomes the case's message; the structured form is
// run.json's case `failure` (docs/run-json.md).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/results/process_result.hpp"
#include "harness/results/rank_progress.hpp"

namespace exacheck {

// What the controller knows of a launch besides its end and its log.
struct failure_evidence {
  std::string progress_dir;  // the case's progress files ("": none)
  double timeout_s = 0;      // the case's limit
  std::string launcher;      // mpirun | srun | local: who printed the log and exited
};

// Ranks that did not finish, grouped by host and what they were doing.
struct unfinished_ranks {
  std::vector<int> ranks;
  std::string host;   // "" when never started (no progress file)
  std::string phase;  // rank_progress phase, or "not_started"
  int point = 0, points = 0;
  std::string description;  // "measuring point 4/9", "never started"
};

struct case_failure {
  // signal | exit | out_of_memory | abort | mpi_abort | task_launch_failed | step_failed | node_failure |
  // daemon_lost | allocation_gone | mpi_init_failed | mpi_transport | timeout | launcher_not_started |
  // no_result
  std::string cause;
  std::vector<std::string> hosts;  // the hosts to blame, bad ones first
  std::vector<int> ranks;          // the ranks to blame
  std::string signal;              // "SIGSEGV", when a signal ended a rank or the launcher
  std::optional<int> exit_status;  // the launcher's, when it exited
  std::string launcher_message;    // the launcher's line the cause was read from
  std::string reason;              // the sentence for the case's message
  bool before_measuring = false;   // no rank began measuring: a launch or MPI_Init failure (retried)
  bool allocation_gone = false;    // the launcher said the Slurm allocation is gone
  std::vector<unfinished_ranks> not_finished;
  double elapsed_s = 0, timeout_s = 0;
};

nlohmann::json to_json(const case_failure& failure);

// The failure of a launch that ended as `ended` and left no usable result: timed out, signalled, exited
// without a result, or never started. `log` is its worker log (or its tail), `progress` its ranks' files,
// `ranks_expected` the ranks launched.
case_failure describe_failure(const process_result& ended, std::string_view log,
                              const std::vector<rank_progress>& progress, int ranks_expected,
                              const failure_evidence& evidence);

// The same, reading the last 256 KiB of `log_file` and the progress files in evidence.progress_dir.
case_failure describe_failure_from_files(const process_result& ended, const std::string& log_file,
                                         int ranks_expected, const failure_evidence& evidence);

// One `failed_ranks` entry per blamed rank or host (verdicts.hpp failed_rank's shape: rank, host, kind, gpu,
// uuid, reason), so that the analysis names the nodes (reports/analysis/device_attribution.cpp).
nlohmann::json failed_ranks_of(const case_failure& failure);

}  // namespace exacheck
