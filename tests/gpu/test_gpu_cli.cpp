// The CLI on a GPU node: every benchmark with a CUDA backend runs, verifies its answer and records the GPU it
// ran on. Label `gpu`: skipped where no GPU is usable.
#include <gtest/gtest.h>

#include <filesystem>

#include "../support/cli_runner.hpp"
#include "../support/skip_without_gpu.hpp"
#include "harness/node/gpu_runtime.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {}  // namespace

TEST(gpu_cli, small_plan_on_cuda_verifies_every_answer_and_names_the_gpu) {
  SKIP_WITHOUT_GPU();
  const auto dir = fresh_temp_dir("gpu-cli");
  write_text(
      dir / "plan.yaml",
      "schema: exacheck/plan/v1\nname: gpu-small\ndefaults: {backend: cuda, launcher: mpirun, timeout: 5m,\n"
      "  measure: {min_time: 10ms, max_time: 1s}}\ncases:\n"
      "  - {name: gemm, benchmark: gemm, params: {dtype: [fp64, fp32, tf32, fp16, bf16, fp8_e4m3, int8], "
      "m: 512, n: 384, k: 256}}\n"
      "  - {name: membw, benchmark: membw, params: {array_bytes: 256MiB, ntimes: 5}}\n"
      "  - {name: allreduce, benchmark: allreduce, params: {bytes: [8, 1MiB, 64MiB], dtype: [fp32, fp64]}}\n"
      "  - {name: allgather, benchmark: allgather, params: {bytes: [1KiB, 16MiB]}}\n"
      "  - {name: broadcast, benchmark: broadcast, params: {bytes: [1KiB, 16MiB]}}\n");
  const auto result =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "out.txt");
  EXPECT_NE(result.exit_code, 2) << result.output;
  const auto run = read_json(dir / "run" / "run.json");
  for (const auto& c : run["cases"]) {
    SCOPED_TRACE(c["id"].get<std::string>());
    EXPECT_EQ(c["status"], "completed") << c["message"] << "\n" << c["log_tail"];
    for (const auto& check : c["checks"]) EXPECT_NE(check["outcome"], "INCORRECT") << check.dump();
    for (const auto& point : c["results"])
      for (const auto& rank : point["ranks"]) {
        EXPECT_EQ(rank["backend"], "cuda");
        if (rank["skipped"].is_null()) {
          EXPECT_FALSE(rank["device"].value("uuid", "").empty()) << rank["device"].dump();
        }
      }
  }
}

TEST(gpu_cli, auto_backend_picks_cuda_on_a_gpu_node) {
  SKIP_WITHOUT_GPU();
  const auto dir = fresh_temp_dir("gpu-auto");
  write_text(dir / "plan.yaml",
             "schema: exacheck/plan/v1\nname: gpu-auto\ndefaults: {backend: auto, launcher: local}\ncases:\n"
             "  - {name: gemm, benchmark: gemm, params: {dtype: bf16, m: 256, n: 256, k: 256}}\n");
  const auto result =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "out.txt");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  const auto run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(run["cases"][0]["results"][0]["ranks"][0]["backend"], "cuda");
}

TEST(gpu_cli, ranks_sharing_a_gpu_skip_nccl_collectives_and_record_how_they_were_bound) {
  SKIP_WITHOUT_GPU();
  // One rank more than there are GPUs, sharing allowed: ranks 0 and <GPUs> share GPU 0. NCCL refuses two
  // ranks on one GPU, so every collective point is SKIPPED with that reason, never ERROR; the case completes.
  const int ranks = exacheck::gpus().device_count() + 1;
  const auto dir = fresh_temp_dir("gpu-sharing");
  write_text(
      dir / "plan.yaml",
      "schema: exacheck/plan/v1\nname: gpu-sharing\ndefaults: {backend: cuda, launcher: mpirun, timeout: 2m, "
      "ranks: " +
          std::to_string(ranks) +
          ", allow_gpu_sharing: true}\ncases:\n"
          "  - {name: allreduce, benchmark: allreduce, params: {bytes: [8, 1MiB], dtype: fp32}}\n");
  const auto result =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "out.txt");
  EXPECT_NE(result.exit_code, 2) << result.output;
  EXPECT_NE(result.exit_code, 3) << result.output;
  const auto run = read_json(dir / "run" / "run.json");
  ASSERT_EQ(run["cases"].size(), 1u);
  const auto& c = run["cases"][0];
  EXPECT_EQ(c["status"], "completed") << c["message"] << "\n" << c["log_tail"];
  ASSERT_EQ(c["results"].size(), 2u) << c.dump();
  for (const auto& point : c["results"]) {
    const std::string skipped = point.value("skipped", "");
    EXPECT_EQ(skipped.rfind("NCCL cannot run two ranks on one GPU: ranks 0 and " + std::to_string(ranks - 1) +
                                " share GPU ",
                            0),
              0u)
        << point.dump();
  }
  // Every rank's device record says how it was bound and how many ranks share its GPU.
  for (const auto& device : run["devices"]) {
    if (device.value("kind", "") != "gpu") continue;
    EXPECT_EQ(device.value("binding", ""), "shared_visible_set") << device.dump();
    EXPECT_GE(device.value("ranks_on_device", 0), 1) << device.dump();
  }
}
