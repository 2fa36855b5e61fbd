// report.html (reports/html_*.cpp): the golden file is the spec of the page; targeted tests pin what a reader
// relies on: the answer first, projection apart from measurement, nothing fetched, escaping, and a size that
// stays reasonable at thousands of GPUs. tests/browser/ opens the same page in a real browser.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>

#include "harness/io/files.hpp"
#include "reports/render/render.hpp"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;
namespace reports = exacheck::reports;

const fs::path golden_dir = fs::path(EXACHECK_TEST_DATA_DIR) / "golden";

json fleet_run() {
  return json::parse(exacheck::read_file((golden_dir / "run_fleet.json").string()));
}

std::string html_of(const json& run) {
  std::ostringstream out;
  reports::render_html(run, out);
  return out.str();
}

int count_of(const std::string& text, const std::string& needle) {
  int count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size()))
    ++count;
  return count;
}

// EXACHECK_UPDATE_GOLDEN=1 rewrites the golden file instead of comparing; read its diff before keeping it.
TEST(html_report_golden, fleet_run_matches_golden) {
  const std::string rendered = html_of(fleet_run());
  const fs::path golden = golden_dir / "report_fleet.html";
  const char* update = std::getenv("EXACHECK_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    exacheck::write_file_atomically(golden.string(), rendered);
    std::cout << "rewrote " << golden << "\n";
    return;
  }
  EXPECT_EQ(rendered, exacheck::read_file(golden.string()))
      << "differs from " << golden << " (EXACHECK_UPDATE_GOLDEN=1 rewrites it)";
}

TEST(html_report, sections_come_in_the_order_of_the_answer) {
  const std::string html = html_of(fleet_run());
  std::size_t previous = 0;
  for (const std::string id : {"verdict", "devices", "totals", "commitments", "per-gpu", "collectives",
                               "details", "errors", "provenance"}) {
    const auto at = html.find("<section class=\"lead\" id=\"" + id + "\"") != std::string::npos
                        ? html.find("<section class=\"lead\" id=\"" + id + "\"")
                        : html.find("<section id=\"" + id + "\"");
    ASSERT_NE(at, std::string::npos) << id;
    EXPECT_GT(at, previous) << id << " is out of order";
    previous = at;
  }
}

TEST(html_report, title_says_synthetic_only_for_synthetic_runs) {
  json run = fleet_run();
  EXPECT_NE(html_of(run).find("<title>exacheck report: acceptance — SYNTHETIC on h100-sxm</title>"),
            std::string::npos);
  run["synthetic"] = false;
  EXPECT_EQ(html_of(run).find("SYNTHETIC"), std::string::npos);
}

TEST(html_report, devices_needing_attention_come_right_after_the_verdict_with_every_failing_check) {
  const std::string html = html_of(fleet_run());
  const auto devices = html.find("<section class=\"lead\" id=\"devices\">");
  const auto totals = html.find("id=\"totals\"");
  ASSERT_NE(devices, std::string::npos);
  EXPECT_EQ(html.find("id=\"failing\""), std::string::npos);  // every failing check is in the section
  EXPECT_NE(html.find("<a href=\"#devices\">Devices needing attention</a>"), std::string::npos);
  const std::string section = html.substr(devices, totals - devices);
  EXPECT_NE(
      section.find("6 of 72 GPU(s) need attention, on 3 of 18 node(s); 2 failing check(s) not tied to one "
                   "device."),
      std::string::npos)
      << section;
  // The devices table: one row per GPU, linked to its failing checks below.
  const auto table_end = section.find("</table>");
  EXPECT_EQ(count_of(section.substr(0, table_end), "<tr><td><a href=\"#device-"), 6);
  EXPECT_NE(section.find("<tr><td><a href=\"#device-node007-2\">node007</a></td><td>2</td><td>GPU-00070002-"),
            std::string::npos)
      << section;
  EXPECT_NE(
      section.find("<h3 id=\"device-node007-2\">node007 GPU 2 <span class=\"badge o-FAIL\">FAIL</span></h3>"),
      std::string::npos);
  // Below the table, every failing check of the run under its device or as tied to none: the 11 OUTLIER
  // checks; the 4 FAIL checks of references as 7 reasons of GPUs (node007 GPU 2's gemm bf16 and fp64, each of
  // node012's GPUs' membw triad, node015 GPU 1's flops); the TIMEOUT and the ERROR of two collectives.
  const std::string listed = section.substr(table_end);
  EXPECT_EQ(count_of(listed, "<span class=\"badge o-OUTLIER\">"), 11);
  EXPECT_EQ(count_of(listed, "<td><span class=\"badge o-FAIL\">"), 7);
  EXPECT_EQ(count_of(listed, "<span class=\"badge o-TIMEOUT\">"), 1);
  EXPECT_EQ(count_of(listed, "<span class=\"badge o-ERROR\">"), 1);
  EXPECT_NE(section.find("543 TFLOP/s is 26.8% below the fleet median"), std::string::npos);
  EXPECT_NE(section.find("worker exited with signal 11"), std::string::npos);
}

