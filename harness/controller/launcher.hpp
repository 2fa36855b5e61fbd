#pragma once
// Builds the argv that starts a case's worker ranks. The argv is a vector exec'd directly: plans are data and
// never pass through a shell.
#include <map>
#include <string>
#include <vector>

namespace exacheck {

struct launch_request {
  std::string launcher = "mpirun";  // local | mpirun | srun
  int ranks = 1;
  int ranks_per_node = 0;  // 0: as many as fit (mpirun: all on this node)
  int threads_per_rank = 1;
  int cpus_on_node = 1;                  // for mpirun's oversubscription decision
  std::vector<std::string> worker_argv;  // {"/path/exacheck", "worker", "--case", "..."}
};

struct launch_command {
  std::vector<std::string> argv;
  std::map<std::string, std::string> environment;  // added to the controller's environment
};

// Throws usage_error when the request cannot be launched (e.g. local with more than one rank).
launch_command build_launch_command(const launch_request& request);

// How many OpenMP/BLAS threads each rank gets: the node's CPUs shared by the ranks on it, at least 1.
int threads_per_rank(int cpus_on_node, int ranks_on_node);

// The argv as a copy-pasteable shell line (for --dry-run and logs), quoting what needs it.
std::string shell_quote(const std::vector<std::string>& argv);

}  // namespace exacheck
