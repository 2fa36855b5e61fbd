// The system-wide analysis (reports/analysis/aggregate.hpp, docs/run-json.md "analysis"): distributions, robust z,
// fleet-outlier rules and their checks, node aggregation, totals and projection. Every expected number is
// worked out by hand in the comment beside it.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "../support/rank_records.hpp"
#include "reports/analysis/aggregate.hpp"
#include "reports/analysis/analysis_devices.hpp"
#include "reports/analysis/fleet_statistics.hpp"

namespace {

using nlohmann::json;
namespace reports = exacheck::reports;

// One rank on one GPU: host, GPU index on the host, value (nullopt: reported as null, i.e. NaN).
struct gpu_result {
  std::string host;
  int gpu = 0;
  std::optional<double> value;
  bool reports_metric = true;  // false: the rank ran, but this metric is missing from its results
  std::string uuid = "";       // "" → "GPU-<host>-<gpu>"
};

json rank_entry(int rank, const gpu_result& g, const std::string& metric, const std::string& unit,
                const std::string& better) {
  json metrics = json::array();
  if (g.reports_metric)
    metrics.push_back({{"name", metric},
                       {"value", g.value ? json(*g.value) : json(nullptr)},
                       {"unit", unit},
                       {"statistic", "median"},
                       {"better", better}});
  return {{"rank", rank},
          {"host", g.host},
          {"local_rank", g.gpu},
          {"device",
           {{"kind", "gpu"},
            {"index", g.gpu},
            {"name", "NVIDIA H100 80GB HBM3"},
            {"uuid", g.uuid.empty() ? "GPU-" + g.host + "-" + std::to_string(g.gpu) : g.uuid},
            {"serial", "S" + std::to_string(rank)},
            {"pci_bus_id", "00000000:1" + std::to_string(g.gpu) + ":00.0"}}},
          {"metrics", metrics}};
}

struct run_options {
  std::string benchmark = "gemm";
  std::string metric = "tflops";
  std::string unit = "TFLOP/s";
  std::string better = "higher";
  json system = nullptr;
  int ranks_expected = 0;  // 0: as many as there are results
};

// A completed run of one case with one rank-scoped point; its own metric check PASSes, except that it FAILs
// (fail closed, as harness/verdicts does) when a value is missing or invalid.
json run_of(const std::vector<gpu_result>& gpus, const run_options& o = {}) {
  json ranks = json::array();
  bool all_valid = true;
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    ranks.push_back(rank_entry(static_cast<int>(i), gpus[i], o.metric, o.unit, o.better));
    all_valid = all_valid && gpus[i].reports_metric && gpus[i].value && *gpus[i].value > 0;
  }
  const json params = {{"dtype", "bf16"}};
  const json check = {{"metric", o.metric},
                      {"params", params},
                      {"value", 1.0},
                      {"unit", o.unit},
                      {"aggregation", "worst rank"},
                      {"reference", {{"value", 90}, {"unit", o.unit}, {"lower_bound", 85}}},
                      {"outcome", all_valid ? "PASS" : "FAIL"},
                      {"reason", ""}};
  const int expected = o.ranks_expected > 0 ? o.ranks_expected : static_cast<int>(gpus.size());
  json test_case = {{"id", o.benchmark + "-00000001"},
                    {"name", o.benchmark},
                    {"benchmark", o.benchmark},
                    {"ranks", expected},
                    {"status", "completed"},
                    {"outcome", all_valid ? "PASS" : "FAIL"},
                    {"timing", {{"launch_s", 1.0}, {"benchmark_s", 2.0}}},
                    {"results", {exacheck::testing::rank_point(params, "rank", ranks)}},
                    {"checks", {check}}};
  return {{"schema", exacheck::run_schema}, {"verdict", "PASS"},        {"exit_code", 0},
          {"interrupted", false},           {"complete", true},         {"system", o.system},
          {"provenance", json::object()},   {"timing", json::object()}, {"cases", {test_case}}};
}

// `values` on `nodes` nodes, `per_node` GPUs each, in host order.
std::vector<gpu_result> fleet(const std::vector<double>& values, int per_node) {
  std::vector<gpu_result> gpus;
  for (std::size_t i = 0; i < values.size(); ++i)
    gpus.push_back({"node" + std::to_string(1 + i / per_node), static_cast<int>(i % per_node), values[i]});
  return gpus;
}

