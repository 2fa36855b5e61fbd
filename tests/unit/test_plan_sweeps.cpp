// Parameter values in plans: byte sizes, sweeps as lists, {from, to, factor} and {from, to, step} ranges,
// declared bounds, and how each bad value is reported.
#include <gtest/gtest.h>

#include "harness/plan/plan.hpp"
#include "plan_test_support.hpp"

namespace exacheck {
namespace {

using testing::issue_with;

const std::string header = "schema: exacheck/plan/v1\nname: test\n";

class plan_sweeps : public testing::plan_files {};

TEST_F(plan_sweeps, byte_sizes_are_normalised_to_integer_bytes) {
  const plan p =
      load(header + "cases: [{name: a, benchmark: allreduce, params: {bytes: [4096, 64MiB, 8 GiB, 1GB]}}]\n");
  EXPECT_EQ(p.cases[0].params["bytes"], nlohmann::json({4096, 64ull << 20, 8ull << 30, 1000000000}));
}

TEST_F(plan_sweeps, bad_byte_unit_is_an_error_at_the_value) {
  const auto issue = issue_with(
      plan_issues(header +
                  "cases:\n  - name: a\n    benchmark: allreduce\n    params:\n      bytes: 64MeB\n"),
      "'64MeB'");
  EXPECT_EQ(issue.where.line, 7);
  EXPECT_EQ(issue.where.column, 14);
  EXPECT_NE(issue.expected.find("byte size"), std::string::npos);
}

TEST_F(plan_sweeps, byte_sweep_from_to_factor_expands_geometrically) {
  const plan p = load(
      header + "cases: [{name: a, benchmark: allreduce, params: {bytes: {from: 8, to: 1KiB, factor: 4}}}]\n");
  EXPECT_EQ(p.cases[0].params["bytes"], nlohmann::json({8, 32, 128, 512}));
  const plan big = load(
      header + "cases: [{name: a, benchmark: allreduce, params: {bytes: {from: 8, to: 8GiB, factor: 2}}}]\n");
  const auto& sizes = big.cases[0].params["bytes"];
  ASSERT_EQ(sizes.size(), 31u);  // 2^3 .. 2^33
  EXPECT_EQ(sizes.front(), 8);
  EXPECT_EQ(sizes.back().get<std::uint64_t>(), 8ull << 30);
}

TEST_F(plan_sweeps, integer_sweep_from_to_step_expands_arithmetically) {
  const plan p =
      load(header +
           "cases: [{name: g, benchmark: gemm, params: {n: 1, m: {from: 1000, to: 4000, step: 1000}}}]\n");
  EXPECT_EQ(p.cases[0].params["m"], nlohmann::json({1000, 2000, 3000, 4000}));
}

TEST_F(plan_sweeps, integer_sweep_with_fractional_factor_always_advances) {
  const plan p = load(
      header + "cases: [{name: g, benchmark: gemm, params: {n: 1, m: {from: 1, to: 5, factor: 1.5}}}]\n");
  EXPECT_EQ(p.cases[0].params["m"], nlohmann::json({1, 2, 3, 4}));
}

TEST_F(plan_sweeps, duration_and_number_sweeps_are_real_valued) {
  const plan p = load(header +
                      "cases: [{name: g, benchmark: gemm, params: {n: 1, settle: {from: 250ms, to: 1s, "
                      "factor: 2}, alpha: {from: 0.1, to: 0.3, step: 0.1}}}]\n");
  const auto& settle = p.cases[0].params["settle"];
  ASSERT_EQ(settle.size(), 3u);
  EXPECT_DOUBLE_EQ(settle[2].get<double>(), 1.0);
  EXPECT_EQ(p.cases[0].params["alpha"].size(), 3u);
}

TEST_F(plan_sweeps, bad_ranges_are_errors) {
  const auto issues = plan_issues(header + R"(cases:
  - name: a
    benchmark: allreduce
    params: {bytes: {from: 64, to: 8, factor: 2}}
  - name: b
    benchmark: allreduce
    params: {bytes: {from: 8, to: 64, factor: 1}}
  - name: c
    benchmark: allreduce
    params: {bytes: {from: 8, to: 64, factor: 2, step: 8}}
  - name: d
    benchmark: allreduce
    params: {dtype: {from: 1, to: 2, step: 1}}
  - name: e
    benchmark: allreduce
    params: {bytes: {from: 8, too: 64, factr: 2}}
  - name: f
    benchmark: allreduce
    params: {bytes: {from: 1, to: 1TiB, step: 1}}
)");
  issue_with(issues, "case 'a': parameter 'bytes': from (64) is above to (8)");
  EXPECT_EQ(issue_with(issues, "case 'b': parameter 'bytes' factor is 1").expected, "a number above 1");
  issue_with(issues, "case 'c': parameter 'bytes': a range needs exactly one of 'factor' and 'step'");
  issue_with(issues, "case 'd': parameter 'dtype' is a map, but a range only applies to numeric parameters");
  EXPECT_EQ(issue_with(issues, "unknown key 'too'").suggestion, "to");
  EXPECT_EQ(issue_with(issues, "unknown key 'factr'").suggestion, "factor");
  issue_with(issues, "case 'e': parameter 'bytes' has no 'to'");
  issue_with(issues, "case 'f': parameter 'bytes': the range has more than");
}

TEST_F(plan_sweeps, values_outside_declared_bounds_are_errors) {
  const auto issues = plan_issues(header +
                                  "cases: [{name: g, benchmark: gemm, params: {n: 0, m: [64, 100000], "
                                  "settle: 2m}}]\n");
  EXPECT_EQ(issue_with(issues, "parameter 'n' is '0'").expected, "an integer >= 1");
  EXPECT_EQ(issue_with(issues, "parameter 'm' is '100000'").expected, "an integer from 1 to 65536");
  EXPECT_NE(issue_with(issues, "parameter 'settle' is '2m'").expected.find("from 0s to 60s"),
            std::string::npos);
}

TEST_F(plan_sweeps, every_element_of_a_sweep_is_checked_at_its_own_position) {
  const auto issues = plan_issues(header +
                                  "cases:\n  - name: g\n    benchmark: gemm\n    params:\n      n: 1\n"
                                  "      dtype:\n        - fp64\n        - fp128\n        - bf61\n");
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].where.line, 10);
  EXPECT_EQ(issues[1].where.line, 11);
  EXPECT_EQ(issues[1].suggestion, "bf16");
}

TEST_F(plan_sweeps, empty_sweep_and_nested_lists_are_errors) {
  const auto issues =
      plan_issues(header + "cases: [{name: g, benchmark: gemm, params: {n: [], m: [[1, 2]]}}]\n");
  issue_with(issues, "parameter 'n' is an empty list");
  issue_with(issues, "parameter 'm' is a list");
}

}  // namespace
}  // namespace exacheck
