#pragma once
// What run.json records of where a run's cases ran (docs/run-json.md "Launches and hosts"): the Slurm job at
// run level (provenance.slurm), and per case the launch as it was exec'd (argv, the environment the launcher
// was given, a rerun line) and the hosts that reported.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/controller/allocation.hpp"
#include "harness/controller/launch_layout.hpp"
#include "harness/controller/launcher.hpp"

namespace exacheck {

// provenance.slurm: {job_id, partition, node_list, nodes, node_count, tasks, tasks_per_node, cpus_per_node,
// cpus_per_task}; null outside an allocation.
nlohmann::json slurm_job_json(const std::optional<slurm_allocation>& allocation);

// A case's `launch`: {argv, environment, rerun, ranks_per_node, threads_per_rank, hosts, hostfile}.
// `environment` is what the launcher was given beyond the controller's own environment's ordinary variables:
// exacheck's additions (command.environment) over `inherited` (launch_relevant_environment()).
nlohmann::json case_launch_json(const launch_command& command, const launch_layout& layout,
                                const std::map<std::string, std::string>& inherited);

// The hosts that sent a rank record in the launch's result file (sorted, each once), whatever the case's
// outcome; empty when there is no result file, or it is not this launch's (case id and token).
std::vector<std::string> reported_hosts(const std::string& result_file, const std::string& case_id,
                                        const std::string& token);

}  // namespace exacheck
