// Vendor reference files (harness/compare/reference_file.cpp, docs/reference-files.md): strict loading with
// file:line:column, export from a run, and the round trip export → compare = all SAME.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "../support/reanalyse.hpp"
#include "harness/compare/compare.hpp"
#include "harness/io/files.hpp"
#include "harness/compare/reference_file.hpp"

namespace {

using nlohmann::json;
using namespace exacheck;
namespace fs = std::filesystem;

json small_run() {
  return json::parse(read_file((fs::path(EXACHECK_TEST_DATA_DIR) / "golden" / "run_small.json").string()));
}

class reference_file_test : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() / ("exacheck-reference-" + std::to_string(::getpid()));
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }

  std::string write(const std::string& text) {
    const auto path = (m_dir / "ref.yaml").string();
    std::ofstream(path) << text;
    return path;
  }

  // Every issue of loading `text`, one per line.
  std::string errors_of(const std::string& text) {
    const std::string path = write(text);
    try {
      load_reference_file(path);
    } catch (const validation_error& e) {
      std::string all;
      for (const auto& issue : e.issues()) all += issue.to_string() + "\n";
      return all;
    }
    return "";
  }

  fs::path m_dir;
};

const std::string valid_header = R"(schema: exacheck/reference/v1
who: {organisation: Example Vendor, contact: perf@example.com}
date: 2026-11-24
system: {name: dgx-h100, gpu_model: NVIDIA H100 80GB HBM3, gpus: 8, driver: "550.54.15", cuda: "12.4"}
entries:
)";

