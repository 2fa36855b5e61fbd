// metrics.prom (reports/render/prometheus.cpp): the golden file is the spec; a strict reader of the exposition
// format (tests/support/prometheus_text.hpp) checks what node_exporter's textfile collector needs; targeted
// tests pin the naming, unit conversion, labels and escaping a dashboard relies on.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include "../support/cli_runner.hpp"
#include "../support/prometheus_text.hpp"
#include "../support/rank_records.hpp"
#include "harness/io/files.hpp"
#include "reports/render/prometheus_exposition.hpp"
#include "reports/render/render.hpp"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;
namespace reports = exacheck::reports;
using exacheck::testing::parse_prometheus_text;

const fs::path golden_dir = fs::path(EXACHECK_TEST_DATA_DIR) / "golden";

json small_run() {
  return json::parse(exacheck::read_file((golden_dir / "run_small.json").string()));
}

std::string prom_of(const json& run) {
  std::ostringstream out;
  reports::render_prometheus(run, out);
  return out.str();
}

// One case, one point, one rank-scoped metric on two GPUs of one host.
json gpu_run() {
  const auto rank = [](int r, const std::string& uuid, double tflops) {
    return json{{"rank", r},
                {"host", "node001"},
                {"local_rank", r},
                {"device", {{"kind", "gpu"}, {"index", r}, {"uuid", uuid}, {"name", "NVIDIA H100"}}},
                {"metrics",
                 {{{"name", "tflops"},
                   {"value", tflops},
                   {"unit", "TFLOP/s"},
                   {"statistic", "median"},
                   {"better", "higher"}}}}};
  };
  json point = exacheck::testing::rank_point({{"dtype", "bf16"}, {"m", 8192}}, "rank",
                                             {rank(0, "GPU-aaaa", 700.5), rank(1, "GPU-bbbb", 650.25)});
  json c = {{"id", "gemm-1"}, {"name", "gemm"},        {"benchmark", "gemm"}, {"repeat", 0},
            {"ranks", 2},     {"outcome", "RECORDED"}, {"results", {point}},  {"checks", json::array()}};
  return {
      {"schema", exacheck::run_schema}, {"plan", {{"name", "nightly"}}}, {"exit_code", 0}, {"cases", {c}}};
}

TEST(prometheus_golden, metrics_match_golden) {
  const std::string rendered = prom_of(small_run());
  const fs::path golden = golden_dir / "metrics_small.prom";
  const char* update = std::getenv("EXACHECK_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    exacheck::write_file_atomically(golden.string(), rendered);
    std::cout << "rewrote " << golden << "\n";
    return;
  }
  EXPECT_EQ(rendered, exacheck::read_file(golden.string()))
      << "differs from " << golden << " (EXACHECK_UPDATE_GOLDEN=1 rewrites it)";
}

TEST(prometheus_format, golden_run_is_valid_exposition_text_with_help_and_type_for_every_family) {
  const auto file = parse_prometheus_text(prom_of(small_run()));
  ASSERT_FALSE(file.samples.empty());
  for (const auto& s : file.samples) {
    EXPECT_TRUE(file.help.count(s.name)) << s.name;
    EXPECT_EQ(file.type.at(s.name), "gauge") << s.name;
    EXPECT_EQ(s.name.rfind("exacheck_", 0), 0u) << s.name;
  }
}

TEST(prometheus_format, strict_reader_refuses_what_the_textfile_collector_refuses) {
  using exacheck::testing::parse_prometheus_text;
  EXPECT_THROW(parse_prometheus_text("a{x=\"1\"} 1\na{x=\"1\"} 2\n"), std::runtime_error);  // duplicate
  EXPECT_THROW(parse_prometheus_text("1a 1\n"), std::runtime_error);                        // name
  EXPECT_THROW(parse_prometheus_text("a{x=\"\\t\"} 1\n"), std::runtime_error);              // escape
  EXPECT_THROW(parse_prometheus_text("a 1 1700000000\n"), std::runtime_error);              // timestamp
  EXPECT_THROW(parse_prometheus_text("a 1\nb 1\na 2\n"), std::runtime_error);               // split family
  EXPECT_THROW(parse_prometheus_text("a{x=\"1\"} 1\na{y=\"1\"} 1\n"), std::runtime_error);  // label names
  EXPECT_THROW(parse_prometheus_text("a 1\n# HELP a late\n"), std::runtime_error);          // HELP late
  EXPECT_NO_THROW(parse_prometheus_text("# HELP a h\n# TYPE a gauge\na{x=\"q\\\"\\n\\\\\"} NaN\n"));
}

