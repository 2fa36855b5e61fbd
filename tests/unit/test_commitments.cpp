// "Committed, not measured": after the last case, a reference that applies to a point of a launched case but
// that no check judged becomes a FAIL check of that case, saying which reference (benchmark, metric, where,
// source, file:line) and why it went unjudged; a judged reference, a reference for a point the case does not
// run, and a case never launched add nothing.
#include <gtest/gtest.h>

#include "harness/results/commitments.hpp"
#include "harness/core/registry.hpp"
#include "harness/results/run_document.hpp"
#include "harness/results/verdicts.hpp"

namespace exacheck {
namespace {

reference make_reference(std::string benchmark, std::string metric, nlohmann::json where, double value,
                         int line) {
  reference ref;
  ref.benchmark = std::move(benchmark);
  ref.metric = std::move(metric);
  ref.where = std::move(where);
  ref.value = value;
  ref.unit = "TFLOP/s";
  ref.lower = tolerance{-5, true};
  ref.source = "contract annex B";
  ref.where_defined = {"/etc/exacheck/h200.yaml", line, 5};
  return ref;
}

nlohmann::json gemm_params(const std::string& dtype) {
  return {{"dtype", dtype}, {"m", 64}, {"n", 64}, {"k", 64}};
}

// One rank's point as run.json holds it (point-major), measured or skipped.
nlohmann::json measured_point(const nlohmann::json& params, double tflops) {
  const nlohmann::json descriptor = {{"name", "tflops"},
                                     {"unit", "TFLOP/s"},
                                     {"statistic", "median"},
                                     {"better", "higher"},
                                     {"description", "2·M·N·K / time"}};
  const nlohmann::json rank = {
      {"rank", 0},
      {"host", "node001"},
      {"values", {{"tflops", tflops}}},
      {"correctness", {{"checked", true}, {"passed", true}, {"method", "sampled"}, {"detail", "ok"}}},
      {"skipped", nullptr}};
  return {{"params", params},
          {"scope", "rank"},
          {"metrics", nlohmann::json::array({descriptor})},
          {"ranks", nlohmann::json::array({rank})}};
}

nlohmann::json skipped_point(const nlohmann::json& params, const std::string& reason) {
  const nlohmann::json rank = {{"rank", 0},
                               {"host", "node001"},
                               {"values", nlohmann::json::object()},
                               {"correctness", {{"checked", false}}},
                               {"skipped", reason}};
  return {{"params", params},
          {"scope", "rank"},
          {"metrics", nlohmann::json::array()},
          {"ranks", nlohmann::json::array({rank})}};
}

// A case entry as the controller leaves it after the case: its results and their checks.
nlohmann::json case_entry(const std::string& benchmark, const nlohmann::json& params,
                          const std::string& status, const std::vector<nlohmann::json>& points,
                          const system_spec& system) {
  const nlohmann::json results = points;
  expanded_case c;
  c.id = benchmark + "-0";
  c.name = benchmark;
  c.benchmark = benchmark;
  c.params = params;
  nlohmann::json entry = make_case_entry(c, {});
  entry["status"] = status;
  entry["results"] = results;
  entry["checks"] = evaluate_checks(results, benchmark, &system, 1);
  entry["outcome"] = to_string(case_outcome(entry["checks"]));
  return entry;
}

nlohmann::json run_of(std::vector<nlohmann::json> cases) {
  return {{"cases", std::move(cases)}};
}

class commitments : public ::testing::Test {
 protected:
  system_spec m_system;
  const registry& m_suites = registry::instance();
};

TEST_F(commitments, reference_at_a_skipped_point_fails_naming_the_reference_and_the_skip) {
  m_system.references = {make_reference("gemm", "tflops", {{"dtype", "bf16"}}, 700, 12)};
  auto run =
      run_of({case_entry("gemm", gemm_params("bf16"), "completed",
                         {skipped_point(gemm_params("bf16"), "OpenBLAS has no bf16 GEMM")}, m_system)});
  ASSERT_EQ(run["cases"][0]["outcome"], "SKIPPED");
  EXPECT_EQ(add_unmeasured_commitments(run, m_system, m_suites), 1u);
  const auto& c = run["cases"][0];
  EXPECT_EQ(c["outcome"], "FAIL");
  const auto& check = c["checks"].back();
  EXPECT_EQ(check["outcome"], "FAIL");
  EXPECT_EQ(check["metric"], "tflops");
  EXPECT_EQ(check["params"], gemm_params("bf16"));
  EXPECT_EQ(check["aggregation"], "commitment");
  EXPECT_EQ(check["unit"], "TFLOP/s");
  EXPECT_EQ(check["value"], nullptr);
  EXPECT_EQ(check["reference"]["value"], 700);
  EXPECT_EQ(check["reference"]["lower_bound"], 665);
  EXPECT_EQ(check["reference"]["defined_at"], "/etc/exacheck/h200.yaml:12:5");
  EXPECT_EQ(check["reason"],
            "committed, not measured: gemm tflops where {dtype: bf16} (contract annex B) at h200.yaml:12; "
            "the point was SKIPPED: OpenBLAS has no bf16 GEMM");
}

TEST_F(commitments, judged_references_and_references_for_other_points_add_nothing) {
  m_system.references = {make_reference("gemm", "tflops", {{"dtype", "fp64"}}, 0.001, 3),
                         make_reference("gemm", "tflops", {{"dtype", "bf16"}}, 700, 5),
                         make_reference("membw", "triad_bandwidth", nlohmann::json::object(), 1, 7)};
  // fp64 measured and judged (PASS); bf16 is a point this plan does not run; no membw case ran.
  auto run = run_of({case_entry("gemm", gemm_params("fp64"), "completed",
                                {measured_point(gemm_params("fp64"), 0.05)}, m_system)});
  ASSERT_EQ(run["cases"][0]["outcome"], "PASS");
  const auto checks_before = run["cases"][0]["checks"];
  EXPECT_EQ(add_unmeasured_commitments(run, m_system, m_suites), 0u);
  EXPECT_EQ(run["cases"][0]["checks"], checks_before);
  EXPECT_EQ(run["cases"][0]["outcome"], "PASS");
}

TEST_F(commitments, a_shadowed_reference_counts_as_judged_by_the_more_specific_one) {
  // {dtype: fp64, m: 64} judges the point; {dtype: fp64} applies too and needs no check of its own.
  m_system.references = {make_reference("gemm", "tflops", {{"dtype", "fp64"}}, 0.001, 3),
                         make_reference("gemm", "tflops", {{"dtype", "fp64"}, {"m", 64}}, 0.002, 4)};
  auto run = run_of({case_entry("gemm", gemm_params("fp64"), "completed",
                                {measured_point(gemm_params("fp64"), 0.05)}, m_system)});
  EXPECT_EQ(add_unmeasured_commitments(run, m_system, m_suites), 0u);
}

TEST_F(commitments, every_unmeasured_reference_of_a_point_is_named) {
  m_system.references = {make_reference("gemm", "tflops", {{"dtype", "bf16"}}, 700, 12),
                         make_reference("gemm", "tflops", {{"dtype", "bf16"}, {"m", 64}}, 650, 14)};
  auto run =
      run_of({case_entry("gemm", gemm_params("bf16"), "completed",
                         {skipped_point(gemm_params("bf16"), "OpenBLAS has no bf16 GEMM")}, m_system)});
  EXPECT_EQ(add_unmeasured_commitments(run, m_system, m_suites), 2u);
  EXPECT_NE(run["cases"][0]["checks"].back()["reason"].get<std::string>().find("at h200.yaml:14"),
            std::string::npos);
}

TEST_F(commitments, errored_and_timed_out_cases_fail_every_reference_they_should_have_measured) {
  m_system.references = {make_reference("gemm", "tflops", {{"dtype", "fp64"}}, 0.001, 3),
                         make_reference("gemm", "time", {{"dtype", "fp64"}}, 1, 4)};
  m_system.references[1].unit = "s";
  m_system.references[1].lower.reset();
  m_system.references[1].upper = tolerance{0, true};
  auto errored = case_entry("gemm", gemm_params("fp64"), "error", {}, m_system);
  errored["message"] = "the worker was killed by signal 11 (Segmentation fault)";
  auto timed_out = case_entry("gemm", gemm_params("fp64"), "timeout", {}, m_system);
  timed_out["message"] = "the case ran past its time-out (60 s) and was stopped";
  auto run = run_of({errored, timed_out});
  EXPECT_EQ(add_unmeasured_commitments(run, m_system, m_suites), 4u);
  const auto& first = run["cases"][0]["checks"];
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0]["metric"], "tflops");
  EXPECT_NE(first[0]["reason"].get<std::string>().find(
                "; the case ended in ERROR: the worker was killed by signal 11 (Segmentation fault)"),
            std::string::npos)
      << first[0]["reason"];
  EXPECT_EQ(first[1]["metric"], "time");
  EXPECT_EQ(first[1]["unit"], "s");
  EXPECT_EQ(first[1]["better"], "lower");  // the metric's own direction
  EXPECT_NE(
      run["cases"][1]["checks"][0]["reason"].get<std::string>().find("; the case timed out: the case ran"),
      std::string::npos);
  EXPECT_EQ(run["cases"][0]["outcome"], "FAIL");
}

