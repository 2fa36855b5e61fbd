// The controller's GPU pre-flight (harness/controller/gpu_preflight.hpp): on a node with fewer GPUs than a case's ranks,
// `exacheck run` refuses the plan before anything runs, naming every such case, its ranks, the GPUs visible
// and what to do; where the GPUs are enough, on the CPU, with sharing allowed, or where the controller's node
// is not where the ranks start (srun, multi-node allocations), it says nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "harness/controller/gpu_preflight.hpp"
#include "harness/core/registry.hpp"

using namespace exacheck;
namespace fs = std::filesystem;

namespace {
const fs::path plans_dir = fs::path(EXACHECK_SOURCE_DIR) / "configs/plans";

// An environment of exactly these variables (nothing from the test's own process).
environment_lookup environment_of(std::map<std::string, std::string> variables = {}) {
  return [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    return found == variables.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
}

plan shipped_plan(const std::string& name) {
  return load_plan((plans_dir / name).string(), registry::instance());
}

expanded_case launch(const std::string& name, int ranks, const std::string& backend = "auto") {
  expanded_case c;
  c.name = name;
  c.ranks = ranks;
  c.backend = backend;
  return c;
}

std::vector<std::string> names_of(const std::vector<gpu_shortfall>& shortfalls) {
  std::vector<std::string> names;
  for (const auto& s : shortfalls) names.push_back(s.case_name);
  return names;
}

// The usage error refuse_cases_short_of_gpus throws, "" when it lets the plan run.
std::string refusal(const plan& p, const environment_lookup& environment) {
  try {
    refuse_cases_short_of_gpus(p, expand(p, registry::instance()), environment);
    return "";
  } catch (const usage_error& e) {
    return e.what();
  }
}
}  // namespace

TEST(gpu_preflight, quick_plan_on_one_gpu_names_every_case_of_two_ranks) {
  const plan quick = shipped_plan("quick.yaml");
  const auto shortfalls = find_gpu_shortfalls(expand(quick, registry::instance()), 1, environment_of());
  EXPECT_EQ(names_of(shortfalls), (std::vector<std::string>{"gemm", "allreduce", "allgather",
                                                            "reduce_scatter", "broadcast", "alltoall"}));
  for (const auto& s : shortfalls) {
    EXPECT_EQ(s.ranks_on_node, 2) << s.case_name;
    EXPECT_EQ(s.backend, "auto") << s.case_name;
  }
  EXPECT_EQ(shortfalls.front().launches, 3);  // gemm: one launch per dtype, named once
}

TEST(gpu_preflight, quick_plan_without_gpus_runs_on_the_cpu_as_before) {
  const plan quick = shipped_plan("quick.yaml");
  EXPECT_TRUE(find_gpu_shortfalls(expand(quick, registry::instance()), 0, environment_of()).empty());
  EXPECT_EQ(refusal(quick, environment_of({{"EXACHECK_TEST_VISIBLE_GPUS", "0"}})), "");
}

TEST(gpu_preflight, as_many_gpus_as_ranks_on_the_node_are_enough) {
  const plan quick = shipped_plan("quick.yaml");
  EXPECT_TRUE(find_gpu_shortfalls(expand(quick, registry::instance()), 2, environment_of()).empty());
  EXPECT_EQ(refusal(shipped_plan("one-gpu.yaml"), environment_of({{"EXACHECK_TEST_VISIBLE_GPUS", "1"}})), "");
}

TEST(gpu_preflight, only_cases_on_the_cuda_backend_need_gpus) {
  const std::vector<expanded_case> cases = {launch("on_cpu", 4, "cpu"), launch("on_auto", 4, "auto"),
                                            launch("on_cuda", 4, "cuda")};
  EXPECT_EQ(names_of(find_gpu_shortfalls(cases, 2, environment_of())),
            (std::vector<std::string>{"on_auto", "on_cuda"}));
  // No GPU: auto runs on the CPU; cuda cannot run at all (resolve_backend refuses it before this check).
  EXPECT_EQ(names_of(find_gpu_shortfalls(cases, 0, environment_of())), (std::vector<std::string>{"on_cuda"}));
}

TEST(gpu_preflight, allowed_sharing_and_ranks_per_node_within_the_gpus_pass) {
  auto shared = launch("shared", 8);
  shared.allow_gpu_sharing = true;
  auto spread = launch("spread", 8);
  spread.ranks_per_node = 2;  // 2 on this node, the rest on others
  auto crowded = launch("crowded", 8);
  crowded.ranks_per_node = 4;
  const auto shortfalls = find_gpu_shortfalls({shared, spread, crowded}, 2, environment_of());
  ASSERT_EQ(names_of(shortfalls), std::vector<std::string>{"crowded"});
  EXPECT_EQ(shortfalls[0].ranks_on_node, 4);
}

TEST(gpu_preflight, launches_that_start_elsewhere_than_the_controllers_node_are_not_checked) {
  EXPECT_TRUE(launch_stays_on_this_node("local", environment_of({{"SLURM_JOB_NUM_NODES", "4"}})));
  EXPECT_TRUE(launch_stays_on_this_node("mpirun", environment_of()));
  // A one-node Slurm allocation: the batch script, and so the controller, runs on that node.
  EXPECT_TRUE(launch_stays_on_this_node("mpirun", environment_of({{"SLURM_JOB_NUM_NODES", "1"}})));
  EXPECT_FALSE(launch_stays_on_this_node("srun", environment_of()));
  EXPECT_FALSE(launch_stays_on_this_node("mpirun", environment_of({{"SLURM_JOB_NUM_NODES", "2"}})));
  EXPECT_FALSE(launch_stays_on_this_node("mpirun", environment_of({{"SLURM_NNODES", "16"}})));
  EXPECT_FALSE(launch_stays_on_this_node("mpirun", environment_of({{"PBS_NODEFILE", "/var/spool/nodes"}})));
  EXPECT_FALSE(launch_stays_on_this_node(
      "mpirun", environment_of({{"OMPI_MCA_orte_default_hostfile", "/etc/hosts.mpi"}})));

  auto by_srun = launch("by_srun", 4);
  by_srun.launcher = "srun";
  EXPECT_TRUE(find_gpu_shortfalls({by_srun}, 1, environment_of()).empty());
  EXPECT_TRUE(find_gpu_shortfalls({launch("by_mpirun", 4)}, 1, environment_of({{"SLURM_JOB_NUM_NODES", "2"}}))
                  .empty());
}

TEST(gpu_preflight, refusal_names_each_case_its_ranks_the_gpus_visible_and_the_ways_out) {
  const plan quick = shipped_plan("quick.yaml");
  const std::string message =
      refusal(quick, environment_of({{"EXACHECK_TEST_VISIBLE_GPUS", "1"}, {"CUDA_VISIBLE_DEVICES", "3"}}));
  const std::string one_gpu_plan = "run " + (plans_dir / "one-gpu.yaml").string() + " (every GPU benchmark";
  const std::vector<std::string> expected_parts = {
      "plan 'quick': 6 case(s) put more ranks on this node than the 1 GPU visible here "
      "(CUDA_VISIBLE_DEVICES='3')",
      "nothing was run",
      "case 'gemm': 2 ranks on this node (backend auto → cuda), 3 launches",
      "case 'alltoall': 2 ranks on this node (backend auto → cuda)",
      one_gpu_plan,
      "--ranks 1",
      "allow_gpu_sharing: true",
      "--backend cpu"};
  for (const auto& expected : expected_parts)
    EXPECT_NE(message.find(expected), std::string::npos) << expected << "\n" << message;
  EXPECT_EQ(message.find("case 'membw'"), std::string::npos) << message;  // one rank: it fits
}

TEST(gpu_preflight, refusal_suggests_the_one_gpu_plan_only_where_it_fits_and_is_not_the_plan_itself) {
  const std::vector<gpu_shortfall> shortfall = {{"gemm", "cuda", 4, 1}};
  const std::string two_gpus = gpu_shortfall_message("p", shortfall, 2, std::nullopt, "one-gpu.yaml");
  EXPECT_EQ(two_gpus.find("one-gpu.yaml"), std::string::npos) << two_gpus;
  EXPECT_NE(two_gpus.find("at most 2 ranks on this node (--ranks 2"), std::string::npos) << two_gpus;
  EXPECT_NE(two_gpus.find("case 'gemm': 4 ranks on this node (backend cuda)\n"), std::string::npos)
      << two_gpus;
  const std::string itself = gpu_shortfall_message("one-gpu", shortfall, 1, std::nullopt, "");
  EXPECT_EQ(itself.find("one-gpu.yaml"), std::string::npos) << itself;
  // The one-GPU plan asked for 2 ranks on one GPU (--ranks 2): the advice is about the ranks, not the plan.
  auto doubled = shipped_plan("one-gpu.yaml");
  for (auto& c : doubled.cases) c.ranks = 2;
  const std::string message = refusal(doubled, environment_of({{"EXACHECK_TEST_VISIBLE_GPUS", "1"}}));
  EXPECT_NE(message.find("--ranks 1"), std::string::npos) << message;
  EXPECT_EQ(message.find("every GPU benchmark on one GPU"), std::string::npos) << message;
}

TEST(gpu_preflight, the_test_gpu_count_must_be_a_count) {
  EXPECT_EQ(controller_visible_gpus(environment_of({{"EXACHECK_TEST_VISIBLE_GPUS", "4"}})), 4);
  EXPECT_EQ(controller_visible_gpus(environment_of({{"EXACHECK_TEST_VISIBLE_GPUS", "0"}})), 0);
  for (const char* junk : {"", "-1", "two", "2 ", "1e3"})
    EXPECT_THROW(controller_visible_gpus(environment_of({{"EXACHECK_TEST_VISIBLE_GPUS", junk}})), usage_error)
        << junk;
}
