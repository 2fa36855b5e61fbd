#pragma once
// Where a case's ranks go and how many threads each gets, decided before anything runs (docs/plan-schema.md
// "Where the ranks run"):
// - inside a Slurm allocation (srun, or mpirun reading SLURM_* itself): ranks, ranks per node and CPUs per
//   task from the allocation; `ranks: all` is every task of it;
// - mpirun with hosts (plan `hosts:`/`hostfile:`, --hosts/--hostfile): the hosts' slots, and threads from
//   `cpus_per_node`, else the slots, else (a warning) the controller's own CPUs;
// - otherwise the controller's own node and CPUs, as a single-node launch always was.
// A layout the allocation or the hosts cannot give is a usage error naming the case: nothing runs.
#include <optional>
#include <string>
#include <vector>

#include "harness/controller/allocation.hpp"
#include "harness/controller/launcher.hpp"
#include "harness/plan/plan.hpp"

namespace exacheck {

// What the controller knows of the machine before it lays out any case.
struct launch_site {
  std::optional<slurm_allocation> allocation;  // read_slurm_allocation
  int controller_cpus = 1;                     // the CPUs this process may use (read_cpu_info().allowed_cpus)
};

struct launch_layout {
  int ranks = 1;             // all_ranks resolved
  int ranks_per_node = 0;    // the most ranks one node runs (0: unknown, the launcher's choice)
  int threads_per_rank = 1;  // OpenMP/BLAS threads, and the CPUs bound to each rank
  // The hosts the launch spans and each must report (a node of them without a rank record for the case is
  // MISSING in the analysis); empty when the launcher picks the nodes (fewer ranks than the allocation).
  std::vector<std::string> expected_hosts;
  std::optional<std::string> warning;  // one line, printed before the run (an assumption it had to make)
  launch_request request;              // everything but the worker argv
};

// Lays out case `c` (its launcher, ranks, ranks_per_node, hosts, cpus_per_node, launcher_args) on `site`.
// Throws usage_error naming the case when the layout cannot be given.
launch_layout lay_out_case(const expanded_case& c, const launch_site& site);

// The hosts of every layout that names them, each once, in first-seen order: run.json's
// provenance.expected_hosts.
std::vector<std::string> expected_hosts_of(const std::vector<launch_layout>& layouts);

}  // namespace exacheck