const json& only_metric(const json& run) {
  return run.at("analysis").at("metrics").at(0);
}

// GPU `i` of the run's only metric as one object: its analysis.devices entry with the metric's rank, value
// and robust z for it.
json gpu_of(const json& run, std::size_t i) {
  const reports::metric_devices devices(run.at("analysis"), only_metric(run));
  EXPECT_LT(i, devices.size());
  const auto device = devices[i];
  json gpu = device.gpu;
  gpu["rank"] = device.rank;
  gpu["value"] = device.value;
  gpu["robust_z"] = device.robust_z;
  return gpu;
}

std::size_t gpu_count(const json& run) {
  return only_metric(run).at("devices").at("index").size();
}

std::vector<json> fleet_checks(const json& run) {
  std::vector<json> found;
  for (const auto& check : run["cases"][0]["checks"])
    if (check.value("aggregation", "") == "fleet") found.push_back(check);
  return found;
}

json analysed(json run, const reports::outlier_rules& rules = {}) {
  reports::analyse_run(run, rules);
  return run;
}

// ---- fleet statistics ----

TEST(fleet_statistics, distribution_uses_the_harness_percentiles) {
  // Sorted 1..5: p5 at position 0.05·4 = 0.2 → 1.2; p95 at 3.8 → 4.8; spread (5 − 1) / 3 = 133.3%.
  const auto d = reports::distribution_of({5, 1, 4, 2, 3});
  EXPECT_EQ(d.count, 5u);
  EXPECT_DOUBLE_EQ(d.min, 1);
  EXPECT_DOUBLE_EQ(d.p5, 1.2);
  EXPECT_DOUBLE_EQ(d.median, 3);
  EXPECT_DOUBLE_EQ(d.mean, 3);
  EXPECT_DOUBLE_EQ(d.p95, 4.8);
  EXPECT_DOUBLE_EQ(d.max, 5);
  ASSERT_TRUE(d.spread_pct);
  EXPECT_NEAR(*d.spread_pct, 400.0 / 3.0, 1e-12);
  EXPECT_EQ(reports::distribution_of({}).count, 0u);
}

TEST(fleet_statistics, robust_z_is_distance_from_median_in_scaled_mads) {
  // Median 3; deviations 0,1,1,2,97 → MAD 1; z(100) = 97 / 1.4826.
  const std::vector<double> values{1, 2, 3, 4, 100};
  const auto scale = reports::robust_scale_of(values);
  EXPECT_DOUBLE_EQ(scale.median, 3);
  EXPECT_DOUBLE_EQ(scale.scale, 1.4826);
  EXPECT_NEAR(reports::robust_z(100, scale), 97 / 1.4826, 1e-12);
  EXPECT_NEAR(reports::robust_z(2, scale), -1 / 1.4826, 1e-12);
}

TEST(fleet_statistics, mad_of_zero_falls_back_to_mean_absolute_deviation) {
  // Four equal values: MAD 0. Mean absolute deviation 4 / 5 = 0.8 → scale 1.2533 · 0.8; z(6) = −4 / 1.00264.
  const std::vector<double> values{10, 10, 10, 10, 6};
  const auto scale = reports::robust_scale_of(values);
  EXPECT_DOUBLE_EQ(scale.median, 10);
  EXPECT_NEAR(scale.scale, 1.2533 * 0.8, 1e-12);
  EXPECT_NEAR(reports::robust_z(6, scale), -4 / (1.2533 * 0.8), 1e-12);
}

TEST(fleet_statistics, all_equal_values_have_z_zero) {
  const std::vector<double> values{7, 7, 7, 7};
  const auto scale = reports::robust_scale_of(values);
  EXPECT_EQ(scale.scale, 0);
  EXPECT_EQ(reports::robust_z(7, scale), 0);
  EXPECT_EQ(reports::robust_z(9, scale), 0);
}

TEST(fleet_statistics, rates_are_flops_ops_and_bytes_per_second) {
  EXPECT_TRUE(reports::is_rate_unit("TFLOP/s"));
  EXPECT_TRUE(reports::is_rate_unit("GB/s"));
  EXPECT_TRUE(reports::is_rate_unit("TOP/s"));
  EXPECT_FALSE(reports::is_rate_unit("us"));
  EXPECT_FALSE(reports::is_rate_unit("s"));
}

// ---- aggregation ----

