// report.md's sections from run.json "analysis" (reports/render/markdown_analysis.cpp), the rate formatter they use,
// and the golden run's analysis, which must be exactly what analyse_run computes from its cases.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "../support/rank_records.hpp"
#include "harness/io/files.hpp"
#include "reports/analysis/aggregate.hpp"
#include "reports/analysis/format.hpp"
#include "reports/render/render.hpp"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;
namespace reports = exacheck::reports;

const fs::path golden_run = fs::path(EXACHECK_TEST_DATA_DIR) / "golden" / "run_small.json";

std::string markdown_of(const json& run) {
  std::ostringstream out;
  reports::render_markdown(run, out);
  return out.str();
}

std::string section(const std::string& md, const std::string& title) {
  const auto begin = md.find("## " + title + "\n");
  if (begin == std::string::npos) return "";
  return md.substr(begin, md.find("\n## ", begin + 1) - begin);
}

// 8 GPUs on 2 nodes of a 525 × 4 system, one 25% slow, against a 90 TFLOP/s reference (≥ 85.5).
json analysed_fleet_run() {
  json ranks = json::array();
  const double values[] = {100, 101, 99, 100, 100, 100, 101, 75};
  for (int r = 0; r < 8; ++r)
    ranks.push_back(
        {{"rank", r},
         {"host", r < 4 ? "node001" : "node002"},
         {"local_rank", r % 4},
         {"device",
          {{"kind", "gpu"}, {"index", r % 4}, {"name", "H100"}, {"uuid", "GPU-" + std::to_string(r)}}},
         {"metrics",
          {{{"name", "tflops"}, {"value", values[r]}, {"unit", "TFLOP/s"}, {"better", "higher"}}}}});
  const json params = {{"dtype", "bf16"}};
  const json check = {{"metric", "tflops"},
                      {"params", params},
                      {"value", 75},
                      {"unit", "TFLOP/s"},
                      {"aggregation", "worst rank"},
                      {"reference", {{"value", 90}, {"unit", "TFLOP/s"}, {"lower_bound", 85.5}}},
                      {"outcome", "FAIL"},
                      {"reason", "75 < 85.5"}};
  json run = {{"schema", "exacheck/run/v2"},
              {"interrupted", false},
              {"complete", true},
              {"system", {{"name", "h100-sxm"}, {"size", {{"nodes", 525}, {"gpus_per_node", 4}}}}},
              {"cases",
               {{{"id", "gemm-1"},
                 {"name", "gemm"},
                 {"benchmark", "gemm"},
                 {"ranks", 8},
                 {"results", {exacheck::testing::rank_point(params, "rank", ranks)}},
                 {"checks", {check}}}}}};
  reports::analyse_run(run, {});
  return run;
}

TEST(report_format, rates_are_rescaled_by_si_prefix) {
  EXPECT_EQ(reports::readable_rate(1682520.0, "TFLOP/s"), "1.683 EFLOP/s");
  EXPECT_EQ(reports::readable_rate(42000.0, "TFLOP/s"), "42 PFLOP/s");
  EXPECT_EQ(reports::readable_rate(801.2, "TFLOP/s"), "801.2 TFLOP/s");
  EXPECT_EQ(reports::readable_rate(0.0666, "TFLOP/s"), "66.6 GFLOP/s");
  EXPECT_EQ(reports::readable_rate(7035.0, "GB/s"), "7.035 TB/s");
  EXPECT_EQ(reports::readable_rate(0.0025, "MB/s"), "2.5 kB/s");  // SI kilo is a lower-case k
  EXPECT_EQ(reports::readable_rate(2500.0, "KB/s"), "2.5 MB/s");  // an upper-case K is read as kilo
  EXPECT_EQ(reports::readable_rate(0.5, "B/s"), "0.5 B/s");       // nothing below the base unit
  EXPECT_EQ(reports::readable_rate(3.0, "us"), "3 us");           // not a rate
  EXPECT_EQ(reports::readable_rate(3.0, "xB/s"), "3 xB/s");       // unknown prefix: as written
  EXPECT_EQ(reports::readable_rate(nullptr, "GB/s"), "—");
}

