// The hooks a suite may override so that a new benchmark needs no harness edit (harness/core/suite.hpp):
// suite::simulate (what `exacheck simulate` records) and suite::peak_rules (which datasheet peak its tflops
// are a fraction of: pct_of_peak). Suites defined here, registered in registries the tests build, go through
// the harness's own code — simulate_case_result, reported_metrics, add_pct_of_peak — with no edit to it.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>

#include "../support/rank_records.hpp"
#include "harness/core/peak_rules.hpp"
#include "harness/core/registry.hpp"
#include "harness/core/simulation.hpp"
#include "harness/plan/plan.hpp"
#include "harness/results/peak_table.hpp"
#include "harness/simulate/simulate.hpp"

using namespace exacheck;

namespace {

// A benchmark that overrides no hook: one rate per rank, a size swept inside the worker.
class plain_suite : public suite {
 public:
  explicit plain_suite(metric_scope scope = metric_scope::rank) : m_scope(scope) {}
  std::vector<std::string> benchmarks() const override { return {"plain"}; }
  std::string description(std::string_view) const override { return "a test benchmark with no hooks"; }
  std::vector<param_spec> parameters(std::string_view) const override {
    param_spec dtype, bytes;
    dtype.name = "dtype";
    dtype.default_value = "fp64";
    bytes.name = "bytes";
    bytes.type = param_type::bytes;
    bytes.default_value = 8;
    bytes.swept_inside_worker = true;
    return {dtype, bytes};
  }
  std::vector<metric_spec> metrics(std::string_view) const override {
    return {{.name = "tflops", .unit = "TFLOP/s", .statistic = "median", .scope = m_scope}};
  }
  std::vector<std::string> backends() const override { return {"cpu"}; }
  std::vector<point_result> run(const run_context&, std::string_view, const param_values&) override {
    throw std::logic_error("not run in these tests");
  }

 private:
  metric_scope m_scope;
};

// A benchmark with both hooks: half its fp64 datasheet peak on every GPU, judged against that peak.
class rated_suite : public plain_suite {
 public:
  using plain_suite::plain_suite;
  std::vector<std::string> benchmarks() const override { return {"rated"}; }
  std::vector<point_result> simulate(const simulation_input& in) const override {
    m_inputs_seen.push_back({in.ranks, in.speed, in.scope});
    const auto peak = in.peak("fp64", "TFLOP/s");
    if (!peak) return {in.missing_peak(in.params, "fp64")};
    point_result point;
    point.scope = in.scope;
    point.params = in.params;
    const auto times = simulated_times(in.stream, 1.0, simulated_samples);
    point.metrics.push_back(
        {"tflops", *peak * 0.5 * in.speed, "TFLOP/s", "median", better::higher, "half the peak"});
    point.samples.push_back({"time", "s", times});
    point.check = simulated_answer();
    return {point};
  }
  std::vector<peak_rule> peak_rules(std::string_view) const override {
    return {{.where = {{"dtype", "fp64"}}, .keys = {"fp64_tensor", "fp64"}}};
  }

  struct seen {
    int ranks;
    double speed;
    metric_scope scope;
  };
  mutable std::vector<seen> m_inputs_seen;
};

system_spec test_system() {
  system_spec system;
  system.name = "test-machine";
  system.peak_per_gpu = {{"fp64", 40}, {"unit", "TFLOP/s"}};
  return system;
}

expanded_case case_of(const std::string& benchmark, nlohmann::json params) {
  expanded_case c;
  c.id = benchmark + "-0000abcd";
  c.name = benchmark;
  c.benchmark = benchmark;
  c.params = std::move(params);
  return c;
}

nlohmann::json tflops_metric(double value) {
  return {{"name", "tflops"},      {"value", value},     {"unit", "TFLOP/s"},
          {"statistic", "median"}, {"better", "higher"}, {"description", "a rate"}};
}

nlohmann::json one_point(const nlohmann::json& params, double tflops) {
  return nlohmann::json::array({exacheck::testing::rank_point(
      params, "rank",
      nlohmann::json::array({{{"rank", 0}, {"host", "node1"}, {"metrics", {tflops_metric(tflops)}}}}))});
}

}  // namespace

