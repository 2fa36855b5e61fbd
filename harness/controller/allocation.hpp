#pragma once
// The Slurm allocation the controller runs in (inside salloc or sbatch: SLURM_JOB_ID is set), read from the
// SLURM_* variables alone, so that the controller needs neither scontrol nor to run on a compute node. Every
// size of a launch inside it comes from here (harness/controller/launch_layout.hpp): ranks, ranks per node,
// CPUs per task. A malformed value is a usage error naming the variable and the value, never a guess.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/controller/environment.hpp"

namespace exacheck {

struct slurm_allocation {
  std::string job_id;
  std::string partition;             // SLURM_JOB_PARTITION; "" when unset
  std::string node_list;             // as Slurm wrote it: "node[01-04]"
  std::vector<std::string> nodes;    // expanded, in Slurm's order
  std::vector<int> tasks_per_node;   // one per node
  std::vector<int> cpus_per_node;    // one per node: the job's CPUs there (not the node's)
  std::optional<int> cpus_per_task;  // SLURM_CPUS_PER_TASK, when the job asked for it (-c)
  int tasks = 0;                     // SLURM_NTASKS, else the sum of tasks_per_node

  // Every node has the same number of tasks: that number; 0 when they differ.
  int uniform_tasks_per_node() const;
  // CPUs each task may use on every node: SLURM_CPUS_PER_TASK, else the least over the nodes of the node's
  // CPUs / its tasks (at least 1), so that `srun --cpus-per-task` never asks for more than the job has.
  int cpus_for_each_task() const;
};

// The allocation, or nullopt outside one (SLURM_JOB_ID unset). Reads SLURM_JOB_ID, SLURM_JOB_PARTITION,
// SLURM_JOB_NODELIST (else SLURM_NODELIST), SLURM_JOB_NUM_NODES (else SLURM_NNODES; checked against the node
// list), SLURM_TASKS_PER_NODE (else SLURM_NTASKS_PER_NODE on every node, else SLURM_NTASKS spread as Slurm's
// block distribution does, else 1 per node), SLURM_NTASKS, SLURM_JOB_CPUS_PER_NODE (else SLURM_CPUS_ON_NODE
// on every node), SLURM_CPUS_PER_TASK. Throws usage_error naming the variable and its value when one is
// malformed or they disagree.
std::optional<slurm_allocation> read_slurm_allocation(
    const environment_lookup& environment = process_environment);

// Slurm's compressed counts, one per node: "4(x2),2" → 4, 4, 2; "2(x4)" → 2, 2, 2, 2. Throws usage_error
// naming `variable` and the text when malformed.
std::vector<int> expand_slurm_counts(std::string_view text, std::string_view variable);

// Slurm's host list expressions: "node[01-04,07],gpu5" → node01 … node04, node07, gpu5; zero padding is kept
// from the range's first number ("n[8-10]" → n8, n9, n10; "n[08-10]" → n08, n09, n10); several brackets in
// one name multiply ("r[1-2]n[1-2]" → r1n1, r1n2, r2n1, r2n2), as `scontrol show hostnames` does. Throws
// usage_error naming `variable` and the text when malformed (unbalanced brackets, an empty or reversed range,
// more than max_hostlist_hosts hosts).
std::vector<std::string> expand_hostlist(std::string_view text, std::string_view variable);
inline constexpr std::size_t max_hostlist_hosts = 1000000;

}  // namespace exacheck