TEST(markdown_analysis, outliers_are_listed_under_their_gpu_with_their_reason) {
  const std::string devices = section(markdown_of(analysed_fleet_run()), "Devices needing attention");
  EXPECT_NE(
      devices.find("| node002 | 3 | GPU-7 | — | FAIL | gemm tflops dtype=bf16: 75 TFLOP/s < 85.5 TFLOP/s, "
                   "the lower bound of reference 90 TFLOP/s | 2 |"),
      std::string::npos)
      << devices;
  EXPECT_NE(
      devices.find("| OUTLIER | gemm-1 | dtype=bf16 | tflops | 75 TFLOP/s | 75 TFLOP/s is 25.0% below the "
                   "fleet median 100 TFLOP/s of 8 H100; robust z -33.7 (limit \\|z\\| > 4 and 5% from the "
                   "median) |"),
      std::string::npos)
      << devices;
}

TEST(markdown_analysis, system_totals_show_the_measured_sum_beside_the_labelled_projection) {
  const std::string md = markdown_of(analysed_fleet_run());
  const std::string totals = section(md, "System totals");
  EXPECT_LT(md.find("## Devices needing attention"), md.find("## System totals"));
  EXPECT_LT(md.find("## System totals"), md.find("## Commitments"));
  EXPECT_LT(md.find("## Commitments"), md.find("## Results by benchmark"));
  EXPECT_NE(totals.find("525 nodes × 4 GPUs = 2100 GPUs"), std::string::npos) << totals;
  // 776 TFLOP/s measured on 8 GPUs; projection 100 × 2100 = 210000 TFLOP/s = 210 PFLOP/s.
  EXPECT_NE(
      totals.find("| gemm-1 | dtype=bf16 | tflops | 776 TFLOP/s | 8 | 100 TFLOP/s | 210 PFLOP/s | per-GPU "
                  "median 100 TFLOP/s × 2100 GPUs (525 nodes × 4 GPUs, system h100-sxm) |"),
      std::string::npos)
      << totals;
  EXPECT_NE(totals.find("projection (not measured)"), std::string::npos);
}

// A total over GPUs adds up runs that each GPU made on its own: it is labelled as such, never read as one run
// of the whole machine.
TEST(markdown_analysis, a_total_over_gpus_is_labelled_a_sum_of_independent_per_gpu_measurements) {
  const std::string totals = section(markdown_of(analysed_fleet_run()), "System totals");
  EXPECT_NE(totals.find("**sum of 8 independent per-GPU measurements, not a machine-level run**"),
            std::string::npos)
      << totals;
  EXPECT_NE(totals.find("| sum of per-GPU measurements | GPUs |"), std::string::npos) << totals;
}

// Measured is the worst rank's value, judged against the committed bound; the fleet's median, worst GPU and
// worst node stand beside it.
TEST(markdown_analysis, commitments_name_the_worst_gpu_and_node) {
  const std::string commitments = section(markdown_of(analysed_fleet_run()), "Commitments");
  EXPECT_NE(
      commitments.find("| gemm-1 | dtype=bf16 | tflops | 90 TFLOP/s (≥ 85.5) | 75 TFLOP/s | — | FAIL | "
                       "100 TFLOP/s | node002 GPU 3: 75 TFLOP/s | node002: 94 TFLOP/s per GPU | 75 < 85.5 |"),
      std::string::npos)
      << commitments;
}

// A collective's busbw is measured over all its ranks, not per GPU: it has no analysis.metrics entry, and its
// reference is a commitment all the same.
TEST(markdown_analysis, commitments_list_a_collectives_reference_beside_the_per_gpu_ones) {
  const json run = json::parse(exacheck::read_file(golden_run.string()));
  const std::string commitments = section(markdown_of(run), "Commitments");
  EXPECT_NE(
      commitments.find("| allreduce-5b21d0c4 | dtype=fp32 bytes=1048576 | busbw | 10 GB/s (≥ 9), "
                       "acceptance plan, 100 Gb/s fabric | 3.2 GB/s, global over 2 ranks | -68.0% | FAIL | "
                       "— | — | — | 3.2 GB/s < 9 GB/s (reference 10 GB/s -10%) |"),
      std::string::npos)
      << commitments;
  EXPECT_NE(commitments.find("| gemm-3f9c1a7e | dtype=fp64 m=2048 n=2048 k=2048 transa=n transb=n | tflops | "
                             "1.6 TFLOP/s (≥ 1.52), vendor baseline, EPYC 7763 1S, 2025-10 | 1.641 TFLOP/s, "
                             "worst of 2 ranks | +2.6% | PASS |"),
            std::string::npos)
      << commitments;
  EXPECT_NE(commitments.find("| membw-8e4f2b19 |"), std::string::npos) << commitments;
}

