// The datasheet peak a rate is compared with (harness/results/peak_table.hpp): which peak_per_gpu key each gemm and
// flops point maps to, the pct_of_peak metric the controller adds next to tflops on every rank, and that a
// reference on pct_of_peak is judged like any metric once a worker's result goes through the controller.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "../support/rank_records.hpp"
#include "harness/results/peak_table.hpp"
#include "harness/plan/plan.hpp"
#include "harness/controller/process.hpp"
#include "harness/results/run_document.hpp"

using namespace exacheck;

namespace {

const nlohmann::json h100_peaks = {{"fp64", 34},        {"fp64_tensor", 67}, {"fp32", 67},  {"tf32", 494.7},
                                   {"bf16", 989.5},     {"fp16", 989.5},     {"fp8", 1979}, {"int8", 1979},
                                   {"unit", "TFLOP/s"}, {"hbm", "3.35 TB/s"}};

std::optional<std::string> gemm_key(const std::string& dtype, const nlohmann::json& peaks = h100_peaks) {
  return peak_key_for("gemm", {{"dtype", dtype}, {"m", 8192}}, peaks);
}

std::optional<std::string> flops_key(const std::string& engine, const std::string& dtype) {
  return peak_key_for("flops", {{"dtype", dtype}, {"engine", engine}}, h100_peaks);
}

system_spec h100_system() {
  system_spec system;
  system.name = "h100-sxm";
  system.gpus_per_node = 4;
  system.peak_per_gpu = h100_peaks;
  return system;
}

nlohmann::json tflops_metric(double value, const std::string& unit = "TFLOP/s") {
  return {{"name", "tflops"},      {"value", value},     {"unit", unit},
          {"statistic", "median"}, {"better", "higher"}, {"description", "2·M·N·K / median time"}};
}

// run.json's point-major results: one point, one rank per metric list.
nlohmann::json one_point(const nlohmann::json& params, const std::vector<nlohmann::json>& rank_metrics) {
  nlohmann::json ranks = nlohmann::json::array();
  for (std::size_t r = 0; r < rank_metrics.size(); ++r)
    ranks.push_back({{"rank", r}, {"host", "node1"}, {"metrics", rank_metrics[r]}});
  return nlohmann::json::array({exacheck::testing::rank_point(params, "rank", ranks)});
}

const nlohmann::json* metric_named(const nlohmann::json& metrics, const std::string& name) {
  for (const auto& m : metrics)
    if (m.value("name", "") == name) return &m;
  return nullptr;
}

}  // namespace

TEST(peak_table, gemm_dtypes_map_to_their_precision_and_fp64_prefers_the_tensor_cores) {
  EXPECT_EQ(gemm_key("fp64"), "fp64_tensor");
  nlohmann::json without_tensor = h100_peaks;
  without_tensor.erase("fp64_tensor");
  EXPECT_EQ(gemm_key("fp64", without_tensor), "fp64");
  EXPECT_EQ(gemm_key("fp32"), "fp32");
  EXPECT_EQ(gemm_key("tf32"), "tf32");
  EXPECT_EQ(gemm_key("fp16"), "fp16");
  EXPECT_EQ(gemm_key("bf16"), "bf16");
  EXPECT_EQ(gemm_key("fp8_e4m3"), "fp8");
  EXPECT_EQ(gemm_key("fp8_e5m2"), "fp8");
  EXPECT_EQ(gemm_key("int8"), "int8");
  EXPECT_EQ(gemm_key("fp4"), std::nullopt);
  EXPECT_EQ(gemm_key("bf16", {{"unit", "TFLOP/s"}}), std::nullopt);        // generic-cpu: no numbers
  EXPECT_EQ(gemm_key("bf16", {{"bf16", "989.5 TFLOP/s"}}), std::nullopt);  // text is not a peak
  EXPECT_EQ(peak_keys_for("gemm", {{"dtype", "fp64"}}), (std::vector<std::string>{"fp64_tensor", "fp64"}));
}