TEST(analysis, aggregates_ranks_into_gpus_nodes_and_a_distribution) {
  const json run = analysed(run_of(fleet({100, 101, 99, 100, 100, 100, 101, 98}, 4)));
  const json& m = only_metric(run);
  EXPECT_EQ(m["case_id"], "gemm-00000001");
  EXPECT_EQ(m["metric"], "tflops");
  EXPECT_EQ(m["unit"], "TFLOP/s");
  EXPECT_EQ(m["params"], json({{"dtype", "bf16"}}));
  EXPECT_EQ(m["reference"]["value"], 90);
  EXPECT_EQ(m["outcome"], "PASS");
  // Sorted 98 99 100 100 100 100 101 101: median 100, mean 799 / 8.
  EXPECT_EQ(m["distribution"]["count"], 8);
  EXPECT_EQ(m["distribution"]["invalid"], 0);
  EXPECT_DOUBLE_EQ(m["distribution"]["median"].get<double>(), 100);
  EXPECT_DOUBLE_EQ(m["distribution"]["mean"].get<double>(), 799.0 / 8);
  EXPECT_DOUBLE_EQ(m["distribution"]["min"].get<double>(), 98);
  ASSERT_EQ(gpu_count(run), 8u);
  EXPECT_EQ(gpu_of(run, 5)["host"], "node2");
  EXPECT_EQ(gpu_of(run, 5)["gpu"], 1);
  EXPECT_EQ(gpu_of(run, 5)["uuid"], "GPU-node2-1");
  EXPECT_EQ(gpu_of(run, 5)["serial"], "S5");
  ASSERT_EQ(m["nodes"]["host"].size(), 2u);
  EXPECT_EQ(m["nodes"]["host"], json({"node1", "node2"}));
  EXPECT_EQ(m["nodes"]["gpus"][0], 4);
  EXPECT_DOUBLE_EQ(m["nodes"]["value"][0].get<double>(), 100);  // (100 + 101 + 99 + 100) / 4
  EXPECT_DOUBLE_EQ(m["nodes"]["sum"][1].get<double>(), 399);
  EXPECT_EQ(m["worst_gpu"]["host"], "node2");
  EXPECT_EQ(m["worst_gpu"]["gpu"], 3);
  EXPECT_EQ(m["worst_gpu"]["rank"], 7);
  EXPECT_EQ(m["worst_node"]["host"], "node2");  // 99.75 < 100
  EXPECT_DOUBLE_EQ(m["total"]["value"].get<double>(), 799);
  EXPECT_EQ(m["total"]["gpus"], 8);
  EXPECT_EQ(run["analysis"]["measured"], json({{"gpus", 8}, {"nodes", 2}}));
  EXPECT_TRUE(fleet_checks(run).empty());
}

TEST(analysis, ranks_sharing_a_gpu_sum_rates_and_average_other_metrics) {
  std::vector<gpu_result> gpus = fleet({50, 49}, 2);
  gpus[0].uuid = gpus[1].uuid = "GPU-shared";
  const json rate_run = analysed(run_of(gpus));
  ASSERT_EQ(gpu_count(rate_run), 1u);
  EXPECT_DOUBLE_EQ(gpu_of(rate_run, 0)["value"].get<double>(), 99);
  EXPECT_EQ(gpu_of(rate_run, 0)["rank"], 0);
  const json time_run = analysed(run_of(gpus, {.metric = "time", .unit = "s", .better = "lower"}));
  const json& time = only_metric(time_run);
  EXPECT_DOUBLE_EQ(gpu_of(time_run, 0)["value"].get<double>(), 49.5);
  EXPECT_TRUE(time["total"].is_null());  // seconds do not add up over GPUs
  EXPECT_TRUE(time["projection"].is_null());
}

