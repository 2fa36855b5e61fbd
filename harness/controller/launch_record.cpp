#include "harness/controller/launch_record.hpp"

#include <filesystem>
#include <set>

#include "harness/io/files.hpp"

namespace exacheck {

namespace {
bool is_threading_variable(const std::string& name) {
  for (const char* prefix : {"OMP_", "GOMP_", "KMP_", "OPENBLAS_", "MKL_", "BLIS_"})
    if (name.starts_with(prefix)) return true;
  return false;
}
}  // namespace

nlohmann::json slurm_job_json(const std::optional<slurm_allocation>& allocation) {
  if (!allocation) return nullptr;
  const slurm_allocation& a = *allocation;
  return {{"job_id", a.job_id},
          {"partition", a.partition.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.partition)},
          {"node_list", a.node_list},
          {"nodes", a.nodes},
          {"node_count", a.nodes.size()},
          {"tasks", a.tasks},
          {"tasks_per_node", a.tasks_per_node},
          {"cpus_per_node", a.cpus_per_node},
          {"cpus_per_task", a.cpus_per_task ? nlohmann::json(*a.cpus_per_task) : nlohmann::json(nullptr)}};
}

nlohmann::json case_launch_json(const launch_command& command, const launch_layout& layout,
                                const std::map<std::string, std::string>& inherited) {
  std::map<std::string, std::string> environment = inherited;
  for (const auto& [name, value] : command.environment) environment[name] = value;
  const launch_request& r = layout.request;
  // The workers' threading: what this launch sets, what the controller's environment said, and which of the
  // latter the former replaced (OMP_PROC_BIND=true from the site, false for the worker).
  nlohmann::json threading = {{"set", worker_threading_environment(r.threads_per_rank)},
                              {"inherited", nlohmann::json::object()},
                              {"overridden", nlohmann::json::array()}};
  for (const auto& [name, value] : inherited) {
    if (!is_threading_variable(name)) continue;
    threading["inherited"][name] = value;
    if (threading["set"].contains(name) && threading["set"][name] != value)
      threading["overridden"].push_back(name);
  }
  return {{"argv", command.argv},
          {"environment", environment},
          {"threading", std::move(threading)},
          {"rerun", rerun_line(environment, command.argv)},
          {"ranks_per_node",
           layout.ranks_per_node > 0 ? nlohmann::json(layout.ranks_per_node) : nlohmann::json(nullptr)},
          {"threads_per_rank", layout.threads_per_rank},
          {"hosts", r.hosts.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.hosts)},
          {"hostfile", r.hostfile.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.hostfile)}};
}

std::vector<std::string> reported_hosts(const std::string& result_file, const std::string& case_id,
                                        const std::string& token) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(result_file, error)) return {};
  nlohmann::json result;
  try {
    result = parse_json_file(result_file);
  } catch (const std::exception&) {
    return {};  // the case's own accounting says why
  }
  if (!result.is_object() || result.value("case_id", nlohmann::json()) != case_id ||
      result.value("token", nlohmann::json()) != token)
    return {};
  std::set<std::string> hosts;
  const auto records = result.find("rank_results");
  if (records == result.end() || !records->is_array()) return {};
  for (const auto& r : *records)
    if (r.is_object())
      if (const auto host = r.find("host"); host != r.end() && host->is_string() && !host->empty())
        hosts.insert(host->get<std::string>());
  return {hosts.begin(), hosts.end()};
}

}  // namespace exacheck