TEST(prometheus_metrics, rates_and_times_are_in_base_units_with_spelled_out_names) {
  const auto file = parse_prometheus_text(prom_of(small_run()));
  const auto gemm = file.find("exacheck_gemm_flops_per_second", {{"host", "node001"}, {"dtype", "fp64"}});
  ASSERT_EQ(gemm.size(), 1u);
  EXPECT_DOUBLE_EQ(gemm[0].value, 1.69762e12);  // 1.69762 TFLOP/s
  const auto busbw = file.find("exacheck_allreduce_busbw_bytes_per_second", {{"bytes", "1048576"}});
  ASSERT_EQ(busbw.size(), 1u);
  EXPECT_DOUBLE_EQ(busbw[0].value, 3.1998e9);  // 3.1998 GB/s
  const auto time = file.find("exacheck_allreduce_time_seconds", {{"bytes", "8"}});
  ASSERT_EQ(time.size(), 1u);
  EXPECT_DOUBLE_EQ(time[0].value, 3.1e-6);  // 3.1 us
  EXPECT_EQ(file.find("exacheck_membw_triad_bandwidth_bytes_per_second").size(), 1u);
}

TEST(prometheus_metrics, rank_scoped_metrics_have_one_sample_per_device_and_global_ones_no_gpu_label) {
  const auto file = parse_prometheus_text(prom_of(small_run()));
  const auto fp32 = file.find("exacheck_gemm_flops_per_second", {{"dtype", "fp32"}});
  ASSERT_EQ(fp32.size(), 2u);  // node001 and node002
  EXPECT_NE(fp32[0].labels.at("host"), fp32[1].labels.at("host"));
  const auto busbw = file.find("exacheck_allreduce_busbw_bytes_per_second");
  ASSERT_FALSE(busbw.empty());
  for (const auto& s : busbw) {
    EXPECT_EQ(s.labels.count("gpu"), 0u);
    EXPECT_EQ(s.labels.count("host"), 0u);
  }
}

// A night on fewer nodes, or a size rounded differently to the rank count, continues the same series: the
// rank count is a value of its own, and a point's labels are its identity, never what its suite derived.
TEST(prometheus_metrics, series_keep_their_labels_at_another_rank_count_and_derived_values_are_no_labels) {
  json run = small_run();
  json& allreduce = run["cases"][1];
  ASSERT_EQ(allreduce["benchmark"], "allreduce");
  json other = run;
  other["cases"][1]["ranks"] = 3;
  for (auto& point : other["cases"][1]["results"]) point["derived"] = {{"bytes", 1048572}};
  const auto before = parse_prometheus_text(prom_of(run));
  const auto after = parse_prometheus_text(prom_of(other));
  const auto label_sets = [](const exacheck::testing::prom_file& file) {
    std::set<std::string> sets;
    for (const auto& s : file.samples) {
      std::string text = s.name;
      for (const auto& [name, value] : s.labels) text += " " + name + "=" + value;
      sets.insert(text);
    }
    return sets;
  };
  EXPECT_EQ(label_sets(before), label_sets(after));
  for (const auto& s : after.find("exacheck_allreduce_busbw_bytes_per_second")) {
    EXPECT_EQ(s.labels.count("ranks"), 0u);
    EXPECT_NE(s.labels.at("bytes"), "1048572");
  }
  const auto ranks = after.find("exacheck_case_ranks", {{"case", "allreduce"}});
  ASSERT_EQ(ranks.size(), 1u);
  EXPECT_EQ(ranks[0].value, 3);
  EXPECT_EQ(ranks[0].labels.at("case_id"), allreduce["id"]);
}

TEST(prometheus_metrics, gpu_samples_carry_host_gpu_uuid_benchmark_case_and_params) {
  const auto file = parse_prometheus_text(prom_of(gpu_run()));
  const auto samples = file.find("exacheck_gemm_flops_per_second", {{"uuid", "GPU-bbbb"}});
  ASSERT_EQ(samples.size(), 1u);
  const auto& labels = samples[0].labels;
  EXPECT_EQ(labels.at("plan"), "nightly");
  EXPECT_EQ(labels.at("host"), "node001");
  EXPECT_EQ(labels.at("gpu"), "1");
  EXPECT_EQ(labels.at("benchmark"), "gemm");
  EXPECT_EQ(labels.at("case"), "gemm");
  EXPECT_EQ(labels.at("dtype"), "bf16");
  EXPECT_EQ(labels.at("m"), "8192");
  EXPECT_DOUBLE_EQ(samples[0].value, 650.25e12);
}