TEST(analysis, invalid_and_missing_values_never_join_the_good_distribution) {
  std::vector<gpu_result> gpus = fleet({100, 100, 100, 100, 100, 100}, 2);
  gpus[1].value = std::nullopt;                                    // NaN, written as null
  gpus[2].value = 0;                                               // zero
  gpus[3].reports_metric = false;                                  // missing on this rank
  const json run = analysed(run_of(gpus, {.ranks_expected = 7}));  // and a rank that never reported at all
  const json& m = only_metric(run);
  EXPECT_EQ(m["distribution"]["count"], 3);
  EXPECT_EQ(m["distribution"]["invalid"], 3);
  EXPECT_EQ(m["distribution"]["missing_ranks"], 2);  // 7 expected, 5 reported tflops (one as null)
  EXPECT_DOUBLE_EQ(m["distribution"]["min"].get<double>(), 100);
  EXPECT_TRUE(gpu_of(run, 1)["value"].is_null());
  EXPECT_TRUE(gpu_of(run, 2)["value"].is_null());
  EXPECT_TRUE(gpu_of(run, 3)["value"].is_null());
  EXPECT_TRUE(gpu_of(run, 1)["robust_z"].is_null());
  EXPECT_EQ(m["worst_gpu"]["gpu"], 1);  // fail closed: an invalid GPU is the worst
  EXPECT_EQ(m["worst_gpu"]["host"], "node1");
  EXPECT_TRUE(m["worst_gpu"]["value"].is_null());
  EXPECT_EQ(m["worst_node"]["host"], "node1");
  EXPECT_EQ(m["nodes"]["invalid"][1], 2);
  EXPECT_TRUE(m["nodes"]["value"][1].is_null());
  EXPECT_DOUBLE_EQ(m["total"]["value"].get<double>(), 300);
  // Their own checks FAIL; the analysis keeps that and adds no fleet check that could read as a pass.
  EXPECT_EQ(m["outcome"], "FAIL");
  EXPECT_EQ(run["exit_code"], 1);
  EXPECT_EQ(run["cases"][0]["outcome"], "FAIL");
}

// ---- fleet outliers ----

TEST(analysis, a_slow_gpu_becomes_an_outlier_check_and_the_run_fails) {
  // Sorted 75 99 100 100 100 100 101 101: median 100, deviations → MAD 0.5, scale 0.7413; z(75) = −33.7.
  const json run = analysed(run_of(fleet({100, 101, 99, 100, 100, 100, 101, 75}, 4)));
  const auto checks = fleet_checks(run);
  ASSERT_EQ(checks.size(), 1u);
  const json& c = checks[0];
  EXPECT_EQ(c["outcome"], "OUTLIER");
  EXPECT_EQ(c["level"], "gpu");
  EXPECT_EQ(c["rule"], "z");
  EXPECT_EQ(c["worst_host"], "node2");
  EXPECT_EQ(c["worst_rank"], 7);
  EXPECT_EQ(c["gpu"], 3);
  EXPECT_EQ(c["uuid"], "GPU-node2-3");
  EXPECT_DOUBLE_EQ(c["value"].get<double>(), 75);
  EXPECT_DOUBLE_EQ(c["delta_pct"].get<double>(), -25);
  EXPECT_NEAR(c["robust_z"].get<double>(), -25 / (1.4826 * 0.5), 1e-9);
  EXPECT_TRUE(c["reference"].is_null());
  EXPECT_EQ(c["ranks_measured"], 8);
  EXPECT_EQ(c["reason"],
            "node2 GPU 3 (GPU-node2-3): 75 TFLOP/s is 25.0% below the fleet median 100 TFLOP/s of 8 NVIDIA "
            "H100 80GB HBM3; robust z -33.7 (limit |z| > 4 and 5% from the median)");
  // The fleet check sits right after the metric's own check.
  EXPECT_EQ(run["cases"][0]["checks"][1], c);
  const json& m = only_metric(run);
  EXPECT_EQ(m["outcome"], "OUTLIER");
  ASSERT_EQ(m["outliers"].size(), 1u);
  EXPECT_EQ(m["outliers"][0]["reason"], c["reason"]);
  EXPECT_EQ(m["outliers"][0]["rule"], "z");
  EXPECT_EQ(run["cases"][0]["outcome"], "OUTLIER");
  EXPECT_EQ(run["summary"]["counts"]["OUTLIER"], 1);
  EXPECT_EQ(run["verdict"], "OUTLIER");
  EXPECT_EQ(run["exit_code"], 1);
}

TEST(analysis, analysing_twice_gives_the_same_run_and_new_rules_replace_old_fleet_checks) {
  const json once = analysed(run_of(fleet({100, 101, 99, 100, 100, 100, 101, 75}, 4)));
  EXPECT_EQ(analysed(once), once);
  // A z threshold of 50 lets z −33.7 pass: the OUTLIER check goes, and the case and run pass again.
  const json relaxed = analysed(once, {.z_threshold = 50});
  EXPECT_TRUE(fleet_checks(relaxed).empty());
  EXPECT_EQ(relaxed["cases"][0]["checks"].size(), 1u);
  EXPECT_EQ(relaxed["cases"][0]["outcome"], "PASS");
  EXPECT_EQ(relaxed["exit_code"], 0);
  EXPECT_EQ(relaxed["verdict"], "PASS");
  EXPECT_EQ(relaxed["analysis"]["rules"]["z_threshold"], 50);
}

