// `exacheck compare` logic (harness/compare*.cpp): verdicts and tolerance edges, matching by what was
// measured, GPUs matched by UUID or slot (replaced, moved), nodes, repeats pooled, the analysis section
// preferred.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "../support/rank_records.hpp"
#include "../support/reanalyse.hpp"
#include "harness/compare/compare.hpp"
#include "harness/core/errors.hpp"
#include "harness/io/files.hpp"

namespace {

using nlohmann::json;
using namespace exacheck;

json small_run() {
  return json::parse(
      read_file((std::filesystem::path(EXACHECK_TEST_DATA_DIR) / "golden" / "run_small.json").string()));
}

// A GEMM case on GPUs given as {host, index, uuid, tflops}.
struct gpu {
  std::string host;
  int index;
  std::string uuid;
  double tflops;
};
json gpu_run(const std::vector<gpu>& gpus, const std::string& case_name = "gemm") {
  json ranks = json::array();
  for (std::size_t r = 0; r < gpus.size(); ++r)
    ranks.push_back(
        {{"rank", r},
         {"host", gpus[r].host},
         {"local_rank", gpus[r].index},
         {"device", {{"kind", "gpu"}, {"index", gpus[r].index}, {"uuid", gpus[r].uuid}}},
         {"metrics",
          {{{"name", "tflops"}, {"value", gpus[r].tflops}, {"unit", "TFLOP/s"}, {"better", "higher"}}}}});
  json point = exacheck::testing::rank_point({{"dtype", "bf16"}, {"m", 8192}}, "rank", ranks);
  json c = {
      {"id", case_name + "-1234abcd"}, {"name", case_name}, {"benchmark", "gemm"}, {"results", {point}}};
  return {{"schema", exacheck::run_schema}, {"cases", {c}}};
}

json compare_runs(const json& current, const json& baseline, double tolerance_pct = 5,
                  bool allow_missing = false) {
  return compare_metrics(comparable_metrics_of_run(current), comparable_metrics_of_run(baseline),
                         tolerance_pct, true, allow_missing, json::object(), json::object());
}

const json* find_row(const json& rows, const std::string& metric, const std::string& key,
                     const std::string& value) {
  for (const auto& row : rows)
    if (row["metric"] == metric && row["params"].value(key, json()).dump() == value) return &row;
  return nullptr;
}

// ---- verdicts ----

TEST(compare_judge, higher_is_better_lower_value_beyond_tolerance_is_a_regression) {
  EXPECT_EQ(judge(90, 100, "higher", 5).verdict, "REGRESSION");
  EXPECT_DOUBLE_EQ(*judge(90, 100, "higher", 5).delta_pct, -10);
  EXPECT_EQ(judge(110, 100, "higher", 5).verdict, "IMPROVEMENT");
  EXPECT_EQ(judge(97, 100, "higher", 5).verdict, "SAME");
}

TEST(compare_judge, lower_is_better_higher_value_beyond_tolerance_is_a_regression) {
  EXPECT_EQ(judge(110, 100, "lower", 5).verdict, "REGRESSION");
  EXPECT_DOUBLE_EQ(*judge(110, 100, "lower", 5).delta_pct, 10);
  EXPECT_EQ(judge(90, 100, "lower", 5).verdict, "IMPROVEMENT");
  EXPECT_EQ(judge(103, 100, "lower", 5).verdict, "SAME");
}

TEST(compare_judge, a_change_exactly_at_the_tolerance_is_same_and_just_past_it_is_not) {
  EXPECT_EQ(judge(0.95, 1.0, "higher", 5).verdict, "SAME");  // computes as -5.000000000000004%
  EXPECT_EQ(judge(1.05, 1.0, "higher", 5).verdict, "SAME");
  EXPECT_EQ(judge(0.9499, 1.0, "higher", 5).verdict, "REGRESSION");
  EXPECT_EQ(judge(1.0501, 1.0, "higher", 5).verdict, "IMPROVEMENT");
  EXPECT_EQ(judge(1.05, 1.0, "lower", 5).verdict, "SAME");
  EXPECT_EQ(judge(1.0501, 1.0, "lower", 5).verdict, "REGRESSION");
  EXPECT_EQ(judge(100, 100, "higher", 0).verdict, "SAME");
  EXPECT_EQ(judge(99.99, 100, "higher", 0).verdict, "REGRESSION");
}

TEST(compare_judge, invalid_values_fail_closed) {
  EXPECT_EQ(judge(std::nan(""), 100, "higher", 5).verdict, "REGRESSION");
  EXPECT_EQ(judge(0, 100, "lower", 5).verdict, "REGRESSION");  // a zero time is no measurement
  EXPECT_EQ(judge(INFINITY, 100, "higher", 5).verdict, "REGRESSION");
  EXPECT_EQ(judge(100, 0, "higher", 5).verdict, "NEW");
  EXPECT_FALSE(judge(100, 0, "higher", 5).delta_pct.has_value());
}

TEST(compare_tolerance, percent_with_or_without_sign_and_bad_text_is_a_usage_error) {
  EXPECT_DOUBLE_EQ(parse_tolerance_pct("5%"), 5);
  EXPECT_DOUBLE_EQ(parse_tolerance_pct("2.5"), 2.5);
  EXPECT_DOUBLE_EQ(parse_tolerance_pct("10 %"), 10);
  EXPECT_DOUBLE_EQ(parse_tolerance_pct("0%"), 0);
  EXPECT_THROW(parse_tolerance_pct("five"), usage_error);
  EXPECT_THROW(parse_tolerance_pct("-1%"), usage_error);
  EXPECT_THROW(parse_tolerance_pct(""), usage_error);
  EXPECT_THROW(parse_tolerance_pct("5%%"), usage_error);
}

// ---- matching ----

TEST(compare_matching, by_benchmark_point_and_metric_not_by_case_name_or_id) {
  json renamed = small_run();
  renamed["cases"][0]["id"] = "matrix-00000000";
  renamed["cases"][0]["name"] = "matrix";
  std::swap(renamed["cases"][0], renamed["cases"][2]);  // order does not matter either
  const json result = compare_runs(renamed, small_run());
  for (const auto& row : result["metrics"]) EXPECT_EQ(row["verdict"], "SAME") << row.dump();
  EXPECT_EQ(result["exit_code"], 0);
  EXPECT_EQ(result["counts"]["metrics"]["SAME"], 10);
}

TEST(compare_matching, a_point_only_in_this_run_is_new_and_one_only_in_the_baseline_is_missing) {
  json current = small_run(), baseline = small_run();
  current["cases"][1]["results"].erase(0);  // allreduce 8 bytes: not measured now
  baseline["cases"][2]["results"].clear();  // membw: not in the baseline
  exacheck::testing::reanalyse(current);
  exacheck::testing::reanalyse(baseline);
  const json result = compare_runs(current, baseline);
  EXPECT_EQ(find_row(result["metrics"], "busbw", "bytes", "8")->at("verdict"), "MISSING");
  EXPECT_EQ(find_row(result["metrics"], "triad_bandwidth", "threads", "64")->at("verdict"), "NEW");
  EXPECT_EQ(result["counts"]["metrics"]["MISSING"], 3);  // time, algbw, busbw
  EXPECT_EQ(result["counts"]["metrics"]["NEW"], 2);      // copy and triad bandwidth
  // The point is named once, with every metric it had in the baseline.
  ASSERT_EQ(result["missing"]["points"].size(), 1u) << result["missing"].dump();
  EXPECT_EQ(result["missing"]["points"][0]["benchmark"], "allreduce");
  EXPECT_EQ(result["missing"]["points"][0]["params"], (json{{"bytes", 8}, {"dtype", "fp32"}}));
  EXPECT_EQ(result["missing"]["points"][0]["metrics"], (json{"time", "algbw", "busbw"}));
  EXPECT_TRUE(result["missing"]["metrics"].empty());
}

// Fail closed: what the baseline measured and this run did not may have got worse; only a NEW point is
// harmless.
TEST(compare_missing, a_point_of_the_baseline_not_measured_now_fails_unless_missing_is_allowed) {
  json current = small_run();
  current["cases"][1]["results"].erase(0);  // allreduce 8 bytes: not measured now
  exacheck::testing::reanalyse(current);
  const json failed = compare_runs(current, small_run());
  EXPECT_EQ(failed["counts"]["metrics"]["REGRESSION"], 0);
  EXPECT_EQ(failed["exit_code"], 1);
  EXPECT_EQ(failed["verdict"], "REGRESSION");
  EXPECT_EQ(failed["allow_missing"], false);
  const json allowed = compare_runs(current, small_run(), 5, true);
  EXPECT_EQ(allowed["exit_code"], 0);
  EXPECT_EQ(allowed["verdict"], "NO REGRESSION");
  EXPECT_EQ(allowed["allow_missing"], true);
  EXPECT_EQ(allowed["counts"]["metrics"]["MISSING"], 3);  // still reported
  EXPECT_EQ(allowed["missing"]["points"].size(), 1u);
  // A NEW point alone never fails.
  EXPECT_EQ(compare_runs(small_run(), current)["exit_code"], 0);
}

TEST(compare_missing, a_metric_missing_from_a_measured_point_is_named_as_a_metric) {
  json current = small_run();
  json& point = current["cases"][1]["results"][1];  // allreduce 1 MiB: algbw no longer reported
  point["metrics"].erase(1);
  ASSERT_EQ(point["metrics"].size(), 2u);
  for (auto& rank : point["ranks"]) rank["values"].erase("algbw");
  exacheck::testing::reanalyse(current);
  const json result = compare_runs(current, small_run());
  EXPECT_EQ(result["exit_code"], 1);
  EXPECT_TRUE(result["missing"]["points"].empty());
  ASSERT_EQ(result["missing"]["metrics"].size(), 1u);
  EXPECT_EQ(result["missing"]["metrics"][0]["metric"], "algbw");
  EXPECT_EQ(result["missing"]["metrics"][0]["params"]["bytes"], 1048576);
  const json* row = find_row(result["metrics"], "algbw", "bytes", "1048576");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->at("verdict"), "MISSING");
}

