#pragma once
// `exacheck drain` and `exacheck resume` (docs/drain.md): the Slurm commands that take failing nodes out of
// service and give fixed ones back, printed by default and run with --apply. The rules are
// harness/controller/drain.hpp's; this asks Slurm (sinfo) for the nodes' states and runs scontrol.
#include <optional>
#include <string>
#include <vector>

#include "harness/controller/merge_command.hpp"

namespace exacheck {

struct drain_options {
  std::string run_dir;         // one run, or
  merge_report_options merge;  // --merge RUN_DIR… (with --expected-nodes / --expected-file)
  bool apply = false;          // run the commands; without it they are printed
  std::string on;              // --on FAIL,INCORRECT ("": the default)
  std::optional<int> max_nodes;
  std::optional<double> max_percent;
};

// Returns drain_exit: 0 no failing node, 1 failing nodes (drained, proposed or already out), 2 usage,
// 3 --apply but Slurm could not be asked or a command failed, 4 cap exceeded (nothing drained).
int run_drain(const drain_options& options);

// Returns 0 (resumed, proposed, or nothing to resume), 2 usage, 3 Slurm could not be asked or a command
// failed.
int run_resume(const drain_options& options);

}  // namespace exacheck
