// `exacheck run` on a node with one GPU: the quick plan, whose cases ask for two ranks, is
// refused before anything runs, every such case named with what to do, instead of each launch failing in
// device binding one after another; the one-GPU plan is refused at once where CUDA cannot run. A CPU-only
// build stands in for the GPU node through EXACHECK_TEST_VISIBLE_GPUS (harness/controller/gpu_preflight.hpp).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "../support/cli_runner.hpp"
#include "harness/node/gpu_runtime.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {
const fs::path plans = fs::path(EXACHECK_SOURCE_DIR) / "configs/plans";

// The GPUs the controller is told it sees, for one test (unset again after it).
class scoped_visible_gpus {
 public:
  explicit scoped_visible_gpus(const char* count) { ::setenv(name, count, 1); }
  ~scoped_visible_gpus() { ::unsetenv(name); }
  scoped_visible_gpus(const scoped_visible_gpus&) = delete;
  scoped_visible_gpus& operator=(const scoped_visible_gpus&) = delete;

 private:
  static constexpr const char* name = "EXACHECK_TEST_VISIBLE_GPUS";
};
}  // namespace

TEST(one_gpu_node, quick_plan_exits_2_naming_each_case_of_two_ranks_and_runs_nothing) {
  const auto dir = fresh_temp_dir("one-gpu-quick");
  const scoped_visible_gpus one("1");
  const auto result =
      run_cli({"run", (plans / "quick.yaml").string(), "--out", (dir / "run").string()}, dir / "out.txt");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  for (const char* expected :
       {"exacheck: plan 'quick': 6 case(s) put more ranks on this node than the 1 GPU visible here",
        "nothing was run", "case 'gemm': 2 ranks on this node (backend auto → cuda), 3 launches",
        "case 'allreduce': 2 ranks on this node", "case 'allgather': 2 ranks on this node",
        "case 'reduce_scatter': 2 ranks on this node", "case 'broadcast': 2 ranks on this node",
        "case 'alltoall': 2 ranks on this node", "one-gpu.yaml (every GPU benchmark on one GPU)", "--ranks 1",
        "allow_gpu_sharing: true"})
    EXPECT_NE(result.output.find(expected), std::string::npos) << expected << "\n" << result.output;
  EXPECT_FALSE(fs::exists(dir / "run"));  // no run directory, no case launched
  EXPECT_EQ(result.output.find("[1/"), std::string::npos) << result.output;
}

TEST(one_gpu_node, quick_plan_with_one_rank_per_case_or_enough_gpus_or_none_is_launched_as_before) {
  const auto dir = fresh_temp_dir("one-gpu-enough");
  const auto dry_run = [&](const char* gpus, std::vector<std::string> extra) {
    const scoped_visible_gpus visible(gpus);
    std::vector<std::string> args = {"run", (plans / "quick.yaml").string(), "--dry-run"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args, dir / "out.txt");
  };
  for (const auto& [gpus, extra] :
       std::vector<std::pair<const char*, std::vector<std::string>>>{{"0", {}},
                                                                     {"2", {}},
                                                                     {"1", {"--ranks", "1"}},
                                                                     {"1", {"--backend", "cpu"}},
                                                                     {"1", {"--launcher", "srun"}}}) {
    const auto result = dry_run(gpus, extra);
    EXPECT_EQ(result.exit_code, 0) << gpus << " GPU(s) " << (extra.empty() ? "" : extra[0]) << "\n"
                                   << result.output;
    EXPECT_NE(result.output.find("dry run, nothing is launched"), std::string::npos) << result.output;
  }
}

TEST(one_gpu_node, one_gpu_plan_where_cuda_cannot_run_exits_2_at_once_naming_the_case) {
  if (exacheck::gpus().built() && exacheck::gpus().device_count() > 0)
    GTEST_SKIP() << "a GPU is usable here: the plan would run (the device check runs it)";
  const auto dir = fresh_temp_dir("one-gpu-no-cuda");
  const auto start = std::chrono::steady_clock::now();
  const auto result =
      run_cli({"run", (plans / "one-gpu.yaml").string(), "--out", (dir / "run").string()}, dir / "out.txt");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("exacheck: case 'gemm': backend 'cuda' was requested, but "),
            std::string::npos)
      << result.output;
  EXPECT_FALSE(fs::exists(dir / "run"));
  EXPECT_LT(seconds, 30.0);  // refused before any launch: no worker starts, nothing waits for a time-out
}
