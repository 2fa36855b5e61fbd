// The controller's GPU pre-flight on a real GPU node (harness/controller/gpu_preflight.hpp): it counts the
// GPUs through the CUDA runtime, CUDA_VISIBLE_DEVICES included, and refuses a plan with more ranks on the
// node than that before anything runs. Dry runs only: nothing is launched. Label `gpu`: skipped where no GPU
// is usable.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "../support/cli_runner.hpp"
#include "../support/skip_without_gpu.hpp"
#include "harness/node/gpu_runtime.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {
const std::string quick_plan = (fs::path(EXACHECK_SOURCE_DIR) / "configs/plans/quick.yaml").string();

std::string gpus_text(int n) {
  return std::to_string(n) + (n == 1 ? " GPU" : " GPUs");
}
}  // namespace

TEST(gpu_preflight, more_ranks_than_the_gpus_cuda_shows_are_refused_and_as_many_are_launched) {
  SKIP_WITHOUT_GPU();
  ASSERT_EQ(std::getenv("EXACHECK_TEST_VISIBLE_GPUS"), nullptr) << "the real count is under test";
  const int gpus = exacheck::gpus().device_count();
  const auto dir = fresh_temp_dir("gpu-preflight");
  auto result =
      run_cli({"run", quick_plan, "--dry-run", "--ranks", std::to_string(gpus + 1)}, dir / "out.txt");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("than the " + gpus_text(gpus) + " visible here"), std::string::npos)
      << result.output;
  EXPECT_NE(
      result.output.find("case 'membw': " + std::to_string(gpus + 1) + " ranks on this node (backend auto"),
      std::string::npos)
      << result.output;
  result = run_cli({"run", quick_plan, "--dry-run", "--ranks", std::to_string(gpus)}, dir / "out.txt");
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST(gpu_preflight, quick_plan_with_one_gpu_visible_names_its_two_rank_cases_and_the_one_gpu_plan) {
  SKIP_WITHOUT_GPU();
  const char* old = std::getenv("CUDA_VISIBLE_DEVICES");
  const std::string saved = old ? old : "";
  ::setenv("CUDA_VISIBLE_DEVICES", "0", 1);  // the child's CUDA runtime sees one GPU
  const auto dir = fresh_temp_dir("gpu-preflight-one");
  const auto result = run_cli({"run", quick_plan, "--out", (dir / "run").string()}, dir / "out.txt");
  if (old)
    ::setenv("CUDA_VISIBLE_DEVICES", saved.c_str(), 1);
  else
    ::unsetenv("CUDA_VISIBLE_DEVICES");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  for (const char* expected : {"than the 1 GPU visible here (CUDA_VISIBLE_DEVICES='0')",
                               "case 'gemm': 2 ranks on this node (backend auto → cuda), 3 launches",
                               "case 'alltoall': 2 ranks on this node", "one-gpu.yaml (every GPU benchmark"})
    EXPECT_NE(result.output.find(expected), std::string::npos) << expected << "\n" << result.output;
  EXPECT_FALSE(fs::exists(dir / "run"));
}
