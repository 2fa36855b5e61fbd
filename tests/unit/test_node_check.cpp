// `exacheck node-check`'s pieces: the NHC-style failure line from a run.json, the results directory per node
// and time, and the Slurm job's environment left behind.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "harness/controller/node_check.hpp"
#include "reports/render/health_line.hpp"

using namespace exacheck;
namespace fs = std::filesystem;

namespace {
// A run.json's verdict part as the analysis writes it: GPU 2 of node007 failed gemm and one more check, and a
// second GPU needs attention too.
nlohmann::json failed_run() {
  return nlohmann::json::parse(R"({
    "verdict": "FAIL", "exit_code": 1, "provenance": {"controller_host": "node007"},
    "analysis": {"device_verdicts": {
      "attention": [{"gpu": 1}, {"gpu": 0}],
      "gpus": [
        {"host": "node007", "gpu": 0, "kind": "gpu", "uuid": "GPU-aaaa", "verdict": "OUTLIER", "failing_checks": 1,
         "reasons": [{"benchmark": "membw", "metric": "triad_bandwidth", "params": {}, "reason": "slow"}]},
        {"host": "node007", "gpu": 2, "kind": "gpu", "uuid": "GPU-5e1c", "verdict": "FAIL", "failing_checks": 2,
         "reasons": [{"benchmark": "gemm", "metric": "tflops", "params": {"dtype": "bf16"},
                      "reason": "575.4 TFLOP/s < 665 TFLOP/s, the lower bound of reference 700 TFLOP/s\nsecond line"}]}],
      "nodes": [], "not_tied": []}}})");
}
}  // namespace

TEST(node_check, failure_line_names_host_device_check_and_value_against_reference_in_nhc_form) {
  const std::string line =
      reports::health_check_failure(failed_run(), "/var/lib/exacheck/node-check/node007/x");
  EXPECT_EQ(
      line,
      "ERROR:  exacheck:  Health check failed:  node007 GPU 2 (GPU-5e1c) FAIL gemm tflops dtype=bf16: "
      "575.4 TFLOP/s < 665 TFLOP/s, the lower bound of reference 700 TFLOP/s second line; 1 more failing "
      "check; 1 more device needs attention (run /var/lib/exacheck/node-check/node007/x)");
}

TEST(node_check, failure_line_without_a_device_names_the_untied_check_or_the_verdict) {
  auto run = failed_run();
  auto& verdicts = run["analysis"]["device_verdicts"];
  verdicts["attention"] = nlohmann::json::array();
  verdicts["not_tied"] = nlohmann::json::parse(
      R"([{"benchmark": "allreduce", "metric": "busbw", "params": {"bytes": 8}, "reason": "ERROR: launch failed"}])");
  EXPECT_EQ(reports::health_check_failure(run, "d"),
            "ERROR:  exacheck:  Health check failed:  node007 allreduce busbw bytes=8: ERROR: launch failed "
            "(run d)");
  verdicts["not_tied"] = nlohmann::json::array();
  run["verdict"] = "INTERRUPTED";
  run["exit_code"] = 130;
  EXPECT_EQ(reports::health_check_failure(run, "d"),
            "ERROR:  exacheck:  Health check failed:  node007 run INTERRUPTED (exit code 130) (run d)");
}

TEST(node_check, runs_go_under_root_host_and_utc_time_never_into_an_earlier_one) {
  const fs::path root =
      fs::temp_directory_path() / ("exacheck-unit-node-check-" + std::to_string(::getpid()));
  fs::remove_all(root);
  EXPECT_EQ(node_check_run_dir(root.string(), "node007", "2026-11-24T02:00:05Z"),
            (root / "node007" / "20261124T020005Z").string());
  fs::create_directories(root / "node007" / "20261124T020005Z");
  EXPECT_EQ(node_check_run_dir(root.string(), "node007", "2026-11-24T02:00:05Z"),
            (root / "node007" / "20261124T020005Z-2").string());
  fs::remove_all(root);
}

TEST(node_check, the_slurm_job_around_a_prolog_is_forgotten) {
  ::setenv("SLURM_JOB_ID", "77", 1);
  ::setenv("SLURM_JOB_NODELIST", "node[001-064]", 1);
  ::setenv("PMIX_RANK", "3", 1);
  ::setenv("OMPI_MCA_btl", "self,vader", 1);
  const auto removed = forget_the_job_around_us();
  EXPECT_EQ(std::getenv("SLURM_JOB_ID"), nullptr);
  EXPECT_EQ(std::getenv("SLURM_JOB_NODELIST"), nullptr);
  EXPECT_EQ(std::getenv("PMIX_RANK"), nullptr);
  ASSERT_NE(std::getenv("OMPI_MCA_btl"), nullptr);  // how to run MPI here is kept
  ::unsetenv("OMPI_MCA_btl");
  EXPECT_GE(removed.size(), 3u);
}