TEST(peak_table, flops_points_map_by_engine_and_cpu_or_bandwidth_benchmarks_have_none) {
  EXPECT_EQ(flops_key("cuda_core", "fp64"), "fp64");
  EXPECT_EQ(flops_key("cuda_core", "fp32"), "fp32");
  EXPECT_EQ(flops_key("cuda_core", "bf16"), std::nullopt);
  EXPECT_EQ(flops_key("tensor_core", "fp64"), "fp64_tensor");
  EXPECT_EQ(flops_key("tensor_core", "tf32"), "tf32");
  EXPECT_EQ(flops_key("tensor_core", "fp16"), "fp16");
  EXPECT_EQ(flops_key("tensor_core", "bf16"), "bf16");
  EXPECT_EQ(flops_key("tensor_core", "fp8_e4m3"), "fp8");
  EXPECT_EQ(flops_key("tensor_core", "int8"), "int8");
  EXPECT_EQ(flops_key("cpu_simd", "fp64"), std::nullopt);
  EXPECT_EQ(peak_key_for("flops", {{"dtype", "fp64"}}, h100_peaks), std::nullopt);  // no engine: unknown
  EXPECT_EQ(peak_key_for("membw", {{"dtype", "fp64"}}, h100_peaks), std::nullopt);
  EXPECT_EQ(peak_key_for("allreduce", {{"bytes", 8}}, h100_peaks), std::nullopt);
}

TEST(peak_table, every_rank_gets_pct_of_peak_in_percent_with_the_tflops_statistic) {
  const system_spec system = h100_system();
  nlohmann::json results = one_point({{"dtype", "bf16"}}, {{tflops_metric(791.6)}, {tflops_metric(494.75)}});
  add_pct_of_peak(results, "gemm", &system);
  // Described once, by the point; every rank holds its number.
  const nlohmann::json* pct = metric_named(results[0]["metrics"], "pct_of_peak");
  ASSERT_NE(pct, nullptr);
  EXPECT_FALSE(pct->contains("value"));
  EXPECT_EQ(pct->at("unit"), "%");
  EXPECT_EQ(pct->at("better"), "higher");
  EXPECT_EQ(pct->at("statistic"), "median");
  const std::string description = pct->at("description");
  EXPECT_NE(description.find("peak_per_gpu.bf16 = 989.5 TFLOP/s"), std::string::npos) << description;
  EXPECT_NE(description.find("h100-sxm"), std::string::npos) << description;
  for (const auto& rank : results[0]["ranks"]) {
    ASSERT_TRUE(rank["values"].contains("pct_of_peak")) << rank.dump();
    const double tflops = rank["values"]["tflops"].get<double>();
    EXPECT_DOUBLE_EQ(rank["values"]["pct_of_peak"].get<double>(), 100.0 * tflops / 989.5);
  }
  add_pct_of_peak(results, "gemm", &system);  // idempotent: one pct_of_peak per point and rank
  EXPECT_EQ(results[0]["metrics"].size(), 2u);
  EXPECT_EQ(results[0]["ranks"][0]["values"].size(), 2u);
}

TEST(peak_table, the_rate_is_converted_to_the_peak_unit) {
  system_spec system = h100_system();
  system.peak_per_gpu["unit"] = "PFLOP/s";
  system.peak_per_gpu["fp8"] = 1.979;
  nlohmann::json results = one_point({{"dtype", "fp8_e4m3"}}, {{tflops_metric(989.5)}});
  add_pct_of_peak(results, "gemm", &system);
  ASSERT_TRUE(results[0]["ranks"][0]["values"].contains("pct_of_peak"));
  EXPECT_NEAR(results[0]["ranks"][0]["values"]["pct_of_peak"].get<double>(), 50.0, 1e-9);
  nlohmann::json gflops = one_point({{"dtype", "fp8_e4m3"}}, {{tflops_metric(989500, "GFLOP/s")}});
  add_pct_of_peak(gflops, "gemm", &system);
  EXPECT_NEAR(gflops[0]["ranks"][0]["values"].value("pct_of_peak", 0.0), 50.0, 1e-9);
}