TEST(compare_missing, a_vanished_node_and_its_gpus_are_named_and_fail_unless_missing_is_allowed) {
  const json baseline = gpu_run(
      {{"n1", 0, "GPU-a", 700}, {"n1", 1, "GPU-b", 700}, {"n2", 0, "GPU-c", 700}, {"n2", 1, "", 700}});
  const json current = gpu_run({{"n1", 0, "GPU-a", 700}, {"n1", 1, "GPU-b", 700}});
  const json result = compare_runs(current, baseline);
  EXPECT_EQ(result["counts"]["metrics"]["SAME"], 1);  // the median did not move
  EXPECT_EQ(result["exit_code"], 1);
  ASSERT_EQ(result["missing"]["nodes"].size(), 1u);
  EXPECT_EQ(result["missing"]["nodes"][0],
            (json{{"host", "n2"}, {"gpus", 2}, {"missing_metrics", 1}, {"baseline_metrics", 1}}));
  ASSERT_EQ(result["missing"]["gpus"].size(), 2u);
  EXPECT_EQ(result["missing"]["gpus"][0]["host"], "n2");
  EXPECT_EQ(result["missing"]["gpus"][0]["gpu"], "0");
  EXPECT_EQ(result["missing"]["gpus"][0]["uuid"], "GPU-c");
  EXPECT_TRUE(result["missing"]["gpus"][1]["uuid"].is_null());  // unknown, not ""
  EXPECT_EQ(result["missing"]["gpus"][1]["gpu"], "1");
  EXPECT_EQ(compare_runs(current, baseline, 5, true)["exit_code"], 0);
}