TEST(prometheus_metrics, per_gpu_values_come_from_the_analysis_section_when_the_run_has_one) {
  json run = gpu_run();
  // Two ranks sharing one GPU: the analysis has one device (rates summed); the raw ranks must not be used.
  run["analysis"]["metrics"] = {
      {{"case_id", "gemm-1"},
       {"case", "gemm"},
       {"benchmark", "gemm"},
       {"params", {{"dtype", "bf16"}, {"m", 8192}}},
       {"metric", "tflops"},
       {"unit", "TFLOP/s"},
       {"statistic", "median"},
       {"devices", {{"index", {0, 1}}, {"rank", {0, 2}}, {"value", {1350.75, nullptr}}}}}};
  run["analysis"]["devices"] = {{{"host", "node001"}, {"gpu", 0}, {"uuid", "GPU-aaaa"}},
                                {{"host", "node002"}, {"gpu", 0}, {"uuid", "GPU-cccc"}}};
  const auto file = parse_prometheus_text(prom_of(run));
  const auto samples = file.find("exacheck_gemm_flops_per_second");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_DOUBLE_EQ(samples[0].value, 1350.75e12);
  EXPECT_TRUE(std::isnan(samples[1].value));  // an invalid value stays visible, never 0
  EXPECT_EQ(file.find("exacheck_gemm_flops_per_second", {{"uuid", "GPU-bbbb"}}).size(), 0u);
}

TEST(prometheus_metrics, one_health_gauge_per_device_and_per_node_from_the_device_verdicts) {
  const auto file = parse_prometheus_text(prom_of(small_run()));
  const auto devices = file.find("exacheck_device_healthy");
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].labels.at("host"), "node001");
  EXPECT_EQ(devices[0].labels.at("gpu"), "0");
  EXPECT_EQ(devices[0].labels.at("uuid"), "");
  EXPECT_EQ(devices[0].value, 0);  // INCORRECT
  EXPECT_EQ(devices[1].labels.at("host"), "node002");
  EXPECT_EQ(devices[1].value, 1);
  const auto nodes = file.find("exacheck_node_healthy");
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].labels.at("host"), "node001");
  EXPECT_EQ(nodes[0].value, 0);  // its GPU needs attention
  EXPECT_EQ(nodes[1].value, 1);
  // A GPU's UUID is its label; a run.json without device verdicts has no such gauge.
  json run = small_run();
  run["analysis"]["device_verdicts"]["gpus"][1]["uuid"] = "GPU-1234";
  EXPECT_EQ(
      parse_prometheus_text(prom_of(run)).find("exacheck_device_healthy", {{"uuid", "GPU-1234"}}).size(), 1u);
  run["analysis"].erase("device_verdicts");
  EXPECT_TRUE(parse_prometheus_text(prom_of(run)).find("exacheck_device_healthy").empty());
}

TEST(prometheus_metrics, run_level_exit_code_timestamp_synthetic_and_check_counts) {
  json run = small_run();
  run["synthetic"] = true;
  const auto file = parse_prometheus_text(prom_of(run));
  ASSERT_EQ(file.find("exacheck_run_exit_code").size(), 1u);
  EXPECT_EQ(file.find("exacheck_run_exit_code")[0].value, 1);
  EXPECT_EQ(file.find("exacheck_run_exit_code")[0].labels.at("plan"), "nightly-small");
  EXPECT_EQ(file.find("exacheck_run_timestamp_seconds")[0].value, 1795507280);  // 2026-11-24T08:01:20Z
  EXPECT_EQ(file.find("exacheck_run_synthetic")[0].value, 1);
  EXPECT_EQ(file.find("exacheck_run_checks", {{"outcome", "FAIL"}})[0].value, 1);
  EXPECT_EQ(file.find("exacheck_run_checks", {{"outcome", "RECORDED"}})[0].value, 7);
}

TEST(prometheus_metrics, every_check_and_case_has_an_outcome_sample) {
  const json run = small_run();
  const auto file = parse_prometheus_text(prom_of(run));
  std::size_t checks = 0;
  for (const auto& c : run["cases"]) checks += c["checks"].size();
  EXPECT_EQ(file.find("exacheck_check_outcome").size(), checks);
  EXPECT_EQ(file.find("exacheck_case_outcome").size(), run["cases"].size());
  const auto failed = file.find("exacheck_check_outcome", {{"outcome", "FAIL"}});
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].labels.at("check"), "busbw");
  EXPECT_EQ(failed[0].labels.at("point"), "dtype=fp32 bytes=1048576");
  EXPECT_EQ(file.find("exacheck_case_outcome", {{"case", "flops"}, {"outcome", "ERROR"}}).size(), 1u);
}

TEST(prometheus_metrics, label_values_are_escaped_and_read_back_unchanged) {
  json run = gpu_run();
  const std::string nasty = "a \"quoted\" back\\slash\nnew line";
  run["cases"][0]["name"] = nasty;
  run["plan"]["name"] = nasty;
  const auto file = parse_prometheus_text(prom_of(run));
  const auto samples = file.find("exacheck_gemm_flops_per_second");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].labels.at("case"), nasty);
  EXPECT_EQ(samples[0].labels.at("plan"), nasty);
}

