#include "harness/controller/gpu_preflight.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>

#include "harness/core/errors.hpp"
#include "harness/node/gpu_runtime.hpp"

namespace exacheck {
namespace {

// A whole non-negative count ("2"), nullopt for anything else.
std::optional<int> count_in(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  int value = -1;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || value < 0) return std::nullopt;
  return value;
}

int ranks_on_this_node(const expanded_case& c) {
  return c.ranks_per_node > 0 ? std::min(c.ranks_per_node, c.ranks) : c.ranks;
}

// The shipped one-GPU plan beside `plan_file` (configs/plans/ in the source tree,
// share/exacheck/configs/plans/ where installed); "" when `plan_file` is that plan.
std::string one_gpu_plan_beside(const std::string& plan_file) {
  namespace fs = std::filesystem;
  const fs::path beside = fs::path(plan_file).parent_path() / "one-gpu.yaml";
  if (fs::path(plan_file).filename() == "one-gpu.yaml") return "";
  std::error_code missing;
  return fs::is_regular_file(beside, missing) ? beside.string() : "configs/plans/one-gpu.yaml";
}

}  // namespace

std::optional<std::string> process_environment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  return value ? std::optional<std::string>(value) : std::nullopt;
}

bool launch_stays_on_this_node(const std::string& launcher, const environment_lookup& environment) {
  if (launcher == "local") return true;
  if (launcher != "mpirun") return false;  // srun (see the header): the controller's node is not the point
  // Open MPI's mpirun inside a batch allocation starts ranks on the allocation's nodes.
  for (const char* nodes : {"SLURM_JOB_NUM_NODES", "SLURM_NNODES"})
    if (const auto count = count_in(environment(nodes)); count && *count > 1) return false;
  for (const char* hosts :
       {"PBS_NODEFILE", "LSB_DJOB_HOSTFILE", "LSB_HOSTS", "OMPI_MCA_orte_default_hostfile",
        "OMPI_MCA_prte_default_hostfile", "PRTE_MCA_prte_default_hostfile"})
    if (environment(hosts)) return false;
  return true;
}

std::vector<gpu_shortfall> find_gpu_shortfalls(const std::vector<expanded_case>& cases, int visible_gpus,
                                               const environment_lookup& environment) {
  std::vector<gpu_shortfall> found;
  for (const auto& c : cases) {
    const bool cuda_here = c.backend == "cuda" || (c.backend == "auto" && visible_gpus > 0);
    // mpirun given hosts starts its ranks there, not here.
    if (!cuda_here || c.allow_gpu_sharing || ranks_on_this_node(c) <= visible_gpus || !c.hosts.empty() ||
        !launch_stays_on_this_node(c.launcher, environment))
      continue;
    const auto same = std::find_if(found.begin(), found.end(), [&](const gpu_shortfall& s) {
      return s.case_name == c.name && s.ranks_on_node == ranks_on_this_node(c);
    });
    if (same != found.end())
      ++same->launches;
    else
      found.push_back({c.name, c.backend, ranks_on_this_node(c), 1});
  }
  return found;
}

std::string gpu_shortfall_message(const std::string& plan_name, const std::vector<gpu_shortfall>& shortfalls,
                                  int visible_gpus, const std::optional<std::string>& cuda_visible_devices,
                                  const std::string& one_gpu_plan) {
  const auto gpus = [](int n) { return fmt::format("{} GPU{}", n, n == 1 ? "" : "s"); };
  std::string text = fmt::format(
      "plan '{}': {} case(s) put more ranks on this node than the {} visible here{}, and each rank on the "
      "cuda "
      "backend needs a GPU of its own; nothing was run:",
      plan_name, shortfalls.size(), gpus(visible_gpus),
      cuda_visible_devices ? fmt::format(" (CUDA_VISIBLE_DEVICES='{}')", *cuda_visible_devices) : "");
  for (const auto& s : shortfalls)
    text += fmt::format("\n  case '{}': {} ranks on this node (backend {}{}){}", s.case_name, s.ranks_on_node,
                        s.backend, s.backend == "auto" ? " → cuda" : "",
                        s.launches > 1 ? fmt::format(", {} launches", s.launches) : "");
  if (visible_gpus == 0)
    return text +
           "\nto run on this node: make its GPUs visible (CUDA_VISIBLE_DEVICES), or run on the CPU "
           "(--backend cpu)";
  text += "\nto run on this node: ";
  if (!one_gpu_plan.empty() && visible_gpus == 1)
    text += fmt::format("run {} (every GPU benchmark on one GPU); or ", one_gpu_plan);
  text += fmt::format(
      "give each case at most {} rank{} on this node (--ranks {}, or ranks / ranks_per_node in the plan); or "
      "let ranks share a GPU (allow_gpu_sharing: true in the plan's defaults or the case); or run on the CPU "
      "(--backend cpu)",
      visible_gpus, visible_gpus == 1 ? "" : "s", visible_gpus);
  return text;
}

int controller_visible_gpus(const environment_lookup& environment) {
  if (const auto injected = environment("EXACHECK_TEST_VISIBLE_GPUS")) {
    const auto count = count_in(injected);
    if (!count)
      throw usage_error(fmt::format("EXACHECK_TEST_VISIBLE_GPUS={} is not a count of GPUs (0, 1, 2, …)",
                                    quoted_text(*injected)));
    return *count;
  }
  return gpus().built() ? gpus().device_count() : 0;
}

void refuse_cases_short_of_gpus(const plan& p, const std::vector<expanded_case>& cases,
                                const environment_lookup& environment) {
  // Counting GPUs initialises the CUDA driver: only when some case could bind one.
  const bool could_need_gpus = std::any_of(cases.begin(), cases.end(), [](const expanded_case& c) {
    return c.backend != "cpu" && !c.allow_gpu_sharing;
  });
  if (!could_need_gpus) return;
  const int visible_gpus = controller_visible_gpus(environment);
  const auto shortfalls = find_gpu_shortfalls(cases, visible_gpus, environment);
  if (shortfalls.empty()) return;
  throw usage_error(gpu_shortfall_message(p.name, shortfalls, visible_gpus,
                                          environment("CUDA_VISIBLE_DEVICES"), one_gpu_plan_beside(p.file)));
}

}  // namespace exacheck
