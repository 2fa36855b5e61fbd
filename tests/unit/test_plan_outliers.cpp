// A plan's `outliers:` key (docs/plan-schema.md): read into the rules of the run's analysis, validated as
// strictly as every other key (file:line:column, expected, did-you-mean).
#include <gtest/gtest.h>

#include "harness/plan/plan.hpp"
#include "plan_test_support.hpp"

namespace exacheck {
namespace {

using testing::issue_with;

const std::string header =
    "schema: exacheck/plan/v1\nname: test\ncases: [{name: g, benchmark: gemm, params: {n: 1}}]\n";

class plan_outliers : public testing::plan_files {};

TEST_F(plan_outliers, plan_without_outliers_key_leaves_the_defaults_to_the_analysis) {
  EXPECT_FALSE(load(header).outliers);
}

TEST_F(plan_outliers, every_key_is_read) {
  const plan p = load(header + R"(outliers:
  z_threshold: 3.5
  min_deviation_pct: 2
  below_median_pct: 10
  min_fleet: 8
  spread:
    - {benchmark: gemm, metric: tflops, max_pct: 5}
    - {benchmark: allreduce, metric: busbw, max_pct: 2.5}
)");
  ASSERT_TRUE(p.outliers);
  EXPECT_DOUBLE_EQ(p.outliers->z_threshold, 3.5);
  EXPECT_DOUBLE_EQ(p.outliers->min_deviation_pct, 2);
  ASSERT_TRUE(p.outliers->below_median_pct);
  EXPECT_DOUBLE_EQ(*p.outliers->below_median_pct, 10);
  EXPECT_EQ(p.outliers->min_fleet, 8);
  ASSERT_EQ(p.outliers->spread.size(), 2u);
  EXPECT_EQ(p.outliers->spread[1].benchmark, "allreduce");
  EXPECT_EQ(p.outliers->spread[1].metric, "busbw");
  EXPECT_DOUBLE_EQ(p.outliers->spread[1].max_pct, 2.5);
}

TEST_F(plan_outliers, keys_left_out_keep_their_defaults) {
  const plan p = load(header + "outliers: {below_median_pct: 10}\n");
  ASSERT_TRUE(p.outliers);
  EXPECT_DOUBLE_EQ(p.outliers->z_threshold, 4);
  EXPECT_EQ(p.outliers->min_fleet, 4);
  EXPECT_TRUE(p.outliers->spread.empty());
}

TEST_F(plan_outliers, unknown_key_names_line_column_and_suggestion) {
  const auto issue =
      issue_with(plan_issues(header + "outliers:\n  z_treshold: 3\n"), "unknown key 'z_treshold'");
  EXPECT_EQ(issue.suggestion, "z_threshold");
  EXPECT_EQ(issue.where.line, 5);
  EXPECT_EQ(issue.where.column, 3);
  EXPECT_NE(issue.expected.find("below_median_pct"), std::string::npos);
}

TEST_F(plan_outliers, misspelt_top_level_key_suggests_outliers) {
  EXPECT_EQ(
      issue_with(plan_issues(header + "outlier: {z_threshold: 3}\n"), "unknown key 'outlier'").suggestion,
      "outliers");
}

TEST_F(plan_outliers, bad_values_are_each_reported_with_what_was_expected) {
  const auto issues = plan_issues(header + R"(outliers:
  z_threshold: -1
  min_deviation_pct: 100
  below_median_pct: 150
  min_fleet: 1
  spread: {benchmark: gemm}
)");
  const auto z = issue_with(issues, "outliers z_threshold");
  EXPECT_EQ(z.where.line, 5);
  EXPECT_EQ(z.where.column, 16);
  EXPECT_NE(issue_with(issues, "outliers below_median_pct is 150").expected.find("less than 100"),
            std::string::npos);
  EXPECT_EQ(issue_with(issues, "outliers min_deviation_pct is 100").where.line, 6);
  EXPECT_EQ(issue_with(issues, "outliers min_fleet").where.line, 8);
  EXPECT_NE(issue_with(issues, "outliers spread is").expected.find("list"), std::string::npos);
}

TEST_F(plan_outliers, spread_rule_needs_a_known_benchmark_a_metric_and_a_positive_limit) {
  const auto issues = plan_issues(header + R"(outliers:
  spread:
    - {benchmark: gemmm, metric: tflops, max_pct: 5}
    - {benchmark: gemm, metric: tflops}
    - {benchmark: gemm, metric: tflops, max_pct: 0}
)");
  const auto unknown = issue_with(issues, "unknown benchmark 'gemmm'");
  EXPECT_EQ(unknown.suggestion, "gemm");
  EXPECT_EQ(unknown.where.line, 6);
  EXPECT_NE(unknown.message.find("outliers spread #1"), std::string::npos);
  EXPECT_NE(issue_with(issues, "max_pct").message.find("spread #2"), std::string::npos);
  EXPECT_NE(issue_with(issues, "outliers spread #3: max_pct is 0").expected.find("greater than 0"),
            std::string::npos);
}

TEST_F(plan_outliers, spread_rule_names_a_metric_its_benchmark_declares) {
  const auto issues = plan_issues(header + R"(outliers:
  spread:
    - {benchmark: gemm, metric: tflop, max_pct: 5}
    - {benchmark: allreduce, metric: busbw, max_pct: 5}
)");
  ASSERT_EQ(issues.size(), 1u);
  const auto metric = issue_with(issues, "outliers spread #1: benchmark 'gemm' has no metric 'tflop'");
  EXPECT_EQ(metric.suggestion, "tflops");
  EXPECT_EQ(metric.where.line, 6);
}

}  // namespace
}  // namespace exacheck
