// `exacheck run` and `exacheck report` with the fleet analysis: the plan's `outliers:` rules reach run.json,
// `report` re-analyses with them (or with --z-threshold) and the verdict, exit code and reports follow.
#include <gtest/gtest.h>

#include <filesystem>

#include "../support/cli_runner.hpp"
#include "../support/rank_records.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A finished run of 8 GPUs on 2 nodes, one 25% slow, not analysed yet (as an older exacheck wrote it).
json unanalysed_fleet_run() {
  json ranks = json::array();
  const double values[] = {100, 101, 99, 100, 100, 100, 101, 75};
  for (int r = 0; r < 8; ++r)
    ranks.push_back(
        {{"rank", r},
         {"host", r < 4 ? "node001" : "node002"},
         {"local_rank", r % 4},
         {"device",
          {{"kind", "gpu"}, {"index", r % 4}, {"name", "H100"}, {"uuid", "GPU-" + std::to_string(r)}}},
         {"metrics", {{{"name", "tflops"}, {"value", values[r]}, {"unit", "TFLOP/s"}}}}});
  const json params = {{"dtype", "bf16"}};
  return {{"schema", "exacheck/run/v2"},
          {"verdict", "PASS"},
          {"exit_code", 0},
          {"interrupted", false},
          {"complete", true},
          {"provenance", json::object()},
          {"timing", json::object()},
          {"cases",
           {{{"id", "gemm-1"},
             {"name", "gemm"},
             {"benchmark", "gemm"},
             {"ranks", 8},
             {"status", "completed"},
             {"outcome", "RECORDED"},
             {"timing", {{"launch_s", 1.0}, {"benchmark_s", 1.0}}},
             {"results", {exacheck::testing::rank_point(params, "rank", ranks)}},
             {"checks",
              {{{"metric", "tflops"},
                {"params", params},
                {"aggregation", "worst rank"},
                {"outcome", "RECORDED"}}}}}}}};
}

}  // namespace

TEST(cli_report, report_finds_fleet_outliers_and_z_threshold_overrides_the_rules) {
  const auto dir = fresh_temp_dir("report-outliers");
  fs::create_directories(dir / "run");
  write_text(dir / "run" / "run.json", unanalysed_fleet_run().dump());
  auto r = run_cli({"report", (dir / "run").string()}, dir / "report.txt");
  EXPECT_EQ(r.exit_code, 1) << r.output;  // the verdict's exit code, as in run.json
  json run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(run["verdict"], "OUTLIER");
  EXPECT_EQ(run["exit_code"], 1);
  EXPECT_EQ(run["analysis"]["rules"]["z_threshold"], 4.0);
  ASSERT_EQ(run["analysis"]["metrics"].size(), 1u);
  EXPECT_EQ(run["analysis"]["metrics"][0]["outliers"][0]["host"], "node002");
  const std::string md = slurp(dir / "run" / "report.md");
  EXPECT_NE(md.find("| node002 | 3 | GPU-7 |"), std::string::npos) << md;  // the devices needing attention
  EXPECT_NE(md.find("| OUTLIER | gemm-1 | dtype=bf16 | tflops | 75 TFLOP/s | 75 TFLOP/s is 25.0% below"),
            std::string::npos)
      << md;
  EXPECT_NE(r.output.find("OUTLIER   node002 GPU 3 (GPU-7"), std::string::npos) << r.output;

  r = run_cli({"report", (dir / "run").string(), "--z-threshold", "50"}, dir / "report2.txt");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(run["verdict"], "PASS");
  EXPECT_EQ(run["analysis"]["rules"]["z_threshold"], 50.0);
  EXPECT_EQ(slurp(dir / "run" / "report.md").find("| OUTLIER | gemm-1"), std::string::npos);
  EXPECT_NE(r.output.find("devices needing attention: None"), std::string::npos) << r.output;

  r = run_cli({"report", (dir / "run").string(), "--z-threshold", "-1"}, dir / "report3.txt");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST(cli_report, plan_outlier_rules_reach_run_json) {
  const auto dir = fresh_temp_dir("plan-outliers");
  write_text(
      dir / "plan.yaml",
      "schema: exacheck/plan/v1\nname: rules\n"
      "defaults: {launcher: mpirun, ranks: 2, timeout: 60s, measure: {max_time: 200ms, min_time: 10ms}}\n"
      "outliers: {z_threshold: 3, below_median_pct: 10, min_fleet: 2,\n"
      "           spread: [{benchmark: selftest, metric: loop_rate, max_pct: 1000}]}\n"
      "cases:\n  - {name: loop, benchmark: selftest, params: {loop: 1000}}\n");
  const auto r =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "run.txt");
  const json run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(run["analysis"]["rules"],
            json({{"z_threshold", 3.0},
                  {"min_deviation_pct", 5.0},
                  {"below_median_pct", 10.0},
                  {"min_fleet", 2},
                  {"spread", {{{"benchmark", "selftest"}, {"metric", "loop_rate"}, {"max_pct", 1000.0}}}}}));
  EXPECT_EQ(run["exit_code"], r.exit_code);
  EXPECT_GT(run["timing"]["aggregation_s"].get<double>(), 0.0);
}