TEST(analysis, a_higher_value_is_the_bad_direction_when_lower_is_better) {
  // Times 1.0 ×7 and 1.5: median 1, MAD 0, mean absolute deviation 0.5 / 8 → z(1.5) = 0.5 / (1.2533 ·
  // 0.0625).
  const run_options time{.metric = "time", .unit = "s", .better = "lower"};
  const json slow = analysed(run_of(fleet({1, 1, 1, 1, 1, 1, 1, 1.5}, 4), time));
  ASSERT_EQ(fleet_checks(slow).size(), 1u);
  EXPECT_NEAR(fleet_checks(slow)[0]["robust_z"].get<double>(), 0.5 / (1.2533 * 0.0625), 1e-9);
  EXPECT_NE(fleet_checks(slow)[0]["reason"].get<std::string>().find("50.0% above the fleet median"),
            std::string::npos);
  const json fast = analysed(run_of(fleet({1, 1, 1, 1, 1, 1, 1, 0.5}, 4), time));
  EXPECT_TRUE(fleet_checks(fast).empty());
}

TEST(analysis, a_tiny_deviation_in_a_tight_fleet_is_not_an_outlier) {
  // Sorted 99.4 100 ×6 100.2: median 100, MAD 0, mean deviation 0.8 / 8 → z(99.4) = −0.6 / 0.125 = −4.8, but
  // it is only 0.6% below the median: under min_deviation_pct (5%).
  const auto gpus = fleet({100, 100, 100, 100, 100, 100, 100.2, 99.4}, 4);
  const json run = analysed(run_of(gpus));
  EXPECT_NEAR(gpu_of(run, 7)["robust_z"].get<double>(), -0.6 / (1.2533 * 0.1), 1e-9);
  EXPECT_TRUE(fleet_checks(run).empty());
  EXPECT_EQ(fleet_checks(analysed(run_of(gpus), {.min_deviation_pct = 0.5})).size(), 1u);
}

TEST(analysis, cpu_ranks_are_compared_as_nodes_never_as_ranks_of_one_node) {
  // One rank per node on 4 nodes, plus 3 more ranks on node4 sharing its memory: only node means are judged.
  json run = run_of(fleet({100, 100, 100, 60, 100, 100, 100}, 1));
  for (auto& rank : run["cases"][0]["results"][0]["ranks"]) {
    rank["device"] = {{"kind", "cpu"}, {"name", "AMD EPYC"}};
    if (rank["rank"].get<int>() >= 4) rank["host"] = "node4";
  }
  for (int r = 4; r < 7; ++r) run["cases"][0]["results"][0]["ranks"][r]["local_rank"] = r - 3;
  // Node means 100 100 100 90: z = −3.19 (one of four against three equal ones), so the 10%-below rule
  // judges.
  const json analysed_run = analysed(run, {.below_median_pct = 5, .spread = {{"gemm", "tflops", 1}}});
  const auto checks = fleet_checks(analysed_run);
  ASSERT_EQ(checks.size(), 1u);  // no rank-level check (rank 3 is 40% below), no spread over ranks
  EXPECT_EQ(checks[0]["level"], "node");
  EXPECT_EQ(checks[0]["rule"], "below_median");
  EXPECT_EQ(checks[0]["worst_host"], "node4");
  EXPECT_DOUBLE_EQ(checks[0]["value"].get<double>(), 90);  // (60 + 100 × 3) / 4
  EXPECT_EQ(gpu_count(analysed_run), 7u);
  EXPECT_NE(checks[0]["reason"].get<std::string>().find("of 4 nodes of AMD EPYC"), std::string::npos)
      << checks[0]["reason"];
  // A CPU node's ranks are not GPUs: "node4 (4 CPU rank(s)): mean 90 TFLOP/s per rank".
  EXPECT_NE(checks[0]["reason"].get<std::string>().find("node4 (4 CPU rank(s)): mean 90 TFLOP/s per rank"),
            std::string::npos)
      << checks[0]["reason"];
}