TEST(compare_missing, a_gpu_gone_from_one_node_is_named_and_the_node_is_not) {
  const json baseline = gpu_run({{"n1", 0, "GPU-a", 700}, {"n1", 1, "GPU-b", 700}, {"n2", 0, "GPU-c", 700}});
  const json current = gpu_run({{"n1", 0, "GPU-a", 700}, {"n2", 0, "GPU-c", 700}});
  const json result = compare_runs(current, baseline);
  EXPECT_EQ(result["exit_code"], 1);
  EXPECT_TRUE(result["missing"]["nodes"].empty());
  ASSERT_EQ(result["missing"]["gpus"].size(), 1u);
  EXPECT_EQ(result["missing"]["gpus"][0]["uuid"], "GPU-b");
  EXPECT_EQ(result["missing"]["gpus"][0]["missing_metrics"], 1);
}

TEST(compare_missing, a_gpu_that_moved_to_another_slot_is_not_missing) {
  const json baseline = gpu_run({{"n1", 0, "GPU-a", 700}, {"n1", 1, "GPU-b", 700}});
  const json current = gpu_run({{"n1", 1, "GPU-a", 700}, {"n1", 0, "GPU-b", 700}});
  const json result = compare_runs(current, baseline);
  EXPECT_EQ(result["exit_code"], 0) << result.dump();
  EXPECT_TRUE(result["missing"]["gpus"].empty());
}