TEST_F(reference_file_test, a_valid_file_loads_with_its_provenance_and_entries) {
  const auto file = load_reference_file(write(valid_header + R"(  - benchmark: gemm
    where: {dtype: bf16, m: 8192, n: 8192, k: 8192}
    metric: tflops
    value: 700.5
    unit: TFLOP/s
    statistic: per_gpu_median
    per_gpu: {count: 8, min: 690, median: 700.5, max: 712}
  - {benchmark: allreduce, where: {bytes: 8GiB, dtype: bf16}, metric: busbw, value: 380, unit: GB/s,
     statistic: median, better: higher}
)"));
  EXPECT_EQ(file.organisation, "Example Vendor");
  EXPECT_EQ(file.contact, "perf@example.com");
  EXPECT_EQ(file.date, "2026-11-24");
  EXPECT_EQ(file.system["gpu_model"], "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(file.system["gpus"], 8);
  EXPECT_EQ(file.system["driver"], "550.54.15");
  ASSERT_EQ(file.entries.size(), 2u);
  EXPECT_EQ(file.entries[0].where["m"], 8192);
  EXPECT_EQ(file.entries[0].per_gpu["count"], 8);
  EXPECT_FALSE(file.entries[0].better.has_value());
  EXPECT_EQ(file.entries[1].where["bytes"], 8589934592LL);  // byte sizes as in plans
  EXPECT_EQ(file.entries[1].statistic, "median");
  EXPECT_EQ(file.entries[1].defined_at.line, 13);
}

TEST_F(reference_file_test, the_shipped_example_file_loads) {
  const auto dir = fs::path(EXACHECK_SOURCE_DIR) / "configs" / "references";
  int loaded = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto file = load_reference_file(entry.path().string());
    EXPECT_FALSE(file.entries.empty()) << entry.path();
    ++loaded;
  }
  EXPECT_GE(loaded, 1);
}

TEST_F(reference_file_test, errors_name_file_line_and_column_with_what_was_expected) {
  const std::string errors = errors_of(valid_header + R"(  - benchmark: gemm
    metrc: tflops
    value: -3
    unit: TFLOPS
    statistic: mean
    better: faster
)");
  const std::string path = (m_dir / "ref.yaml").string();
  EXPECT_NE(errors.find(path + ":7:5: unknown key 'metrc' in entry #1"), std::string::npos) << errors;
  EXPECT_NE(errors.find("did you mean 'metric'?"), std::string::npos) << errors;
  EXPECT_NE(errors.find(path + ":6:5: entry #1 has no 'metric'"), std::string::npos) << errors;
  EXPECT_NE(errors.find(path + ":8:12: entry #1 value is -3"), std::string::npos) << errors;
  EXPECT_NE(errors.find(path + ":9:11: entry #1 unit 'TFLOPS' is not a unit exacheck knows"),
            std::string::npos)
      << errors;
  EXPECT_NE(errors.find("did you mean 'TFLOP/s'?"), std::string::npos) << errors;
  EXPECT_NE(errors.find(path + ":10:16: entry #1 statistic is 'mean'"), std::string::npos) << errors;
  EXPECT_NE(errors.find(path + ":11:13: entry #1 better is 'faster'"), std::string::npos) << errors;
}

TEST_F(reference_file_test, provenance_is_required_and_checked) {
  const std::string errors = errors_of(R"(schema: exacheck/reference/v1
who: {contact: perf@example.com}
date: 24.11.2026
system: {gpu_model: H100, gpus: many}
entries: []
)");
  EXPECT_NE(errors.find(":2:6: who has no 'organisation'"), std::string::npos) << errors;
  EXPECT_NE(errors.find(":3:7: date is '24.11.2026'"), std::string::npos) << errors;
  EXPECT_NE(errors.find("YYYY-MM-DD"), std::string::npos) << errors;
  EXPECT_NE(errors.find(":4:9: system has no 'name'"), std::string::npos) << errors;
  EXPECT_NE(errors.find(":4:33: system gpus is 'many'"), std::string::npos) << errors;
  EXPECT_NE(errors.find(":5:10: entries is empty"), std::string::npos) << errors;
}

TEST_F(reference_file_test, a_repeated_entry_names_the_line_of_the_first) {
  const std::string errors = errors_of(
      valid_header + R"(  - {benchmark: gemm, where: {dtype: bf16}, metric: tflops, value: 1, unit: TFLOP/s}
  - {benchmark: gemm, where: {dtype: bf16}, metric: tflops, value: 2, unit: TFLOP/s}
)");
  EXPECT_NE(errors.find(":7:5: entry #2 repeats the entry at line 6"), std::string::npos) << errors;
}

TEST_F(reference_file_test, a_plan_or_system_file_is_told_apart_and_bad_yaml_has_a_position) {
  EXPECT_NE(errors_of("schema: exacheck/system/v1\nname: x\n")
                .find(":1:9: this is a system file (schema exacheck/system/v1), not a reference file"),
            std::string::npos);
  EXPECT_NE(errors_of("schema: exacheck/reference/v1\nwho: {organisation: [x\n").find("YAML syntax error"),
            std::string::npos);
  EXPECT_NE(errors_of("").find("the reference file is empty"), std::string::npos);
  EXPECT_NE(errors_of("schema: exacheck/reference/v1\nwho: {organisation: x}\ndate: 2026-01-01\n"
                      "system: {name: x}\nentries: [{benchmark: gemm}]\n")
                .find(":5:11: entry #1 has no 'metric'"),
            std::string::npos);
}

// ---- export ----

TEST_F(reference_file_test, export_has_every_valid_metric_with_per_gpu_distribution_and_provenance) {
  const json run = small_run();
  const auto reference = reference_from_run(run, "Example Vendor", "perf@example.com", "two nodes");
  EXPECT_EQ(reference.date, "2026-11-24");
  EXPECT_EQ(reference.system["name"], "epyc-7763-1s");
  EXPECT_EQ(reference.system["mpi"], "Open MPI v4.1.4");
  EXPECT_EQ(reference.system["exacheck_version"], "0.1.0");
  EXPECT_EQ(reference.system["nodes"], 2);
  ASSERT_EQ(reference.entries.size(), 10u);
  const auto entry = [&](const std::string& benchmark) {
    for (const auto& e : reference.entries)
      if (e.benchmark == benchmark) return e;
    ADD_FAILURE() << "no entry for " << benchmark;
    return reference.entries.front();
  };
  const auto gemm = entry("gemm");  // the first gemm entry: fp64
  EXPECT_EQ(gemm.statistic, "per_gpu_median");
  EXPECT_DOUBLE_EQ(gemm.value, (1.69762 + 1.64087) / 2);
  EXPECT_EQ(gemm.per_gpu["count"], 2);
  EXPECT_DOUBLE_EQ(gemm.per_gpu["min"].get<double>(), 1.64087);
  EXPECT_EQ(entry("allreduce").statistic, "median");  // allreduce: a global value
  EXPECT_TRUE(entry("allreduce").per_gpu.is_null());
}

TEST_F(reference_file_test, export_then_compare_is_all_same) {
  const json run = small_run();
  const std::string path = write(reference_file_yaml(reference_from_run(run, "Example Vendor", "", "")));
  const auto loaded = load_reference_file(path);
  ASSERT_EQ(loaded.entries.size(), 10u);
  const json result = compare_metrics(comparable_metrics_of_run(run), comparable_metrics_of_reference(loaded),
                                      0, false, false, json::object(), json::object());
  ASSERT_EQ(result["metrics"].size(), 10u);
  for (const auto& row : result["metrics"]) {
    EXPECT_EQ(row["verdict"], "SAME") << row.dump();
    EXPECT_DOUBLE_EQ(row["delta_pct"].get<double>(), 0.0) << row.dump();  // values read back exactly
  }
  EXPECT_EQ(result["exit_code"], 0);
}

// Every unit a benchmark reports can be exported and loaded back: a collective's slowest_rank_ratio ("x"),
// the SM clock of a GPU flops run (MHz). Either used to make every export of such a run fail.
TEST_F(reference_file_test, export_of_a_run_with_a_ratio_and_a_clock_loads_back) {
  json run = small_run();
  json& allreduce = run["cases"][1]["results"][1];
  allreduce["metrics"].push_back({{"name", "slowest_rank_ratio"},
                                  {"unit", "x"},
                                  {"statistic", "max over ranks of each rank's median / their median"},
                                  {"better", "lower"}});
  allreduce["ranks"][0]["values"]["slowest_rank_ratio"] = 1.03;
  json& gemm = run["cases"][0]["results"][0];
  gemm["metrics"].push_back(
      {{"name", "sm_clock_mhz"}, {"unit", "MHz"}, {"statistic", "median"}, {"better", "higher"}});
  for (auto& rank : gemm["ranks"]) rank["values"]["sm_clock_mhz"] = 1980.0;
  exacheck::testing::reanalyse(run);
  const auto loaded = load_reference_file(write(reference_file_yaml(reference_from_run(run, "x", "", ""))));
  std::map<std::string, std::string> unit_of;
  for (const auto& e : loaded.entries) unit_of[e.metric] = e.unit;
  EXPECT_EQ(unit_of["slowest_rank_ratio"], "x");
  EXPECT_EQ(unit_of["sm_clock_mhz"], "MHz");
}

TEST_F(reference_file_test, export_leaves_out_values_the_loader_would_refuse_and_keeps_a_valid_date) {
  json run = small_run();
  run["provenance"]["started_at"] = "yesterday evening";  // not a date: the export is dated today
  run["cases"][1]["results"][1]["ranks"][0]["values"]["time"] = -1.0;
  exacheck::testing::reanalyse(run);
  const auto reference = reference_from_run(run, "x", "", "");
  const auto loaded = load_reference_file(write(reference_file_yaml(reference)));
  EXPECT_EQ(loaded.date.size(), 10u);
  EXPECT_EQ(loaded.entries.size(), 9u);  // the negative time is left out, as a zero one is
}

TEST_F(reference_file_test, exported_string_parameters_stay_strings) {
  json run = small_run();
  run["cases"][2]["results"][0]["params"]["label"] = "1";  // would read back as a number unquoted
  run["cases"][2]["results"][0]["params"]["flag"] = "true";
  exacheck::testing::reanalyse(run);
  const auto loaded = load_reference_file(write(reference_file_yaml(reference_from_run(run, "x", "", ""))));
  bool found = false;
  for (const auto& e : loaded.entries) {
    if (e.benchmark != "membw") continue;
    found = true;
    EXPECT_EQ(e.where["label"], "1");
    EXPECT_EQ(e.where["flag"], "true");
  }
  EXPECT_TRUE(found);
}

// ---- compare against a reference ----

TEST_F(reference_file_test, an_entry_for_a_point_this_run_did_not_measure_fails_unless_missing_is_allowed) {
  const auto loaded = load_reference_file(
      write(valid_header +
            R"(  - {benchmark: gemm, where: {dtype: fp64}, metric: tflops, value: 1.669, unit: TFLOP/s}
  - {benchmark: gemm, where: {dtype: fp8}, metric: tflops, value: 9, unit: TFLOP/s}
  - {benchmark: allreduce, where: {bytes: 8}, metric: latency_max, value: 3, unit: us}
)"));
  const auto compare = [&](bool allow_missing) {
    return compare_metrics(comparable_metrics_of_run(small_run()), comparable_metrics_of_reference(loaded), 5,
                           false, allow_missing, json::object(), json::object());
  };
  const json result = compare(false);
  EXPECT_EQ(result["counts"]["metrics"]["REGRESSION"], 0);
  EXPECT_EQ(result["counts"]["metrics"]["MISSING"], 2);
  EXPECT_EQ(result["exit_code"], 1);
  ASSERT_EQ(result["missing"]["points"].size(), 1u);
  EXPECT_EQ(result["missing"]["points"][0]["params"], (json{{"dtype", "fp8"}}));
  ASSERT_EQ(result["missing"]["metrics"].size(), 1u);  // allreduce 8 B was measured, its latency_max not
  EXPECT_EQ(result["missing"]["metrics"][0]["metric"], "latency_max");
  EXPECT_EQ(compare(true)["exit_code"], 0);
}

TEST_F(reference_file_test, an_entry_naming_some_parameters_matches_every_such_point_in_its_unit) {
  const auto loaded = load_reference_file(
      write(valid_header +
            R"(  - {benchmark: allreduce, where: {dtype: fp32}, metric: busbw, value: 3200, unit: MB/s}
  - {benchmark: allreduce, where: {bytes: 8}, metric: time, value: 2.5, unit: us}
)"));
  const json result =
      compare_metrics(comparable_metrics_of_run(small_run()), comparable_metrics_of_reference(loaded), 5,
                      false, false, json::object(), json::object());
  int busbw_rows = 0;
  for (const auto& row : result["metrics"]) {
    if (row["metric"] == "busbw") {
      ++busbw_rows;
      EXPECT_EQ(row["unit"], "MB/s");
      const bool large = row["params"]["bytes"] == 1048576;
      EXPECT_EQ(row["verdict"], large ? "SAME" : "REGRESSION") << row.dump();  // 3199.8 MB/s vs 3200
    }
    if (row["metric"] == "time" && row["params"]["bytes"] == 8) {
      // No `better` in the entry: the run's own direction (lower) decides, so 3.1 us vs 2.5 us is worse.
      EXPECT_EQ(row["verdict"], "REGRESSION");
      EXPECT_EQ(row["better"], "lower");
    }
  }
  EXPECT_EQ(busbw_rows, 2);
  EXPECT_EQ(result["exit_code"], 1);
}

}  // namespace

// A file exported by an exacheck that kept derived values in params names them in `where` (membw's
// array_bytes_used, a collective's moved bytes beside requested_bytes): it still matches today's points,
// which hold the plan's values only.
TEST_F(reference_file_test, an_older_export_naming_derived_values_in_where_matches_todays_points) {
  json run = small_run();
  json& membw = run["cases"][2];
  ASSERT_EQ(membw["benchmark"], "membw");
  membw["results"][0]["derived"] = {{"array_bytes_used", 1073741824}};
  const auto loaded = load_reference_file(write(
      valid_header +
      R"(  - {benchmark: membw, where: {array_bytes: 1073741824, threads: 64, array_bytes_used: 1073741824},
     metric: triad_bandwidth, value: 1, unit: GB/s, better: higher}
  - {benchmark: allreduce, where: {bytes: 1048572, dtype: fp32, requested_bytes: 1048576}, metric: time,
     value: 1, unit: us, better: lower}
)"));
  const json result = compare_metrics(comparable_metrics_of_run(run), comparable_metrics_of_reference(loaded),
                                      5, false, false, json::object(), json::object());
  int matched = 0;
  for (const auto& row : result["metrics"]) {
    EXPECT_NE(row["verdict"], "MISSING") << row.dump();
    if (row["verdict"] != "NEW") ++matched;
  }
  EXPECT_EQ(matched, 2);
}