TEST(html_report, a_run_without_device_verdicts_lists_its_failing_checks) {
  json run = fleet_run();
  run["analysis"].erase("device_verdicts");
  const std::string html = html_of(run);
  EXPECT_EQ(html.find("id=\"devices\""), std::string::npos);
  const auto failing = html.find("id=\"failing\"");
  const auto totals = html.find("id=\"totals\"");
  const std::string section = html.substr(failing, totals - failing);
  EXPECT_EQ(count_of(section, "<span class=\"badge o-OUTLIER\">"), 11);
  EXPECT_EQ(count_of(section, "<span class=\"badge o-FAIL\">"), 4);
  EXPECT_EQ(count_of(section, "<span class=\"badge o-TIMEOUT\">"), 1);
  EXPECT_EQ(count_of(section, "<span class=\"badge o-ERROR\">"), 1);
  EXPECT_NE(html.find("<a href=\"#failing\">Failing checks</a>"), std::string::npos);
}

TEST(html_report, totals_are_rescaled_and_the_projection_is_apart_and_labelled) {
  const std::string html = html_of(fleet_run());
  EXPECT_NE(html.find("<td class=\"num\">53.19 PFLOP/s</td>"), std::string::npos);  // 72 GPUs measured
  EXPECT_NE(html.find("<td class=\"num projection\">1.557 EFLOP/s</td>"),
            std::string::npos);  // 2100 projected
  EXPECT_NE(html.find("Projection to the full system (not measured)"), std::string::npos);
  EXPECT_NE(html.find("per-GPU median 741.4 TFLOP/s × 2100 GPUs (525 nodes × 4 GPUs, system h100-sxm)"),
            std::string::npos);
}

std::string section_of(const std::string& html, const std::string& id) {
  const auto begin = html.find("id=\"" + id + "\"");
  if (begin == std::string::npos) return "";
  return html.substr(begin, html.find("</section>", begin) - begin);
}

// Every check judged against a reference is a commitment: a collective's too (measured over all its ranks,
// so without a fleet), and a reference committed but not measured.
TEST(html_report, commitments_list_collectives_and_references_committed_but_not_measured) {
  json run = fleet_run();
  json* busbw = nullptr;
  for (auto& test_case : run["cases"])
    for (auto& check : test_case["checks"])
      if (test_case["benchmark"] == "allreduce" && check["metric"] == "busbw" && !busbw) busbw = &check;
  ASSERT_NE(busbw, nullptr);
  (*busbw)["reference"] = {{"value", 400}, {"unit", "GB/s"}, {"lower_bound", 380}, {"source", "annex C"}};
  (*busbw)["delta_pct"] = -1.5;
  (*busbw)["outcome"] = "PASS";
  (*busbw)["ranks_measured"] = 72;
  run["cases"][0]["checks"].push_back(
      {{"metric", "tflops"},
       {"params", {{"dtype", "fp8"}}},
       {"value", nullptr},
       {"unit", "TFLOP/s"},
       {"aggregation", "commitment"},
       {"reference", {{"value", 1500}, {"unit", "TFLOP/s"}, {"lower_bound", 1425}, {"source", "annex B"}}},
       {"outcome", "FAIL"},
       {"reason", "committed, not measured: gemm tflops where {dtype: fp8} (annex B) at h100.yaml:14"}});
  const std::string commitments = section_of(html_of(run), "commitments");
  EXPECT_EQ(count_of(commitments, "<tr><td>"), 4 + 2) << commitments;  // the fleet run's 4, and these 2
  EXPECT_NE(commitments.find("allreduce · busbw · "), std::string::npos) << commitments;
  EXPECT_NE(commitments.find("400 GB/s (≥ 380), annex C"), std::string::npos) << commitments;
  EXPECT_NE(commitments.find("global over 72 ranks"), std::string::npos) << commitments;
  EXPECT_NE(commitments.find("gemm · tflops · dtype=fp8"), std::string::npos) << commitments;
  EXPECT_NE(commitments.find("<strong>not measured</strong>"), std::string::npos) << commitments;
  EXPECT_NE(commitments.find("committed, not measured: gemm tflops where {dtype: fp8}"), std::string::npos);
  // A per-GPU metric keeps its fleet beside it.
  EXPECT_NE(commitments.find("worst GPU node007 GPU 2 (rank 26): 543 TFLOP/s"), std::string::npos)
      << commitments;
}

