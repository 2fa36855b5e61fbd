// The contract through the CLI: a system file's references are validated against the benchmarks and the plan
// before anything runs (exit 2, file:line:column, did-you-mean), `validate` says how many apply, `list` shows
// the metrics references name, and a committed reference that the run did not measure fails the run (exit 1)
// in run.json, the reports and after `exacheck report`.
#include <gtest/gtest.h>

#include <filesystem>

#include "../support/cli_runner.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {

// gemm at fp64 (measured on the cpu backend) and bf16 (SKIPPED there: OpenBLAS has no bf16 GEMM), and a
// selftest case with its own tag.
const std::string plan_yaml = R"(schema: exacheck/plan/v1
name: contract
system: system.yaml
defaults: {launcher: mpirun, timeout: 60s, measure: {max_time: 200ms, min_time: 10ms}}
cases:
  - {name: gemm, benchmark: gemm, tags: [compute], params: {dtype: [fp64, bf16], m: 64, n: 64, k: 64}}
  - {name: loop, benchmark: selftest, tags: [self], params: {loop: 1000}}
)";

const std::string system_yaml = R"(schema: exacheck/system/v1
name: box
references:
  - {benchmark: gemm, metric: tflops, where: {dtype: fp64}, value: 1.0e-6, unit: TFLOP/s, lower: 0%,
     source: "sanity floor"}
  - {benchmark: gemm, metric: tflops, where: {dtype: bf16}, value: 700, unit: TFLOP/s, lower: -5%,
     source: "contract annex B"}
  - {benchmark: allreduce, metric: busbw, where: {bytes: 1GiB}, value: 300, unit: GB/s, source: "annex C"}
)";

fs::path contract_dir(const std::string& name) {
  const auto dir = fresh_temp_dir(name);
  write_text(dir / "plan.yaml", plan_yaml);
  write_text(dir / "system.yaml", system_yaml);
  return dir;
}

const nlohmann::json* check_with_reason(const nlohmann::json& run, const std::string& text) {
  for (const auto& c : run["cases"])
    for (const auto& check : c["checks"])
      if (check.value("reason", "").find(text) != std::string::npos) return &check;
  return nullptr;
}

}  // namespace

TEST(contract, committed_reference_the_run_did_not_measure_fails_the_run) {
  const auto dir = contract_dir("contract-unmeasured");
  const auto result =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "out.txt");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  const std::string reason =
      "committed, not measured: gemm tflops where {dtype: bf16} (contract annex B) at system.yaml:6; the "
      "point "
      "was SKIPPED: ";
  EXPECT_NE(result.output.find(reason), std::string::npos) << result.output;
  const auto run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(run["verdict"], "FAIL");
  const auto* check = check_with_reason(run, reason);
  ASSERT_NE(check, nullptr) << run["cases"].dump(1);
  EXPECT_EQ((*check)["outcome"], "FAIL");
  EXPECT_EQ((*check)["params"]["dtype"], "bf16");
  EXPECT_EQ((*check)["aggregation"], "commitment");
  // The measured fp64 point passed against its floor; the allreduce reference is for a benchmark this plan
  // does not run and owes nothing.
  int passed_references = 0;
  for (const auto& c : run["cases"])
    for (const auto& ch : c["checks"])
      if (ch["metric"] == "tflops" && ch["outcome"] == "PASS") ++passed_references;
  EXPECT_EQ(passed_references, 1);
  EXPECT_EQ(check_with_reason(run, "annex C"), nullptr);
  const std::string report = slurp(dir / "run" / "report.md");
  EXPECT_NE(report.find("committed, not measured"), std::string::npos);

  // `exacheck report` re-analyses from run.json and keeps the check: it is a case check, not a fleet one.
  const auto rerendered = run_cli({"report", (dir / "run").string()}, dir / "report.txt");
  EXPECT_NE(rerendered.exit_code, 2) << rerendered.output;
  const auto again = read_json(dir / "run" / "run.json");
  EXPECT_NE(check_with_reason(again, reason), nullptr);
  EXPECT_EQ(again["verdict"], "FAIL");
}

TEST(contract, references_of_cases_the_run_did_not_launch_are_not_expected) {
  const auto dir = contract_dir("contract-filtered");
  const auto result =
      run_cli({"run", (dir / "plan.yaml").string(), "--tags", "self", "--out", (dir / "run").string()},
              dir / "out.txt");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  const auto run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(check_with_reason(run, "committed, not measured"), nullptr);
}

TEST(contract, validate_counts_the_references_that_apply_and_refuses_bad_ones_before_running) {
  const auto dir = contract_dir("contract-validate");
  auto r = run_cli({"validate", (dir / "plan.yaml").string()}, dir / "validate.txt");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(
                "system 'box' with 3 reference(s): 2 apply to this plan, 1 for benchmarks it does not run"),
            std::string::npos)
      << r.output;

  write_text(dir / "system.yaml", R"(schema: exacheck/system/v1
name: box
references:
  - {benchmark: gemm, metric: tflps, value: 1, unit: TFLOP/s}
  - {benchmark: gemm, metric: tflops, where: {dtype: fp16}, value: 1, unit: TFLOP/s}
  - {benchmark: gemm, metric: tflops, where: {dtipe: fp64}, value: 1, unit: TFLOPS}
)");
  r = run_cli({"validate", (dir / "plan.yaml").string()}, dir / "invalid.txt");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("system.yaml:4:31: reference #1: benchmark 'gemm' has no metric 'tflps'"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("did you mean 'tflops'?"), std::string::npos);
  EXPECT_NE(r.output.find("did you mean 'dtype'?"), std::string::npos);
  EXPECT_NE(r.output.find("did you mean 'TFLOP/s'?"), std::string::npos);

  // A where: the plan never runs (fp16) is found once the benchmark-level mistakes are fixed.
  write_text(dir / "system.yaml", R"(schema: exacheck/system/v1
name: box
references:
  - {benchmark: gemm, metric: tflops, where: {dtype: fp16}, value: 1, unit: TFLOP/s}
)");
  r = run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "run.txt");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(
      r.output.find("system.yaml:4:54: reference #1 (gemm tflops) where dtype: fp16 matches no point of this "
                    "plan: its gemm cases run dtype = fp64, bf16"),
      std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir / "run" / "run.json"));  // nothing ran
}

TEST(contract, list_shows_each_benchmarks_metrics_for_references_and_spread_rules) {
  const auto dir = fresh_temp_dir("contract-list");
  const auto r = run_cli({"list", "copybw"}, dir / "list.txt");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("d2d_bandwidth"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("only where direction = d2d"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("references (`metric:`)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("`outliers: spread:`"), std::string::npos) << r.output;
  const auto gemm = run_cli({"list", "gemm"}, dir / "gemm.txt");
  EXPECT_NE(gemm.output.find("tflops"), std::string::npos);
  EXPECT_NE(gemm.output.find("TFLOP/s"), std::string::npos);
  EXPECT_NE(gemm.output.find("pct_of_peak"), std::string::npos);
}
