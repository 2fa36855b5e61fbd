#include <gtest/gtest.h>

#include <cmath>

#include "../support/rank_records.hpp"
#include "harness/plan/plan.hpp"
#include "harness/results/run_document.hpp"
#include "harness/results/verdicts.hpp"

using namespace exacheck;
using nlohmann::json;

namespace {
json rank_entry(int rank, const std::string& metric_name, double value, const std::string& unit = "TFLOP/s",
                const std::string& better_is = "higher") {
  return {{"rank", rank},
          {"host", "node" + std::to_string(rank / 2)},
          {"metrics", json::array({{{"name", metric_name},
                                    {"value", std::isfinite(value) ? json(value) : json(nullptr)},
                                    {"unit", unit},
                                    {"statistic", "median"},
                                    {"better", better_is}}})},
          {"correctness", {{"checked", true}, {"passed", true}, {"method", "sampled"}, {"detail", "ok"}}},
          {"skipped", nullptr}};
}

json point_of(json ranks, const std::string& scope = "rank") {
  return exacheck::testing::rank_point({{"dtype", "bf16"}, {"m", 1024}}, scope, std::move(ranks));
}

system_spec system_with(reference ref) {
  system_spec s;
  s.name = "test";
  ref.benchmark = "gemm";
  ref.metric = "tflops";
  s.references.push_back(std::move(ref));
  return s;
}

const json& check_for(const json& checks, const std::string& metric_name) {
  for (const auto& c : checks)
    if (c["metric"] == metric_name) return c;
  throw std::runtime_error("no check for " + metric_name);
}

reference bf16_reference(double value, double lower_pct) {
  reference r;
  r.where = {{"dtype", "bf16"}};
  r.value = value;
  r.unit = "TFLOP/s";
  r.lower = tolerance{lower_pct, true};
  r.source = "contract annex B";
  return r;
}
}  // namespace

TEST(verdicts, worst_rank_below_the_lower_bound_fails_and_is_named) {
  const auto system = system_with(bf16_reference(700, -5));
  const json results = json::array({point_of({rank_entry(0, "tflops", 720), rank_entry(1, "tflops", 650)})});
  const auto checks = evaluate_checks(results, "gemm", &system, 2);
  const auto& c = check_for(checks, "tflops");
  EXPECT_EQ(c["outcome"], "FAIL");
  EXPECT_EQ(c["worst_rank"], 1);
  EXPECT_DOUBLE_EQ(c["value"].get<double>(), 650);
  EXPECT_DOUBLE_EQ(c["reference"]["lower_bound"].get<double>(), 665);
  EXPECT_NEAR(c["delta_pct"].get<double>(), -7.142857, 1e-5);
  EXPECT_NE(c["reason"].get<std::string>().find("650 TFLOP/s < 665 TFLOP/s"), std::string::npos);
  EXPECT_EQ(c["reference"]["source"], "contract annex B");
  EXPECT_EQ(check_for(checks, "correctness")["outcome"], "PASS");
}

TEST(verdicts, within_tolerance_passes_and_units_are_converted) {
  auto ref = bf16_reference(0.7, -5);
  ref.unit = "PFLOP/s";
  const auto system = system_with(ref);
  const json results = json::array({point_of({rank_entry(0, "tflops", 690)})});
  const auto checks = evaluate_checks(results, "gemm", &system, 1);
  const auto& c = check_for(checks, "tflops");
  EXPECT_EQ(c["outcome"], "PASS");
  EXPECT_NEAR(c["delta_pct"].get<double>(), (0.69 - 0.7) / 0.7 * 100, 1e-9);
}

TEST(verdicts, no_reference_is_recorded) {
  const json results = json::array({point_of({rank_entry(0, "tflops", 690)})});
  EXPECT_EQ(check_for(evaluate_checks(results, "gemm", nullptr, 1), "tflops")["outcome"], "RECORDED");
  const auto other = system_with(bf16_reference(700, -5));
  json fp32 = results;
  fp32[0]["params"]["dtype"] = "fp32";  // the reference's `where` does not match
  EXPECT_EQ(check_for(evaluate_checks(fp32, "gemm", &other, 1), "tflops")["outcome"], "RECORDED");
}