TEST(html_report, page_is_self_contained_without_script) {
  const std::string html = html_of(fleet_run());
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  // The only URL is SVG's namespace name, which is never fetched.
  EXPECT_EQ(count_of(html, "://"), count_of(html, "xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_NE(html.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);
}

TEST(html_report, fleets_above_64_gpus_are_a_heatmap_smaller_ones_bars) {
  json run = fleet_run();
  EXPECT_EQ(count_of(html_of(run), "deviation from the fleet median</text>"), 5);
  for (auto& metric : run["analysis"]["metrics"])
    for (auto& [name, column] : metric["devices"].items()) column.erase(column.begin() + 8, column.end());
  const std::string html = html_of(run);
  EXPECT_EQ(count_of(html, "deviation from the fleet median</text>"), 0);
  EXPECT_EQ(count_of(html, "class=\"bar outlier\""), 0);  // node007 GPU 2 (rank 26) is not among the first 8
  EXPECT_GE(count_of(html, "class=\"bar\""), 5 * 8);
}

// At fleet scale only a point's rates get a heatmap; a point's other metrics (time, % of peak) keep their
// distribution, and a point without any rate keeps its heatmap.
TEST(html_report, a_fleet_heatmap_is_drawn_for_a_points_rate_not_for_its_other_metrics) {
  json run = fleet_run();
  json& metrics = run["analysis"]["metrics"];
  json time = metrics[0];  // gemm bf16 tflops: the same point's time
  time["metric"] = "time";
  time["unit"] = "s";
  time["better"] = "lower";
  json alone = time;  // a point that has only a time
  alone["params"]["dtype"] = "fp8";
  metrics.push_back(time);
  metrics.push_back(alone);
  const std::string html = html_of(run);
  EXPECT_EQ(count_of(html, "deviation from the fleet median</text>"), 6);
  EXPECT_EQ(count_of(html, "the heatmap of this point's rate shows the same GPUs"), 1);
  EXPECT_EQ(count_of(html, "distribution over GPUs</text>"), 7);
}

TEST(html_report, host_names_are_escaped_everywhere) {
  std::string text = fleet_run().dump();
  for (auto at = text.find("node007"); at != std::string::npos; at = text.find("node007", at))
    text.replace(at, 7, "<node&1>");
  const std::string html = html_of(json::parse(text));
  EXPECT_EQ(html.find("<node&1>"), std::string::npos);
  EXPECT_GT(count_of(html, "&lt;node&amp;1&gt;"), 10);
}

TEST(html_report, a_run_without_analysis_still_renders_its_verdict_and_checks) {
  json run = fleet_run();
  run.erase("analysis");
  const std::string html = html_of(run);
  EXPECT_NE(html.find("Verdict: FAIL"), std::string::npos);
  EXPECT_NE(html.find("run.json has no \"analysis\" section"), std::string::npos);
  EXPECT_NE(html.find("allreduce: bus bandwidth against message size"), std::string::npos);
  EXPECT_NO_THROW(html_of(json::object()));
}

// The fleet run grown to `nodes` × 4 GPUs: every metric's GPUs replaced by that many, node007 GPU 2 still the
// slowest (its outliers kept as they are).
json fleet_of(int nodes) {
  json run = fleet_run();
  const json first_gpu = run["analysis"]["devices"][0];
  json table = json::array();
  for (int n = 1; n <= nodes; ++n)
    for (int g = 0; g < 4; ++g) {
      json gpu = first_gpu;
      gpu["host"] = "node" + std::to_string(1000 + n).substr(1);
      gpu["gpu"] = g;
      table.push_back(gpu);
    }
  run["analysis"]["devices"] = table;
  run["analysis"]["measured"] = {{"gpus", nodes * 4}, {"nodes", nodes}};
  for (auto& metric : run["analysis"]["metrics"]) {
    const double first = metric["devices"]["value"][0].get<double>();
    json devices = {{"index", json::array()}, {"rank", json::array()}, {"value", json::array()}};
    for (int n = 1; n <= nodes; ++n)
      for (int g = 0; g < 4; ++g) {
        const int i = (n - 1) * 4 + g;
        devices["index"].push_back(i);
        devices["rank"].push_back(i);
        devices["value"].push_back(first * (1 + 0.001 * ((n * 7 + g) % 11)));
      }
    metric["devices"] = devices;
  }
  return run;
}

// 525 nodes × 4 GPUs: no chart per point and no table per metric, but one fleet view per benchmark (its
// points as rows, the outlier GPUs named once), and the page says where every GPU's value is.
TEST(html_report, a_2100_gpu_fleet_is_one_fleet_view_per_benchmark_and_says_where_each_gpu_is) {
  const std::string html = html_of(fleet_of(525));
  EXPECT_LT(html.size(), 1024u * 1024);
  const std::string per_gpu = section_of(html, "per-gpu");
  EXPECT_EQ(count_of(per_gpu, "deviation from the fleet median</text>"), 0);  // no heatmap
  EXPECT_EQ(count_of(per_gpu, "distribution over GPUs</text>"), 0);           // no histogram per metric
  EXPECT_EQ(count_of(per_gpu, "spread of the GPUs of each point around its fleet median</text>"),
            3);  // gemm, flops, membw
  EXPECT_NE(per_gpu.find("Per-GPU values of 2,100 GPUs: results.csv"), std::string::npos);
  // gemm's two points: node007 GPU 2 an outlier at both, named once with the count of its points.
  EXPECT_NE(per_gpu.find("<tr><td>node007 GPU 2</td><td>gpu</td><td class=\"num\">2</td>"), std::string::npos)
      << per_gpu;
  const std::string details = section_of(html, "details");
  EXPECT_EQ(details.find("The 10 worst of"), std::string::npos);
  EXPECT_NE(details.find("every check is in junit.xml and run.json"), std::string::npos);
  EXPECT_NE(details.find("<h3>Checks by benchmark and outcome</h3>"), std::string::npos);
}

// What decides the form: up to 256 GPUs and 32 per-GPU metrics a run keeps its charts per point; past
// either, it gets fleet views.
TEST(html_report, fleet_views_replace_charts_per_point_past_256_gpus_or_32_metrics) {
  const auto fleet_views = [](const json& run) {
    return count_of(html_of(run), "spread of the GPUs of each point around its fleet median</text>");
  };
  EXPECT_EQ(fleet_views(fleet_of(64)), 0);  // 256 GPUs
  EXPECT_EQ(fleet_views(fleet_of(65)), 3);  // 260 GPUs
  json many = fleet_run();
  json& metrics = many["analysis"]["metrics"];
  while (metrics.size() <= 32) {
    json copy = metrics[0];
    copy["case_id"] = "gemm-" + std::to_string(metrics.size());
    metrics.push_back(copy);
  }
  EXPECT_EQ(fleet_views(many), 3);
}

// Totals add up GPUs that each ran alone: labelled so, never read as a run of the whole machine.
TEST(html_report, a_total_is_labelled_a_sum_of_independent_per_gpu_measurements) {
  const std::string totals = section_of(html_of(fleet_of(525)), "totals");
  EXPECT_NE(totals.find("sum of 2,100 independent per-GPU measurements, not a machine-level run"),
            std::string::npos)
      << totals;
  EXPECT_NE(totals.find("Measured: sums of independent per-GPU measurements"), std::string::npos);
}

}  // namespace