// A reference the run should have measured and did not (aggregation "commitment") is a row of its own.
TEST(markdown_analysis, commitments_list_a_reference_committed_but_not_measured) {
  json run = analysed_fleet_run();
  run["cases"][0]["checks"].push_back(
      {{"metric", "tflops"},
       {"params", {{"dtype", "fp8"}}},
       {"value", nullptr},
       {"unit", "TFLOP/s"},
       {"aggregation", "commitment"},
       {"reference",
        {{"value", 1500},
         {"unit", "TFLOP/s"},
         {"lower_bound", 1425},
         {"source", "contract annex B"},
         {"defined_at", "h100.yaml:14:5"}}},
       {"outcome", "FAIL"},
       {"reason",
        "committed, not measured: gemm tflops where {dtype: fp8} (contract annex B) at h100.yaml:14; "
        "the point was SKIPPED: no fp8 GEMM"}});
  const std::string commitments = section(markdown_of(run), "Commitments");
  EXPECT_NE(commitments.find(
                "| gemm-1 | dtype=fp8 | tflops | 1500 TFLOP/s (≥ 1425), contract annex B | not "
                "measured | — | FAIL | — | — | — | committed, not measured: gemm tflops where "
                "{dtype: fp8} (contract annex B) at h100.yaml:14; the point was SKIPPED: no fp8 GEMM |"),
            std::string::npos)
      << commitments;
}

TEST(markdown_analysis, without_analysis_or_size_the_report_says_so) {
  json run = analysed_fleet_run();
  run["analysis"]["system_size"] = nullptr;
  for (auto& metric : run["analysis"]["metrics"]) metric["projection"] = nullptr;
  EXPECT_NE(section(markdown_of(run), "System totals").find("no projection"), std::string::npos);
  run.erase("analysis");
  EXPECT_NE(section(markdown_of(run), "System totals").find("Not analysed"), std::string::npos);
}

// The golden run's "analysis" is analyse_run's output for its cases and rules, so the golden reports render
// what a real run would. EXACHECK_UPDATE_GOLDEN=1 rewrites it (appended as the file's last key, the rest of
// the hand-written file untouched).
TEST(reports_golden, golden_run_analysis_is_what_analyse_run_computes) {
  const std::string text = exacheck::read_file(golden_run.string());
  const json golden = json::parse(text);
  json run = golden;
  const reports::outlier_rules rules =
      golden.contains("analysis")
          ? reports::rules_from_json(golden["analysis"]["rules"])
          : reports::outlier_rules{.below_median_pct = 10, .spread = {{"membw", "triad_bandwidth", 5}}};
  run.erase("analysis");
  reports::analyse_run(run, rules);
  const char* update = std::getenv("EXACHECK_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::string head = text.substr(0, text.find(",\n  \"analysis\": "));
    if (head.size() == text.size()) head = text.substr(0, text.rfind("\n}"));
    std::string analysis = run["analysis"].dump(2);
    for (std::size_t at = analysis.find('\n'); at != std::string::npos; at = analysis.find('\n', at + 3))
      analysis.replace(at, 1, "\n  ");
    exacheck::write_file_atomically(golden_run.string(), head + ",\n  \"analysis\": " + analysis + "\n}\n");
    return;
  }
  ASSERT_TRUE(golden.contains("analysis"));
  EXPECT_EQ(run["analysis"], golden["analysis"]);
  EXPECT_EQ(run["verdict"], golden["verdict"]);
  EXPECT_EQ(run["summary"], golden["summary"]);
}

}  // namespace