TEST(analysis, one_gpu_has_no_fleet_to_be_compared_with) {
  const json run = analysed(run_of(fleet({10}, 1)), {.below_median_pct = 1});
  EXPECT_TRUE(gpu_of(run, 0)["robust_z"].is_null());
  EXPECT_TRUE(fleet_checks(run).empty());
}

TEST(analysis, fleets_smaller_than_min_fleet_are_not_judged) {
  const auto gpus = fleet({100, 100, 50}, 3);  // MAD 0, mean deviation 50/3: z(50) = −50 / 20.89 = −2.39
  EXPECT_TRUE(fleet_checks(analysed(run_of(gpus), {.below_median_pct = 10})).empty());  // 3 < min_fleet 4
  const json judged = analysed(run_of(gpus), {.below_median_pct = 10, .min_fleet = 3});
  ASSERT_EQ(fleet_checks(judged).size(), 1u);
  EXPECT_EQ(fleet_checks(judged)[0]["rule"], "below_median");
  EXPECT_NE(gpu_of(judged, 0)["robust_z"], nullptr);
}

TEST(analysis, below_median_rule_flags_what_robust_z_lets_pass) {
  // Sorted 70 85 100 100 115 130: median 100, MAD 15, scale 22.24; z(70) = −1.35 but 30% below the median.
  const auto gpus = fleet({100, 85, 70, 115, 130, 100}, 2);
  EXPECT_TRUE(fleet_checks(analysed(run_of(gpus))).empty());
  const json run = analysed(run_of(gpus), {.below_median_pct = 20});
  const auto checks = fleet_checks(run);
  ASSERT_EQ(checks.size(), 1u);  // 85 is 15% below: within 20%
  EXPECT_EQ(checks[0]["rule"], "below_median");
  EXPECT_EQ(checks[0]["worst_host"], "node2");
  EXPECT_EQ(checks[0]["gpu"], 0);
  EXPECT_NE(checks[0]["reason"].get<std::string>().find("30.0% below the fleet median 100 TFLOP/s"),
            std::string::npos);
  EXPECT_NE(checks[0]["reason"].get<std::string>().find("limit 20% below the median (robust z -1.3)"),
            std::string::npos)
      << checks[0]["reason"];
}

TEST(analysis, spread_rule_names_the_worst_gpu) {
  // Mean 98.25; spread (100 − 93) / 98.25 = 7.12% > 5%. z(93) = −7 / (1.2533 · 1.75) = −3.19: no z outlier.
  const run_options membw{.benchmark = "membw", .metric = "triad_bandwidth", .unit = "GB/s"};
  const reports::outlier_rules rules{.spread = {{"membw", "triad_bandwidth", 5}}};
  const json run = analysed(run_of(fleet({100, 93, 100, 100}, 4), membw), rules);
  const auto checks = fleet_checks(run);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0]["level"], "spread");
  EXPECT_EQ(checks[0]["rule"], "spread");
  EXPECT_EQ(checks[0]["gpu"], 1);
  EXPECT_NEAR(checks[0]["spread_pct"].get<double>(), 7 / 98.25 * 100, 1e-9);
  EXPECT_DOUBLE_EQ(checks[0]["delta_pct"].get<double>(), -7);
  EXPECT_NE(checks[0]["reason"].get<std::string>().find("spread over 4 GPUs is 7.1%"), std::string::npos)
      << checks[0]["reason"];
  // Within the limit, or for another metric: nothing.
  EXPECT_TRUE(fleet_checks(analysed(run_of(fleet({100, 96, 100, 100}, 4), membw), rules)).empty());
  EXPECT_TRUE(fleet_checks(analysed(run_of(fleet({100, 93, 100, 100}, 4)), rules)).empty());
}

TEST(analysis, a_slow_node_is_an_outlier_even_when_each_of_its_gpus_is_not) {
  // GPU median 97, MAD 5: z(88) = −1.2. Node means 100 ×5 and 90: MAD 0, mean deviation 10/6 → z = −4.79.
  const json run = analysed(run_of(fleet({95, 105, 105, 95, 96, 104, 104, 96, 98, 102, 88, 92}, 2)));
  const auto checks = fleet_checks(run);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0]["level"], "node");
  EXPECT_EQ(checks[0]["worst_host"], "node6");
  EXPECT_EQ(checks[0]["worst_rank"], 10);  // its GPU with 88
  EXPECT_TRUE(checks[0]["gpu"].is_null());
  EXPECT_DOUBLE_EQ(checks[0]["value"].get<double>(), 90);
  EXPECT_NEAR(checks[0]["robust_z"].get<double>(), -10 / (1.2533 * 10.0 / 6), 1e-9);
  const json& m = only_metric(run);
  EXPECT_DOUBLE_EQ(m["nodes"]["sum"][5].get<double>(), 180);
  EXPECT_EQ(m["worst_node"]["host"], "node6");
}

