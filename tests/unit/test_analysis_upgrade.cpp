// run.json "analysis" in its compact form (docs/run-json.md "analysis"): the run's GPUs once in
// analysis.devices, per metric parallel arrays into it; and upgrade_analysis_v1, which turns an analysis of
// the older form (one object per GPU per metric, tests/fixtures/analysis_v1_*.json: what analyse_run wrote
// for the golden runs before the compact form) into exactly what analyse_run writes now.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "harness/io/files.hpp"
#include "harness/results/analysis_upgrade.hpp"
#include "reports/analysis/aggregate.hpp"
#include "reports/analysis/analysis_devices.hpp"

namespace {

namespace fs = std::filesystem;
namespace reports = exacheck::reports;
using nlohmann::json;

const fs::path data_dir = EXACHECK_TEST_DATA_DIR;

json read_json(const fs::path& path) {
  return json::parse(exacheck::read_file(path.string()));
}

// The golden run analysed now with the rules its old-form analysis was computed with, without the device
// verdicts: the old form had none (upgrade_analysis_v1 cannot make them from an analysis alone; `exacheck
// report` recomputes them from the cases).
json analysed_now(const std::string& golden, const json& old_analysis) {
  json run = read_json(data_dir / "golden" / golden);
  run.erase("analysis");
  reports::analyse_run(run, reports::rules_from_json(old_analysis.at("rules")));
  run.at("analysis").erase("device_verdicts");
  return run.at("analysis");
}

TEST(analysis_upgrade, old_cpu_run_analysis_becomes_what_analyse_run_writes) {
  json analysis = read_json(data_dir / "fixtures" / "analysis_v1_small.json");
  ASSERT_TRUE(analysis.at("metrics").at(0).at("devices").is_array());  // the old form
  const json expected = analysed_now("run_small.json", analysis);
  exacheck::upgrade_analysis_v1(analysis);
  EXPECT_EQ(analysis, expected);
}

TEST(analysis_upgrade, old_gpu_fleet_analysis_becomes_what_analyse_run_writes) {
  json analysis = read_json(data_dir / "fixtures" / "analysis_v1_fleet.json");
  ASSERT_TRUE(analysis.at("metrics").at(0).at("devices").is_array());
  const json expected = analysed_now("run_fleet.json", analysis);
  exacheck::upgrade_analysis_v1(analysis);
  EXPECT_EQ(analysis, expected);
}

TEST(analysis_upgrade, an_analysis_in_todays_form_is_left_as_it_is) {
  const json old = read_json(data_dir / "fixtures" / "analysis_v1_fleet.json");
  const json today = analysed_now("run_fleet.json", old);
  json upgraded = today;
  exacheck::upgrade_analysis_v1(upgraded);
  EXPECT_EQ(upgraded, today);
  json not_an_analysis = json::array({1, 2});
  exacheck::upgrade_analysis_v1(not_an_analysis);
  EXPECT_EQ(not_an_analysis, json::array({1, 2}));
}

TEST(analysis_form, every_gpu_is_listed_once_and_each_metric_points_into_the_list) {
  const json old = read_json(data_dir / "fixtures" / "analysis_v1_fleet.json");
  const json analysis = analysed_now("run_fleet.json", old);
  const json& table = analysis.at("devices");
  ASSERT_EQ(table.size(), 72u);  // 18 nodes × 4 GPUs
  EXPECT_EQ(table[0], json({{"host", "node001"},
                            {"gpu", 0},
                            {"kind", "gpu"},
                            {"uuid", table[0]["uuid"]},
                            {"serial", table[0]["serial"]},
                            {"name", "NVIDIA H100 80GB HBM3"}}));
  EXPECT_EQ(table[71]["host"], "node018");
  EXPECT_EQ(table[71]["gpu"], 3);
  for (const auto& metric : analysis.at("metrics")) {
    const json& devices = metric.at("devices");
    const json& index = devices.at("index");
    for (const char* column : {"rank", "value", "robust_z"})
      EXPECT_EQ(devices.at(column).size(), index.size());
    for (std::size_t i = 1; i < index.size(); ++i) EXPECT_LT(index[i - 1], index[i]);  // host, then gpu order
    // The metric's GPUs in the old form, one object each, read back from the table and the arrays.
    const json* old_metric = nullptr;
    for (const auto& m : old.at("metrics"))
      if (m.at("case_id") == metric.at("case_id") && m.at("params") == metric.at("params") &&
          m.at("metric") == metric.at("metric"))
        old_metric = &m;
    ASSERT_NE(old_metric, nullptr);
    const reports::metric_devices read(analysis, metric);
    ASSERT_EQ(read.size(), old_metric->at("devices").size());
    for (std::size_t i = 0; i < read.size(); ++i) {
      const json& was = old_metric->at("devices")[i];
      const auto now = read[i];
      for (const char* key : {"host", "gpu", "uuid", "serial", "name"})
        EXPECT_EQ(now.gpu.at(key), was.at(key));
      EXPECT_EQ(now.rank, was.at("rank"));
      EXPECT_EQ(now.value, was.at("value"));
      EXPECT_EQ(now.robust_z, was.at("robust_z"));
    }
  }
}

TEST(analysis_form, a_reader_takes_what_is_missing_or_out_of_range_as_null) {
  const json analysis = {{"devices", {{{"host", "node001"}, {"gpu", 0}}}}};
  const json metric = {{"devices", {{"index", {0, 5, "x"}}, {"value", {1.5}}}}};
  const reports::metric_devices read(analysis, metric);
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[0].gpu.at("host"), "node001");
  EXPECT_EQ(read[0].value, 1.5);
  EXPECT_TRUE(read[0].rank.is_null());
  EXPECT_TRUE(read[1].gpu.is_null());
  EXPECT_TRUE(read[1].value.is_null());
  EXPECT_TRUE(read[2].gpu.is_null());
  EXPECT_EQ(reports::metric_devices(json(nullptr), json(nullptr)).size(), 0u);
}

// tests/golden/run_fleet.json is a rendering input (its analysis computed once by `exacheck report`): its
// analysis must be in today's form. EXACHECK_UPDATE_GOLDEN=1 converts it with upgrade_analysis_v1, so that
// the reports rendered from it stay as they were.
TEST(analysis_golden, fleet_golden_analysis_is_in_todays_form) {
  const fs::path golden = data_dir / "golden" / "run_fleet.json";
  json run = read_json(golden);
  json upgraded = run.at("analysis");
  exacheck::upgrade_analysis_v1(upgraded);
  const char* update = std::getenv("EXACHECK_UPDATE_GOLDEN");
  if (update && std::string(update) == "1" && upgraded != run.at("analysis")) {
    run["analysis"] = std::move(upgraded);
    exacheck::write_json_atomically(golden.string(), run, 1);
    return;
  }
  EXPECT_TRUE(run.at("analysis").at("devices").is_array());
  EXPECT_EQ(upgraded, run.at("analysis"));
}

}  // namespace