TEST(verdicts, fail_closed_on_zero_nan_and_missing_ranks) {
  EXPECT_EQ(
      check_for(evaluate_checks(json::array({point_of({rank_entry(0, "tflops", 0)})}), "gemm", nullptr, 1),
                "tflops")["outcome"],
      "FAIL");
  EXPECT_EQ(check_for(evaluate_checks(
                          json::array({point_of({rank_entry(0, "tflops", NAN), rank_entry(1, "tflops", 5)})}),
                          "gemm", nullptr, 2),
                      "tflops")["outcome"],
            "FAIL");
  const auto missing =
      evaluate_checks(json::array({point_of({rank_entry(0, "tflops", 5)})}), "gemm", nullptr, 4);
  EXPECT_EQ(check_for(missing, "tflops")["outcome"], "FAIL");
  EXPECT_NE(check_for(missing, "tflops")["reason"].get<std::string>().find("only 1 of 4"), std::string::npos);
}

TEST(verdicts, one_wrong_rank_makes_the_point_incorrect) {
  json r1 = rank_entry(1, "tflops", 5);
  r1["correctness"] = {
      {"checked", true}, {"passed", false}, {"method", "sampled"}, {"detail", "C[3,4] = 7, expected 8"}};
  const auto checks =
      evaluate_checks(json::array({point_of({rank_entry(0, "tflops", 5), r1})}), "gemm", nullptr, 2);
  const auto& c = check_for(checks, "correctness");
  EXPECT_EQ(c["outcome"], "INCORRECT");
  EXPECT_NE(c["reason"].get<std::string>().find("rank 1"), std::string::npos);
  EXPECT_EQ(worst_check_outcome(checks), outcome::incorrect);
}

TEST(verdicts, skipped_point_is_skipped_with_its_reason) {
  json r0 = rank_entry(0, "tflops", 5);
  r0["metrics"] = json::array();
  r0["skipped"] = "dtype bf16 is not supported by the cpu backend";
  const auto checks = evaluate_checks(json::array({point_of({r0})}), "gemm", nullptr, 1);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0]["outcome"], "SKIPPED");
  EXPECT_EQ(checks[0]["reason"], "dtype bf16 is not supported by the cpu backend");
}

TEST(verdicts, global_metrics_take_rank_zero_and_lower_is_better_uses_the_upper_bound) {
  reference ref;
  ref.benchmark = "allreduce";
  ref.metric = "latency_max";
  ref.value = 10;
  ref.unit = "us";
  ref.upper = tolerance{10, true};
  ref.better_is = better::lower;
  system_spec system;
  system.references.push_back(ref);
  const json ranks = {rank_entry(0, "latency_max", 12, "us", "lower"),
                      rank_entry(1, "latency_max", 12, "us", "lower")};
  const auto checks = evaluate_checks(json::array({point_of(ranks, "global")}), "allreduce", &system, 2);
  const auto& c = check_for(checks, "latency_max");
  EXPECT_EQ(c["outcome"], "FAIL");
  EXPECT_DOUBLE_EQ(c["reference"]["upper_bound"].get<double>(), 11);
  EXPECT_EQ(c["worst_rank"], 0);
}

TEST(verdicts, absolute_tolerances_and_unit_conversion_factors) {
  reference r;
  r.value = 100;
  r.lower = tolerance{-20, false};
  r.upper = tolerance{5, false};
  const auto b = bounds_of(r);
  EXPECT_DOUBLE_EQ(*b.lower, 80);
  EXPECT_DOUBLE_EQ(*b.upper, 105);
  EXPECT_DOUBLE_EQ(*unit_conversion("GB/s", "TB/s"), 1e-3);
  EXPECT_DOUBLE_EQ(*unit_conversion("us", "s"), 1e-6);
  EXPECT_FALSE(unit_conversion("GB/s", "TFLOP/s").has_value());
}