TEST(compare_missing, a_unit_that_cannot_be_converted_is_a_regression_even_when_missing_is_allowed) {
  json baseline = gpu_run({{"n1", 0, "GPU-a", 700}});
  baseline["cases"][0]["results"][0]["metrics"][0]["unit"] = "us";  // a time: nothing to compare TFLOP/s with
  const json result = compare_runs(gpu_run({{"n1", 0, "GPU-a", 700}}), baseline, 5, true);
  ASSERT_EQ(result["metrics"].size(), 1u);
  EXPECT_EQ(result["metrics"][0]["verdict"], "REGRESSION");
  EXPECT_NE(result["metrics"][0]["note"].get<std::string>().find("not comparable"), std::string::npos);
  EXPECT_TRUE(result["metrics"][0]["current"]["value"].is_null());  // never shown in a unit it is not in
  EXPECT_EQ(result["exit_code"], 1);
}

TEST(compare_matching, different_point_parameters_do_not_match) {
  json current = gpu_run({{"n1", 0, "GPU-a", 700}});
  json baseline = gpu_run({{"n1", 0, "GPU-a", 700}});
  baseline["cases"][0]["results"][0]["params"]["m"] = 4096;
  const json result = compare_runs(current, baseline);
  EXPECT_EQ(result["counts"]["metrics"]["NEW"], 1);
  EXPECT_EQ(result["counts"]["metrics"]["MISSING"], 1);
}

TEST(compare_matching, a_planted_regression_is_named_at_metric_gpu_and_node_level) {
  json current = small_run();
  for (auto& rank : current["cases"][0]["results"][0]["ranks"])
    rank["values"]["tflops"] = rank["values"]["tflops"].get<double>() * 0.8;
  exacheck::testing::reanalyse(current);
  const json result = compare_runs(current, small_run());
  const json* row = find_row(result["metrics"], "tflops", "dtype", "\"fp64\"");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->at("verdict"), "REGRESSION");
  EXPECT_NEAR(row->at("delta_pct").get<double>(), -20, 1e-9);
  EXPECT_EQ(result["counts"]["devices"]["REGRESSION"], 2);
  EXPECT_EQ(result["counts"]["nodes"]["REGRESSION"], 2);
  EXPECT_EQ(result["exit_code"], 1);
  EXPECT_EQ(result["verdict"], "REGRESSION");
}

TEST(compare_matching, time_getting_longer_is_a_regression) {
  json current = small_run();
  current["cases"][1]["results"][1]["ranks"][0]["values"]["time"] = 400.0;  // 327.7 us → 400 us
  const json result = compare_runs(current, small_run());
  const json* row = find_row(result["metrics"], "time", "bytes", "1048576");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->at("verdict"), "REGRESSION");
  EXPECT_EQ(row->at("scope"), "global");
}

// ---- GPUs and nodes ----

TEST(compare_devices, a_gpu_with_a_new_uuid_in_the_same_slot_is_shown_as_replaced) {
  const json baseline = gpu_run({{"n1", 0, "GPU-a", 700}, {"n1", 1, "GPU-b", 700}});
  const json current = gpu_run({{"n1", 0, "GPU-a", 700}, {"n1", 1, "GPU-x", 560}});
  const json result = compare_runs(current, baseline);
  ASSERT_EQ(result["devices"].size(), 2u);
  const json& replaced = result["devices"][1];
  EXPECT_EQ(replaced["match"], "replaced");
  EXPECT_EQ(replaced["verdict"], "REGRESSION");
  EXPECT_NE(replaced["note"].get<std::string>().find("GPU replaced: GPU-b in the baseline, GPU-x now"),
            std::string::npos);
  EXPECT_EQ(result["devices"][0]["match"], "same");
}

TEST(compare_devices, a_gpu_found_by_uuid_in_another_slot_is_shown_as_moved) {
  const json baseline = gpu_run({{"n1", 0, "GPU-a", 700}, {"n2", 0, "GPU-b", 700}});
  const json current = gpu_run({{"n1", 0, "GPU-a", 700}, {"n3", 0, "GPU-b", 701}});
  const json result = compare_runs(current, baseline);
  EXPECT_EQ(result["devices"][1]["match"], "moved");
  EXPECT_EQ(result["devices"][1]["verdict"], "SAME");
  EXPECT_NE(result["devices"][1]["note"].get<std::string>().find("moved from n2 GPU 0"), std::string::npos);
  // The hosts differ: n3 is a NEW node, n2 a MISSING one.
  int new_nodes = 0, missing_nodes = 0;
  for (const auto& row : result["nodes"]) {
    new_nodes += row["verdict"] == "NEW" && row["host"] == "n3";
    missing_nodes += row["verdict"] == "MISSING" && row["host"] == "n2";
  }
  EXPECT_EQ(new_nodes, 1);
  EXPECT_EQ(missing_nodes, 1);
}

