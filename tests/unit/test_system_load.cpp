// Loading system files: size, datasheet peaks and references, validated as strictly as plans.
#include <gtest/gtest.h>

#include "harness/plan/plan.hpp"
#include "plan_test_support.hpp"

namespace exacheck {
namespace {

using testing::issue_with;

class system_load : public testing::plan_files {};

TEST_F(system_load, system_file_with_peaks_and_references_loads) {
  const std::string path = write("h100.yaml", R"(schema: exacheck/system/v1
name: h100-sxm
description: datasheet numbers
size: {nodes: 525, gpus_per_node: 4}
peak_per_gpu: {fp64: 34, bf16: 989.5, unit: TFLOP/s, hbm: 3.35 TB/s}
references:
  - {benchmark: gemm, where: {dtype: bf16}, metric: tflops, value: 700, unit: TFLOP/s, lower: -5%,
     source: "contract annex B, 2025-03"}
  - benchmark: allreduce
    metric: latency
    where: {bytes: 64MiB, in_place: true, ranks: 8}
    value: 12.5
    unit: us
    upper: 2.5
    better: lower
)");
  const system_spec s = load_system(path);
  EXPECT_EQ(s.name, "h100-sxm");
  EXPECT_EQ(s.nodes, 525);
  EXPECT_EQ(s.gpus_per_node, 4);
  EXPECT_EQ(s.peak_per_gpu["fp64"], 34);
  EXPECT_EQ(s.peak_per_gpu["bf16"], 989.5);
  EXPECT_EQ(s.peak_per_gpu["unit"], "TFLOP/s");
  EXPECT_EQ(s.peak_per_gpu["hbm"], "3.35 TB/s");
  ASSERT_EQ(s.references.size(), 2u);
  const reference& gemm = s.references[0];
  EXPECT_EQ(gemm.benchmark, "gemm");
  EXPECT_EQ(gemm.metric, "tflops");
  EXPECT_EQ(gemm.where, nlohmann::json({{"dtype", "bf16"}}));
  EXPECT_EQ(gemm.value, 700);
  EXPECT_EQ(gemm.unit, "TFLOP/s");
  ASSERT_TRUE(gemm.lower);
  EXPECT_TRUE(gemm.lower->percent);
  EXPECT_EQ(gemm.lower->amount, -5);
  EXPECT_FALSE(gemm.upper);
  EXPECT_FALSE(gemm.better_is);
  EXPECT_EQ(gemm.source, "contract annex B, 2025-03");
  EXPECT_EQ(gemm.where_defined.line, 7);
  const reference& latency = s.references[1];
  // Byte sizes are normalised like plan parameters, so {bytes: 64MiB} matches the measured point.
  EXPECT_EQ(latency.where, nlohmann::json({{"bytes", 64ull << 20}, {"in_place", true}, {"ranks", 8}}));
  ASSERT_TRUE(latency.upper);
  EXPECT_FALSE(latency.upper->percent);
  EXPECT_EQ(latency.upper->amount, 2.5);
  EXPECT_EQ(latency.better_is, better::lower);
}

TEST_F(system_load, unknown_keys_are_errors_with_suggestions) {
  const auto issues = system_issues(R"(schema: exacheck/system/v1
name: box
size: {node: 2}
references:
  - {benchmark: gemm, metric: tflops, value: 1, unit: TFLOP/s, lowr: -5%}
)");
  EXPECT_EQ(issue_with(issues, "unknown key 'node'").suggestion, "nodes");
  const auto lower = issue_with(issues, "unknown key 'lowr' in reference #1");
  EXPECT_EQ(lower.suggestion, "lower");
  EXPECT_EQ(lower.where.line, 5);
}

TEST_F(system_load, bad_tolerances_directions_and_values_are_errors) {
  const auto issues = system_issues(R"(schema: exacheck/system/v1
name: box
references:
  - {benchmark: gemm, metric: tflops, value: fast, unit: TFLOP/s, lower: five percent, upper: "%", better: highr}
  - {benchmark: gemm, metric: tflops}
  - {benchmark: gemm, metric: tflops, value: 1, unit: TFLOP/s, where: {dtype: [bf16, fp16]}}
)");
  issue_with(issues, "reference #1 value is 'fast'");
  EXPECT_NE(issue_with(issues, "lower is 'five percent', not a tolerance").expected.find("-5%"),
            std::string::npos);
  issue_with(issues, "reference #1 upper is '%', not a tolerance");
  EXPECT_EQ(issue_with(issues, "better is 'highr'").suggestion, "higher");
  issue_with(issues, "reference #2 has no 'value'");
  issue_with(issues, "reference #2 has no 'unit'");
  issue_with(issues, "reference #3 where dtype is a list");
}

TEST_F(system_load, references_name_a_known_benchmark_metric_and_parameters) {
  const auto issues = system_issues_against_suites(R"(schema: exacheck/system/v1
name: box
references:
  - {benchmark: gemmm, metric: tflops, value: 1, unit: TFLOP/s}
  - {benchmark: gemm, metric: tflop, value: 1, unit: TFLOP/s}
  - {benchmark: gemm, metric: tflops, where: {dtpye: bf16}, value: 1, unit: TFLOP/s}
  - {benchmark: gemm, metric: tflops, where: {dtype: bf61, m: big, settle: 90s}, value: 1, unit: TFLOP/s}
)");
  const auto benchmark = issue_with(issues, "reference #1: unknown benchmark 'gemmm'");
  EXPECT_EQ(benchmark.suggestion, "gemm");
  EXPECT_EQ(benchmark.where.line, 4);
  EXPECT_EQ(benchmark.where.column, 17);
  const auto metric = issue_with(issues, "reference #2: benchmark 'gemm' has no metric 'tflop'");
  EXPECT_EQ(metric.suggestion, "tflops");
  EXPECT_NE(metric.expected.find("tflops, time, pct_of_peak"), std::string::npos) << metric.expected;
  EXPECT_EQ(metric.where.line, 5);
  const auto key = issue_with(issues, "reference #3 where: 'dtpye' is not a parameter of benchmark 'gemm'");
  EXPECT_EQ(key.suggestion, "dtype");
  EXPECT_EQ(key.where.line, 6);
  // Values are checked as a plan's are: allowed values, types, bounds.
  EXPECT_EQ(issue_with(issues, "reference #4 where dtype is 'bf61'").suggestion, "bf16");
  issue_with(issues, "reference #4 where m is 'big', not an integer");
  EXPECT_NE(issue_with(issues, "reference #4 where settle is '90s', out of range").expected.find("60s"),
            std::string::npos);
  EXPECT_EQ(issues.size(), 6u);
}

TEST_F(system_load, reference_units_must_be_of_the_metrics_quantity) {
  const auto issues = system_issues_against_suites(R"(schema: exacheck/system/v1
name: box
references:
  - {benchmark: gemm, metric: tflops, value: 1, unit: TFLOPS}
  - {benchmark: gemm, metric: tflops, value: 1, unit: GB/s}
  - {benchmark: gemm, metric: time, value: 1, unit: ms}
  - {benchmark: allreduce, metric: time, value: 12.5, unit: us}
)");
  ASSERT_EQ(issues.size(), 2u);
  const auto unknown = issue_with(issues, "reference #1 unit 'TFLOPS' is not a unit exacheck knows");
  EXPECT_EQ(unknown.suggestion, "TFLOP/s");
  EXPECT_NE(unknown.message.find("gemm tflops is measured in TFLOP/s"), std::string::npos);
  EXPECT_EQ(unknown.where.line, 4);
  const auto other = issue_with(issues, "reference #2 unit 'GB/s' is a unit of bandwidth");
  EXPECT_NE(other.expected.find("GFLOP/s, TFLOP/s"), std::string::npos) << other.expected;
}

// A value at or below zero passed every result of a higher-is-better metric: its lower bound is at or below
// zero, and every result that is judged is above zero (a stray sign in -700 passed 0.001 TFLOP/s). Refused as
// a reference file's is.
TEST_F(system_load, a_reference_value_must_be_above_zero) {
  const auto issues = system_issues(R"(schema: exacheck/system/v1
name: box
references:
  - {benchmark: gemm, metric: tflops, where: {dtype: fp32}, value: -700, unit: TFLOP/s, lower: 5%}
  - {benchmark: gemm, metric: tflops, where: {dtype: fp64}, value: 0, unit: TFLOP/s, lower: 0%}
  - {benchmark: gemm, metric: tflops, where: {dtype: bf16}, value: 0.5, unit: TFLOP/s, lower: 0%}
)");
  ASSERT_EQ(issues.size(), 2u);
  const auto negative = issue_with(issues, "reference #1 value is -700");
  EXPECT_EQ(negative.where.line, 4);
  EXPECT_EQ(negative.expected, "a number above zero (a difference in percent needs one)");
  issue_with(issues, "reference #2 value is 0");
}

// Of two references about the same benchmark, metric and where only the first ever judged a point, and its
// check settled the second's commitment too: a ceiling written as a second reference was never checked. Refused
// as a reference file's repeated entry is, naming the line of the first.
TEST_F(system_load, a_reference_repeating_another_names_the_line_of_the_first) {
  const auto issues = system_issues_against_suites(R"(schema: exacheck/system/v1
name: box
references:
  - {benchmark: gemm, metric: tflops, where: {dtype: fp64, m: 8192}, value: 60, unit: TFLOP/s, lower: -5%}
  - {benchmark: gemm, metric: tflops, where: {m: 8192, dtype: fp64}, value: 60, unit: TFLOP/s, upper: 10%}
  - {benchmark: allreduce, metric: busbw, where: {bytes: 64MiB}, value: 1, unit: GB/s}
  - {benchmark: allreduce, metric: busbw, where: {bytes: 67108864}, value: 1, unit: GB/s}
  - {benchmark: gemm, metric: tflops, where: {dtype: fp32, m: 8192}, value: 60, unit: TFLOP/s}
  - {benchmark: gemm, metric: time, where: {dtype: fp64, m: 8192}, value: 1, unit: s}
  - {benchmark: gemm, metric: tflops, where: {dtype: fp64}, value: 60, unit: TFLOP/s}
)");
  ASSERT_EQ(issues.size(), 2u);
  const auto ceiling =
      issue_with(issues, "reference #2 repeats the reference at line 4 (same benchmark, where and metric)");
  EXPECT_EQ(ceiling.where.line, 5);
  EXPECT_NE(ceiling.expected.find("one reference per benchmark, where and metric"), std::string::npos);
  // Values are compared as normalised: 64MiB is 67108864 bytes.
  issue_with(issues, "reference #4 repeats the reference at line 6");
}

TEST_F(system_load, where_values_are_normalised_like_plan_parameters) {
  const std::string path = write("box.yaml", R"(schema: exacheck/system/v1
name: box
references:
  - {benchmark: gemm, metric: time, where: {settle: 500ms, workspace: 1MiB, alpha: 2}, value: 1, unit: s}
)");
  const system_spec s = load_system(path, m_registry);
  ASSERT_EQ(s.references.size(), 1u);
  EXPECT_EQ(s.references[0].where, nlohmann::json({{"settle", 0.5}, {"workspace", 1 << 20}, {"alpha", 2.0}}));
  EXPECT_EQ(s.references[0].located.at("where.settle").line, 4);
}

TEST_F(system_load, sizes_and_peaks_are_checked) {
  const auto issues = system_issues(R"(schema: exacheck/system/v1
name: box
size: {nodes: 0, gpus_per_node: four}
peak_per_gpu: {fp64: {tensor: 67}}
)");
  issue_with(issues, "size nodes is '0'");
  issue_with(issues, "size gpus_per_node is 'four'");
  issue_with(issues, "peak_per_gpu fp64 is a map");
}

TEST_F(system_load, missing_system_file_names_the_path) {
  const std::string path = (m_dir / "absent.yaml").string();
  try {
    load_system(path);
    FAIL() << "loaded a file that does not exist";
  } catch (const validation_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read system file '" + path + "'"), std::string::npos);
  }
}

TEST_F(system_load, a_plan_is_not_a_system_file) {
  const auto issues = system_issues("schema: exacheck/plan/v1\nname: p\ncases: []\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].message, "this is a plan file (schema exacheck/plan/v1), not a system file");
}

TEST_F(system_load, yaml_syntax_error_has_line_and_column) {
  const auto issues = system_issues("schema: exacheck/system/v1\nname: [box\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_GT(issues[0].where.line, 0);
}

}  // namespace
}  // namespace exacheck