TEST_F(commitments, a_metric_the_point_did_not_report_fails) {
  m_system.references = {make_reference("gemm", "pct_of_peak", {{"dtype", "fp64"}}, 50, 9)};
  m_system.references[0].unit = "%";
  // No datasheet peak in this system: the controller added no pct_of_peak to the point.
  auto run = run_of({case_entry("gemm", gemm_params("fp64"), "completed",
                                {measured_point(gemm_params("fp64"), 0.05)}, m_system)});
  EXPECT_EQ(add_unmeasured_commitments(run, m_system, m_suites), 1u);
  EXPECT_NE(
      run["cases"][0]["checks"].back()["reason"].get<std::string>().find("; no rank reported pct_of_peak"),
      std::string::npos)
      << run["cases"][0]["checks"].back()["reason"];
}

TEST_F(commitments, cases_never_launched_are_not_expected_to_measure_anything) {
  m_system.references = {make_reference("gemm", "tflops", nlohmann::json::object(), 1, 3)};
  auto pending = case_entry("gemm", gemm_params("fp64"), "pending", {}, m_system);
  auto skipped = case_entry("gemm", gemm_params("fp32"), "skipped", {}, m_system);
  auto run = run_of({pending, skipped});
  EXPECT_EQ(add_unmeasured_commitments(run, m_system, m_suites), 0u);
}