TEST(compare_devices, a_node_with_no_gpu_in_common_is_shown_as_replaced) {
  const json baseline = gpu_run({{"n1", 0, "GPU-a", 700}, {"n1", 1, "GPU-b", 700}, {"n2", 0, "GPU-c", 700}});
  const json current = gpu_run({{"n1", 0, "GPU-y", 700}, {"n1", 1, "GPU-z", 700}, {"n2", 0, "GPU-c", 700}});
  const json result = compare_runs(current, baseline);
  for (const auto& row : result["nodes"]) {
    const bool replaced = row["note"].get<std::string>().find("node replaced") != std::string::npos;
    EXPECT_EQ(replaced, row["host"] == "n1") << row.dump();
  }
}

TEST(compare_devices, gpus_without_uuid_match_by_host_and_index_and_extra_ones_are_new_or_missing) {
  const json baseline = gpu_run({{"n1", 0, "", 700}, {"n1", 1, "", 700}});
  const json current = gpu_run({{"n1", 1, "", 600}, {"n1", 2, "", 700}});
  const json result = compare_runs(current, baseline);
  std::map<std::string, std::string> verdict_by_slot;
  for (const auto& row : result["devices"]) {
    const json& side = row["current"].is_null() ? row["baseline"] : row["current"];
    verdict_by_slot[side["gpu"].get<std::string>()] = row["verdict"];
  }
  EXPECT_EQ(verdict_by_slot["0"], "MISSING");
  EXPECT_EQ(verdict_by_slot["1"], "REGRESSION");
  EXPECT_EQ(verdict_by_slot["2"], "NEW");
}

TEST(compare_devices, per_gpu_metric_value_is_the_median_over_gpus) {
  const auto metrics =
      comparable_metrics_of_run(gpu_run({{"n1", 0, "a", 1}, {"n1", 1, "b", 5}, {"n2", 0, "c", 3}}));
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_TRUE(metrics[0].per_gpu);
  EXPECT_DOUBLE_EQ(metrics[0].value, 3);
  EXPECT_EQ(metrics[0].devices.size(), 3u);
}

TEST(compare_devices, repeats_of_a_point_are_pooled_per_gpu) {
  json run = gpu_run({{"n1", 0, "a", 100}, {"n1", 1, "b", 200}});
  json second = gpu_run({{"n1", 0, "a", 110}, {"n1", 1, "b", 220}})["cases"][0];
  second["id"] = "gemm-99999999";
  run["cases"].push_back(second);
  const auto metrics = comparable_metrics_of_run(run);
  ASSERT_EQ(metrics.size(), 1u);
  ASSERT_EQ(metrics[0].devices.size(), 2u);
  EXPECT_DOUBLE_EQ(metrics[0].devices[0].value, 105);
  EXPECT_DOUBLE_EQ(metrics[0].devices[1].value, 210);
}

TEST(compare_devices, devices_of_the_analysis_section_are_used_when_present) {
  json run = gpu_run({{"n1", 0, "a", 100}, {"n1", 0, "a", 100}});  // two ranks on one GPU
  run["analysis"]["metrics"] = {{{"case_id", "gemm-1234abcd"},
                                 {"case", "gemm"},
                                 {"benchmark", "gemm"},
                                 {"params", {{"dtype", "bf16"}, {"m", 8192}}},
                                 {"metric", "tflops"},
                                 {"unit", "TFLOP/s"},
                                 {"better", "higher"},
                                 {"devices", {{"index", {0}}, {"rank", {0}}, {"value", {200.0}}}}}};
  run["analysis"]["devices"] = {{{"host", "n1"}, {"gpu", 0}, {"uuid", "a"}}};
  const auto metrics = comparable_metrics_of_run(run);
  ASSERT_EQ(metrics.size(), 1u);
  ASSERT_EQ(metrics[0].devices.size(), 1u);
  EXPECT_DOUBLE_EQ(metrics[0].value, 200);
}

TEST(compare_params, subset_matching_compares_numbers_by_value) {
  const json params = {{"dtype", "bf16"}, {"m", 8192}, {"n", 8192}};
  EXPECT_TRUE(params_match({{"dtype", "bf16"}}, params, false));
  EXPECT_TRUE(params_match({{"m", 8192.0}}, params, false));
  EXPECT_FALSE(params_match({{"m", 8192.0}}, params, true));
  EXPECT_FALSE(params_match({{"dtype", "fp8"}}, params, false));
  EXPECT_FALSE(params_match({{"k", 8192}}, params, false));
  EXPECT_TRUE(params_match(params, params, true));
}

}  // namespace