TEST(prometheus_metrics, parameter_values_with_line_breaks_and_equals_signs_survive) {
  json run = gpu_run();
  run["cases"][0]["results"][0]["params"] = {{"note", "a=b\nc=d"}, {"dtype", "bf16"}};
  const auto file = parse_prometheus_text(prom_of(run));
  const auto samples = file.find("exacheck_gemm_flops_per_second");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].labels.at("note"), "a=b\nc=d");
  EXPECT_EQ(samples[0].labels.at("dtype"), "bf16");
}

TEST(prometheus_metrics, a_parameter_named_like_a_fixed_label_does_not_shadow_it) {
  json run = gpu_run();
  run["cases"][0]["results"][0]["params"] = {{"host", "other"}, {"Block-Size", 64}};
  const auto file = parse_prometheus_text(prom_of(run));
  const auto samples = file.find("exacheck_gemm_flops_per_second", {{"uuid", "GPU-aaaa"}});
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].labels.at("host"), "node001");
  EXPECT_EQ(samples[0].labels.at("param_host"), "other");
  EXPECT_EQ(samples[0].labels.at("block_size"), "64");
}

TEST(prometheus_metrics, the_same_series_twice_keeps_the_first_and_says_so) {
  json run = gpu_run();
  run["cases"].push_back(run["cases"][0]);  // same name, repeat and point: identical series
  const std::string text = prom_of(run);
  const auto file = parse_prometheus_text(text);  // throws on a duplicate
  EXPECT_EQ(file.find("exacheck_gemm_flops_per_second").size(), 2u);
  EXPECT_NE(text.find("# exacheck: dropped a second sample of exacheck_gemm_flops_per_second{"),
            std::string::npos);
}

TEST(prometheus_metrics, cases_of_one_name_from_a_sweep_stay_distinct_series) {
  json run = gpu_run();
  json fp32 = run["cases"][0];
  fp32["id"] = "gemm-2";
  fp32["results"][0]["params"]["dtype"] = "fp32";
  run["cases"].push_back(fp32);
  const std::string text = prom_of(run);
  const auto file = parse_prometheus_text(text);
  EXPECT_EQ(text.find("dropped"), std::string::npos) << text;
  EXPECT_EQ(file.find("exacheck_case_outcome", {{"case", "gemm"}}).size(), 2u);
  EXPECT_EQ(file.find("exacheck_gemm_flops_per_second").size(), 4u);
}

TEST(prometheus_metrics, families_with_different_parameters_get_one_label_set) {
  json run = gpu_run();
  json other = run["cases"][0];
  other["name"] = "gemm-tn";
  other["results"][0]["params"]["transa"] = "t";
  run["cases"].push_back(other);
  EXPECT_NO_THROW(parse_prometheus_text(prom_of(run)));
}

TEST(prometheus_units, base_units_and_names) {
  namespace p = reports::prometheus;
  EXPECT_EQ(p::base_unit_of("TFLOP/s").suffix, "flops_per_second");
  EXPECT_DOUBLE_EQ(p::base_unit_of("TFLOP/s").factor, 1e12);
  EXPECT_EQ(p::base_unit_of("MB/s").suffix, "bytes_per_second");
  EXPECT_DOUBLE_EQ(p::base_unit_of("ms").factor, 1e-3);
  EXPECT_EQ(p::base_unit_of("GiB").suffix, "bytes");
  EXPECT_DOUBLE_EQ(p::base_unit_of("GOP/s").factor, 1e9);
  EXPECT_EQ(p::base_unit_of("%").suffix, "ratio");
  EXPECT_DOUBLE_EQ(p::base_unit_of("%").factor, 0.01);
  EXPECT_EQ(p::base_unit_of("W").suffix, "w");
  EXPECT_EQ(p::name_part("Triad-BW (best)"), "triad_bw_best");
  EXPECT_EQ(p::name_part("8x"), "_8x");
  EXPECT_EQ(p::sample_value(INFINITY), "+Inf");
}

// promtool (Debian package prometheus) is the reference checker; where it is not installed the strict reader
// above stands in.
TEST(prometheus_format, promtool_accepts_the_golden_run_when_installed) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) GTEST_SKIP() << "promtool is not installed";
  const auto dir = exacheck::testing::fresh_temp_dir("promtool");
  exacheck::testing::write_text(dir / "metrics.prom", prom_of(small_run()));
  const std::string command = "promtool check metrics < " + (dir / "metrics.prom").string() + " 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0);
  fs::remove_all(dir);
}

}  // namespace