TEST(verdicts, rank_major_worker_results_become_point_major) {
  const json case_result = {{"rank_results",
                             {{{"rank", 0},
                               {"host", "a"},
                               {"points",
                                {{{"params", {{"bytes", 8}}},
                                  {"scope", "global"},
                                  {"samples", {{{"name", "time"}, {"unit", "s"}, {"values", {1.0, 3.0}}}}}},
                                 {{"params", {{"bytes", 16}}}, {"scope", "global"}}}}},
                              {{"rank", 1},
                               {"host", "b"},
                               {"points", {{{"params", {{"bytes", 8}}}}, {{"params", {{"bytes", 16}}}}}}}}}};
  const json points = results_by_point(case_result);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[1]["params"]["bytes"], 16);
  ASSERT_EQ(points[0]["ranks"].size(), 2u);
  EXPECT_EQ(points[0]["ranks"][1]["host"], "b");
  // run/v2: the samples stay, their statistics are not kept (derivable from the samples).
  EXPECT_EQ(points[0]["ranks"][0]["samples"][0]["values"], json({1.0, 3.0}));
  EXPECT_FALSE(points[0]["ranks"][0].contains("statistics"));
}

TEST(verdicts, a_point_describes_its_metrics_once_and_its_ranks_hold_the_numbers) {
  const auto metric = [](const std::string& name, json value) {
    return json{{"name", name},          {"value", std::move(value)}, {"unit", "GB/s"},
                {"statistic", "median"}, {"better", "higher"},        {"description", name + " of a test"}};
  };
  const json case_result = {
      {"rank_results",
       {{{"rank", 0},
         {"host", "a"},
         {"points", {{{"params", {{"n", 1}}}, {"metrics", {metric("copy", 10.0)}}}}}},
        {{"rank", 1},
         {"host", "b"},
         {"points",
          {{{"params", {{"n", 1}}}, {"metrics", {metric("copy", nullptr), metric("triad", 12.0)}}}}}}}}};
  const json points = results_by_point(case_result);
  ASSERT_EQ(points.size(), 1u);
  // In the order the ranks first reported them; no number in a descriptor.
  ASSERT_EQ(points[0]["metrics"].size(), 2u);
  EXPECT_EQ(points[0]["metrics"][0], json({{"name", "copy"},
                                           {"unit", "GB/s"},
                                           {"statistic", "median"},
                                           {"better", "higher"},
                                           {"description", "copy of a test"}}));
  EXPECT_EQ(points[0]["metrics"][1]["name"], "triad");
  EXPECT_EQ(points[0]["ranks"][0]["values"], json({{"copy", 10.0}}));  // no triad: not reported at all
  EXPECT_EQ(points[0]["ranks"][1]["values"], json({{"copy", nullptr}, {"triad", 12.0}}));  // null: no number
  EXPECT_FALSE(points[0]["ranks"][0].contains("metrics"));
  // A null is a rank that reported the metric without a number: measured, and failing closed.
  const auto checks = evaluate_checks(points, "membw", nullptr, 2);
  const auto& copy = check_for(checks, "copy");
  EXPECT_EQ(copy["ranks_measured"], 2);
  EXPECT_EQ(copy["outcome"], "FAIL");
  EXPECT_EQ(copy["worst_rank"], 1);
  const auto& triad = check_for(checks, "triad");
  EXPECT_EQ(triad["ranks_measured"], 1);
  EXPECT_EQ(triad["outcome"], "FAIL");  // only 1 of 2 ranks reported it
}

TEST(verdicts, no_checks_is_not_a_pass) {
  EXPECT_EQ(worst_check_outcome(json::array()), outcome::error);
  EXPECT_EQ(case_outcome(json::array()), outcome::error);
  // Checks whose outcome nobody can read judged nothing either.
  EXPECT_EQ(worst_check_outcome(json::array({{{"outcome", "GREEN"}}})), outcome::error);
  // A point that produced no metric and no correctness check: its one check is ERROR, not a pass.
  json r0 = rank_entry(0, "tflops", 5);
  r0["metrics"] = json::array();
  r0["correctness"] = {{"checked", false}};
  const auto checks = evaluate_checks(json::array({point_of({r0})}), "gemm", nullptr, 1);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0]["metric"], "run");
  EXPECT_EQ(checks[0]["outcome"], "ERROR");
  EXPECT_EQ(case_outcome(checks), outcome::error);
}