TEST(suite_hooks, a_suite_that_overrides_nothing_simulates_every_swept_point_skipped_on_every_gpu) {
  registry suites;
  suites.add(std::make_unique<plain_suite>());
  const synthetic_fleet fleet(2, 2, 1, 0);
  const auto result = simulate_case_result(case_of("plain", {{"dtype", "fp64"}, {"bytes", {8, 64}}}),
                                           test_system(), fleet, suites);
  ASSERT_EQ(result["rank_results"].size(), 4u);  // one record per GPU: its metric is per rank
  for (const auto& record : result["rank_results"]) {
    ASSERT_EQ(record["points"].size(), 2u) << record;  // one per size, as a worker records them
    EXPECT_EQ(record["points"][0]["params"]["bytes"], 8);
    EXPECT_EQ(record["points"][1]["params"]["bytes"], 64);
    for (const auto& point : record["points"]) {
      EXPECT_EQ(point["scope"], "rank");
      EXPECT_TRUE(point["metrics"].empty());
      EXPECT_EQ(
          point["skipped"],
          "simulate: benchmark 'plain' has no simulation (its suite does not override suite::simulate)");
    }
  }
}

TEST(suite_hooks, a_suite_without_hooks_whose_metrics_are_global_is_simulated_once_for_the_machine) {
  registry suites;
  suites.add(std::make_unique<plain_suite>(metric_scope::global));
  const synthetic_fleet fleet(2, 2, 1, 0);
  const auto result =
      simulate_case_result(case_of("plain", {{"dtype", "fp64"}, {"bytes", 8}}), test_system(), fleet, suites);
  ASSERT_EQ(result["rank_results"].size(), 1u);
  EXPECT_EQ(result["rank_results"][0]["rank"], 0);
  ASSERT_EQ(result["rank_results"][0]["points"].size(), 1u);
  EXPECT_EQ(result["rank_results"][0]["points"][0]["scope"], "global");
}

TEST(suite_hooks, a_suite_that_overrides_nothing_has_no_peak_keys_and_gets_no_pct_of_peak) {
  registry suites;
  suites.add(std::make_unique<plain_suite>());
  const suite& plain = *suites.find("plain");
  EXPECT_TRUE(plain.peak_rules("plain").empty());
  EXPECT_TRUE(peak_keys(plain, "plain", {{"dtype", "fp64"}}).empty());
  EXPECT_EQ(metric_names(reported_metrics(plain, "plain")), std::vector<std::string>{"tflops"});
  const system_spec system = test_system();
  nlohmann::json results = one_point({{"dtype", "fp64"}, {"bytes", 8}}, 20);
  add_pct_of_peak(results, "plain", &system, suites);  // a tflops and a peak of that name: still none
  EXPECT_FALSE(results[0]["ranks"][0]["values"].contains("pct_of_peak"));
  EXPECT_FALSE(find_peak("plain", {{"dtype", "fp64"}}, system.peak_per_gpu, "TFLOP/s", suites).has_value());
}

TEST(suite_hooks, a_suite_with_its_own_simulation_is_simulated_on_every_gpu_at_its_speed) {
  registry suites;
  suites.add(std::make_unique<rated_suite>());
  const auto& rated = dynamic_cast<const rated_suite&>(*suites.find("rated"));
  const synthetic_fleet fleet(3, 2, 5, 0);
  const auto result =
      simulate_case_result(case_of("rated", {{"dtype", "fp64"}}), test_system(), fleet, suites);
  ASSERT_EQ(result["rank_results"].size(), 6u);
  ASSERT_EQ(rated.m_inputs_seen.size(), 6u);
  for (const auto& record : result["rank_results"]) {
    const int rank = record["rank"].get<int>();
    const double speed = fleet.factor(rank, "rated");
    EXPECT_EQ(rated.m_inputs_seen[static_cast<std::size_t>(rank)].ranks, 6);
    EXPECT_DOUBLE_EQ(rated.m_inputs_seen[static_cast<std::size_t>(rank)].speed, speed);
    const auto& point = record["points"][0];
    EXPECT_TRUE(point["skipped"].is_null());
    EXPECT_DOUBLE_EQ(point["metrics"][0]["value"].get<double>(), 40 * 0.5 * speed);
    EXPECT_EQ(point["samples"][0]["values"].size(), 5u);
    EXPECT_GT(record["timing"]["benchmark_s"].get<double>(), 4.9);  // 5 draws around 1 s
  }
  // Without the peak it needs, the suite's own reason.
  system_spec bare = test_system();
  bare.peak_per_gpu.erase("fp64");
  const auto skipped = simulate_case_result(case_of("rated", {{"dtype", "fp64"}}), bare, fleet, suites);
  EXPECT_EQ(skipped["rank_results"][0]["points"][0]["skipped"],
            "simulate: system 'test-machine' has no peak_per_gpu.fp64");
}