TEST_F(commitments, a_metric_reported_only_at_other_points_is_not_expected_there) {
  // copybw reports d2d_bandwidth only for direction d2d: the h2d launch owes nothing to this reference.
  m_system.references = {make_reference("copybw", "d2d_bandwidth", nlohmann::json::object(), 1, 3)};
  m_system.references[0].unit = "GB/s";
  const nlohmann::json h2d = {{"direction", "h2d"}, {"bytes", {1 << 20}}};
  const nlohmann::json d2d = {{"direction", "d2d"}, {"bytes", {1 << 20}}};
  auto run =
      run_of({case_entry("copybw", h2d, "completed",
                         {skipped_point({{"direction", "h2d"}, {"bytes", 1 << 20}}, "no GPU")}, m_system),
              case_entry("copybw", d2d, "completed",
                         {skipped_point({{"direction", "d2d"}, {"bytes", 1 << 20}}, "no GPU")}, m_system)});
  EXPECT_EQ(add_unmeasured_commitments(run, m_system, m_suites), 1u);
  EXPECT_EQ(run["cases"][0]["checks"].size(), 1u);  // the skip only
  EXPECT_EQ(run["cases"][1]["checks"].back()["params"]["direction"], "d2d");
}

}  // namespace
}  // namespace exacheck