TEST(peak_table, no_pct_of_peak_without_a_system_a_peak_a_unit_or_a_rate) {
  const system_spec system = h100_system();
  nlohmann::json results = one_point({{"dtype", "bf16"}}, {{tflops_metric(700)}});
  add_pct_of_peak(results, "gemm", nullptr);
  EXPECT_EQ(metric_named(results[0]["metrics"], "pct_of_peak"), nullptr);
  EXPECT_FALSE(results[0]["ranks"][0]["values"].contains("pct_of_peak"));
  system_spec no_unit = system;
  no_unit.peak_per_gpu.erase("unit");
  add_pct_of_peak(results, "gemm", &no_unit);
  EXPECT_EQ(metric_named(results[0]["metrics"], "pct_of_peak"), nullptr);
  EXPECT_FALSE(results[0]["ranks"][0]["values"].contains("pct_of_peak"));
  nlohmann::json bandwidth = one_point({{"dtype", "bf16"}}, {{tflops_metric(700, "GB/s")}});
  add_pct_of_peak(bandwidth, "gemm", &system);  // a unit that is no rate of flops: nothing made up
  EXPECT_EQ(metric_named(bandwidth[0]["metrics"], "pct_of_peak"), nullptr);
  EXPECT_FALSE(bandwidth[0]["ranks"][0]["values"].contains("pct_of_peak"));
  nlohmann::json skipped = one_point({{"dtype", "bf16"}}, {nlohmann::json::array()});
  add_pct_of_peak(skipped, "gemm", &system);
  EXPECT_TRUE(skipped[0]["metrics"].empty());
  EXPECT_TRUE(skipped[0]["ranks"][0]["values"].empty());
}

TEST(peak_table, the_controller_adds_pct_of_peak_and_judges_a_reference_on_it) {
  system_spec system = h100_system();
  reference floor;
  floor.benchmark = "gemm";
  floor.metric = "pct_of_peak";
  floor.where = {{"dtype", "bf16"}};
  floor.value = 75;
  floor.unit = "%";
  floor.lower = tolerance{0, true};
  floor.source = "test: 75% of the datasheet";
  system.references.push_back(floor);

  const auto dir = std::filesystem::temp_directory_path() / "exacheck_test_peak_table";
  std::filesystem::create_directories(dir);
  const std::string result_file = (dir / "result.json").string();
  const nlohmann::json metrics = nlohmann::json::array({tflops_metric(791.6)});  // 80% of 989.5
  const nlohmann::json slow = nlohmann::json::array({tflops_metric(692.65)});    // 70%
  const nlohmann::json point = {{"params", {{"dtype", "bf16"}}},
                                {"scope", "rank"},
                                {"metrics", metrics},
                                {"correctness", {{"checked", false}}}};
  nlohmann::json slow_point = point;
  slow_point["metrics"] = slow;
  // A result as the worker writes it: of this case and launch (case_id, token), answers not verified (the
  // case's `verify` is off).
  const nlohmann::json worker_result = {{"schema", "exacheck/case-result/v1"},
                                        {"case_id", "gemm-1"},
                                        {"token", "launch-1"},
                                        {"rank_results",
                                         {{{"rank", 0}, {"host", "node1"}, {"points", {point}}},
                                          {{"rank", 1}, {"host", "node1"}, {"points", {slow_point}}}}}};
  std::ofstream(result_file) << worker_result.dump();

  nlohmann::json entry = {{"id", "gemm-1"},
                          {"benchmark", "gemm"},
                          {"params", {{"dtype", "bf16"}}},
                          {"ranks", 2},
                          {"verify", false},
                          {"checks", nlohmann::json::array()},
                          {"timing", nlohmann::json::object()}};
  process_result ended;
  complete_case_entry(entry, ended, result_file, (dir / "log.txt").string(), &system, 2, "launch-1");
  std::filesystem::remove_all(dir);

  ASSERT_EQ(entry["results"].size(), 1u);
  EXPECT_NE(metric_named(entry["results"][0]["metrics"], "pct_of_peak"), nullptr);
  EXPECT_TRUE(entry["results"][0]["ranks"][1]["values"].contains("pct_of_peak"));
  const nlohmann::json* check = nullptr;
  for (const auto& c : entry["checks"])
    if (c.value("metric", "") == "pct_of_peak") check = &c;
  ASSERT_NE(check, nullptr) << entry["checks"].dump(2);
  EXPECT_EQ(check->at("outcome"), "FAIL") << check->dump(2);  // the worst rank, 70% < 75%
  EXPECT_EQ(check->at("worst_rank"), 1);
  EXPECT_EQ(check->at("unit"), "%");
  EXPECT_NEAR(check->at("value").get<double>(), 70.0, 1e-9);
}
