#pragma once
// What srun, slurmstepd and Open MPI's mpirun say when a launch fails, read back from a case's worker log
// into host + rank + cause, so that a failure names its node instead of "exited with status 143". Every form
// read here is quoted, with its source, in launcher_messages.cpp and in
// tests/unit/test_launcher_messages.cpp.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exacheck {

// One thing a launcher said about a failure.
struct launcher_finding {
  // signal | exit | out_of_memory | abort | mpi_abort | task_launch_failed | step_failed | node_failure |
  // daemon_lost | allocation_gone | mpi_init_failed | mpi_transport
  std::string cause;
  std::vector<std::string> hosts;  // the node(s) the message names as failing ("node[03-04]" expanded)
  std::vector<int> ranks;          // the ranks (srun's tasks) it names
  int signal = 0;                  // cause signal
  std::optional<int> exit_code;    // cause exit, mpi_abort (its errorcode)
  std::string detail;              // the launcher's own reason ("Communication connection failure")
  std::string message;             // the launcher's text, on one line
  // Ranks that srun or Open MPI stopped because another rank had failed first (srun's "task 0: Terminated"
  // after "Terminating StepId=5.0"): said, never the cause.
  bool consequence = false;
};

// Every finding in `log` (a worker log, or its tail), in the order the launcher printed them; lines it does
// not know are ignored. Reads at most the last 256 KiB.
std::vector<launcher_finding> parse_launcher_messages(std::string_view log);

// The finding that best explains the failure, or nullptr: the allocation gone, then a node failure, a lost
// daemon, a failed task launch, then the first rank that died of its own (signal, exit, OOM, abort), then an
// MPI_Init failure; consequences only when nothing else was said.
const launcher_finding* primary_finding(const std::vector<launcher_finding>& findings);

// Whether any finding says the Slurm allocation itself is gone (revoked, expired, cancelled, ended by a node
// failure): no later case can run in it.
bool says_allocation_gone(const std::vector<launcher_finding>& findings);

// A Slurm host list as srun prints it ("node04", "node[01-03,07]", "a1,b[2-3]") expanded to host names.
std::vector<std::string> expand_host_list(std::string_view list);
// A task list as srun prints it ("3", "0-1,5") as numbers; empty when malformed.
std::vector<int> expand_task_list(std::string_view list);

}  // namespace exacheck