namespace {
// A worker's rank record with one all-gather point of 1 MiB asked; `moved` bytes and `threads` derived.
json allgather_rank(int rank, std::uint64_t moved, int threads, double busbw) {
  return {
      {"rank", rank},
      {"host", "node0"},
      {"points",
       {{{"params", {{"bytes", 1048576}, {"dtype", "fp32"}}},
         {"derived", {{"bytes", moved}, {"threads", threads}}},
         {"scope", "global"},
         {"metrics", {{{"name", "busbw"}, {"value", busbw}, {"unit", "GB/s"}, {"statistic", "median"}}}}}}}};
}
}  // namespace

// What every rank derived alike is said once, by the point; what differs stays with each rank.
TEST(verdicts, derived_values_are_the_points_where_ranks_agree_and_each_ranks_where_they_differ) {
  const json case_result = {{"rank_results",
                             {allgather_rank(0, 1048572, 2, 5.0), allgather_rank(1, 1048572, 2, 5.0),
                              allgather_rank(2, 1048572, 1, 5.0)}}};
  const json points = results_by_point(case_result);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0]["params"], json({{"bytes", 1048576}, {"dtype", "fp32"}}));
  EXPECT_EQ(points[0]["derived"], json({{"bytes", 1048572}}));
  EXPECT_EQ(points[0]["ranks"][0]["derived"], json({{"threads", 2}}));
  EXPECT_EQ(points[0]["ranks"][2]["derived"], json({{"threads", 1}}));
  // All alike: nothing left on the ranks.
  const json alike =
      results_by_point({{"rank_results", {allgather_rank(0, 8, 1, 5.0), allgather_rank(1, 8, 1, 5.0)}}});
  EXPECT_EQ(alike[0]["derived"], json({{"bytes", 8}, {"threads", 1}}));
  EXPECT_FALSE(alike[0]["ranks"][0].contains("derived"));
  EXPECT_FALSE(alike[0]["ranks"][1].contains("derived"));
}

// At 2 ranks all-gather moves the 1 MiB asked, at 3 ranks 1048572 B: the same point, judged against the same
// reference `where: {bytes: 1MiB}`, with the same check identity.
TEST(verdicts, a_reference_on_the_plans_size_applies_whatever_the_rank_count_rounded_it_to) {
  reference ref;
  ref.benchmark = "allgather";
  ref.metric = "busbw";
  ref.where = {{"bytes", 1048576}};
  ref.value = 1;
  ref.unit = "GB/s";
  ref.lower = tolerance{-10, true};
  system_spec system;
  system.name = "test";
  system.references.push_back(ref);
  const json two_ranks = results_by_point(
      {{"rank_results", {allgather_rank(0, 1048576, 2, 5.0), allgather_rank(1, 1048576, 2, 5.0)}}});
  const json three_ranks =
      results_by_point({{"rank_results",
                         {allgather_rank(0, 1048572, 1, 5.0), allgather_rank(1, 1048572, 1, 5.0),
                          allgather_rank(2, 1048572, 1, 5.0)}}});
  const json at_two = evaluate_checks(two_ranks, "allgather", &system, 2);
  const json at_three = evaluate_checks(three_ranks, "allgather", &system, 3);
  for (const json* checks : {&at_two, &at_three}) {
    const json& busbw = check_for(*checks, "busbw");
    EXPECT_EQ(busbw["outcome"], "PASS") << busbw.dump();
    EXPECT_FALSE(busbw["reference"].is_null());
    EXPECT_EQ(busbw["params"], json({{"bytes", 1048576}, {"dtype", "fp32"}}));
  }
}