TEST(suite_hooks, a_suite_with_its_own_peak_rules_gets_pct_of_peak_and_its_declaration) {
  registry suites;
  suites.add(std::make_unique<rated_suite>());
  const suite& rated = *suites.find("rated");
  const auto metrics = reported_metrics(rated, "rated");
  const metric_spec* derived = find_metric_spec(metrics, pct_of_peak_metric);
  ASSERT_NE(derived, nullptr);
  EXPECT_TRUE(derived->derived);
  EXPECT_EQ(derived->unit, "%");
  EXPECT_EQ(peak_keys(rated, "rated", {{"dtype", "fp64"}}),
            (std::vector<std::string>{"fp64_tensor", "fp64"}));
  EXPECT_TRUE(peak_keys(rated, "rated", {{"dtype", "fp32"}}).empty());  // no rule for it

  const system_spec system = test_system();  // fp64 only: the second key of the rule
  nlohmann::json results = one_point({{"dtype", "fp64"}}, 30);
  add_pct_of_peak(results, "rated", &system, suites);
  ASSERT_TRUE(results[0]["ranks"][0]["values"].contains("pct_of_peak"));
  EXPECT_DOUBLE_EQ(results[0]["ranks"][0]["values"]["pct_of_peak"].get<double>(), 75.0);
  nlohmann::json fp32 = one_point({{"dtype", "fp32"}}, 30);
  add_pct_of_peak(fp32, "rated", &system, suites);
  EXPECT_FALSE(fp32[0]["ranks"][0]["values"].contains("pct_of_peak"));
  // The registry the harness uses by default knows no such benchmark: nothing is made up.
  nlohmann::json unknown = one_point({{"dtype", "fp64"}}, 30);
  add_pct_of_peak(unknown, "rated", &system);
  EXPECT_FALSE(unknown[0]["ranks"][0]["values"].contains("pct_of_peak"));
}

TEST(suite_hooks, a_peak_rule_matches_when_every_value_it_names_is_the_points) {
  const std::vector<peak_rule> rules{{.where = {{"engine", "tensor_core"}, {"dtype", "fp64"}}, .keys = {"a"}},
                                     {.where = {{"dtype", "fp64"}}, .keys = {"b"}},
                                     {.where = nlohmann::json::object(), .keys = {"c"}}};
  EXPECT_EQ(peak_keys(rules, {{"engine", "tensor_core"}, {"dtype", "fp64"}}), std::vector<std::string>{"a"});
  EXPECT_EQ(peak_keys(rules, {{"engine", "cuda_core"}, {"dtype", "fp64"}}), std::vector<std::string>{"b"});
  EXPECT_EQ(peak_keys(rules, {{"dtype", "fp64"}}),
            std::vector<std::string>{"b"});  // no engine: not the first
  EXPECT_EQ(peak_keys(rules, {{"dtype", "fp32"}}), std::vector<std::string>{"c"});  // an empty where: any
  EXPECT_TRUE(peak_keys(rules, nlohmann::json::array()).empty());
  EXPECT_TRUE(peak_keys({}, {{"dtype", "fp64"}}).empty());
}

TEST(suite_hooks, simulated_scope_is_global_only_when_every_declared_metric_is) {
  EXPECT_EQ(simulated_scope(plain_suite(metric_scope::global), "plain"), metric_scope::global);
  EXPECT_EQ(simulated_scope(plain_suite(metric_scope::rank), "plain"), metric_scope::rank);
  EXPECT_EQ(simulated_scope(plain_suite(metric_scope::node), "plain"), metric_scope::rank);
  // The shipped suites: the collectives' metrics are global, the others' per rank (copybw's p2p per node).
  EXPECT_EQ(simulated_scope(*registry::instance().find("allreduce"), "allreduce"), metric_scope::global);
  for (const char* benchmark : {"gemm", "flops", "membw", "copybw"})
    EXPECT_EQ(simulated_scope(*registry::instance().find(benchmark), benchmark), metric_scope::rank)
        << benchmark;
}