// ---- system size ----

TEST(analysis, projects_rates_to_the_system_size_with_its_assumption) {
  const json system = {{"name", "h100-sxm"}, {"size", {{"nodes", 525}, {"gpus_per_node", 4}}}};
  const json run = analysed(run_of(fleet({100, 102, 98, 100}, 4), {.system = system}));
  EXPECT_EQ(run["analysis"]["system_size"],
            json({{"nodes", 525}, {"gpus_per_node", 4}, {"gpus", 2100}, {"source", "h100-sxm"}}));
  const json& m = only_metric(run);
  EXPECT_DOUBLE_EQ(m["total"]["value"].get<double>(), 400);  // measured: never mixed with the projection
  EXPECT_DOUBLE_EQ(m["projection"]["value"].get<double>(), 210000);
  EXPECT_EQ(m["projection"]["gpus"], 2100);
  EXPECT_EQ(m["projection"]["assumption"],
            "per-GPU median 100 TFLOP/s × 2100 GPUs (525 nodes × 4 GPUs, system h100-sxm)");
}

TEST(analysis, no_projection_without_a_gpu_size) {
  const json without = analysed(run_of(fleet({100, 102}, 2)));
  EXPECT_TRUE(without["analysis"]["system_size"].is_null());
  EXPECT_TRUE(only_metric(without)["projection"].is_null());
  const json cpu_system = {{"name", "cpu"}, {"size", {{"nodes", 2}, {"gpus_per_node", 0}}}};
  EXPECT_TRUE(
      only_metric(analysed(run_of(fleet({1, 2}, 2), {.system = cpu_system})))["projection"].is_null());
}

// ---- collectives ----

TEST(analysis, collectives_keep_the_largest_point_per_case_and_dtype) {
  json run = run_of(fleet({100, 100}, 2));
  const auto point = [](double bytes, double busbw) {
    const json metrics = {{{"name", "time"}, {"value", 10.0}, {"unit", "us"}},
                          {{"name", "algbw"}, {"value", busbw / 2}, {"unit", "GB/s"}},
                          {{"name", "busbw"}, {"value", busbw}, {"unit", "GB/s"}}};
    return exacheck::testing::rank_point({{"bytes", bytes}, {"dtype", "bf16"}}, "global",
                                         {{{"rank", 0}, {"host", "node1"}, {"metrics", metrics}}});
  };
  run["cases"].push_back({{"id", "allreduce-1"},
                          {"name", "allreduce"},
                          {"benchmark", "allreduce"},
                          {"ranks", 2},
                          {"results", {point(1024, 1), point(1 << 30, 80), point(1 << 20, 20)}},
                          {"checks", json::array()}});
  const json collectives = analysed(run)["analysis"]["collectives"];
  ASSERT_EQ(collectives.size(), 1u);
  EXPECT_EQ(collectives[0]["params"]["bytes"], 1 << 30);
  EXPECT_EQ(collectives[0]["ranks"], 2);
  EXPECT_EQ(collectives[0]["busbw"], json({{"value", 80.0}, {"unit", "GB/s"}}));
  EXPECT_EQ(collectives[0]["algbw"]["value"], 40.0);
  EXPECT_EQ(analysed(run)["analysis"]["metrics"].size(), 1u);  // global metrics are not per-GPU metrics
}

TEST(analysis, rules_round_trip_through_json) {
  const reports::outlier_rules rules{.z_threshold = 3.5,
                                     .below_median_pct = 10,
                                     .min_fleet = 8,
                                     .spread = {{"membw", "triad_bandwidth", 5}}};
  EXPECT_EQ(reports::rules_from_json(reports::to_json(rules)), rules);
  EXPECT_EQ(reports::rules_from_json(nullptr), reports::outlier_rules{});
  EXPECT_THROW(reports::rules_from_json({{"z_threshold", "four"}}), std::invalid_argument);
}

}  // namespace
