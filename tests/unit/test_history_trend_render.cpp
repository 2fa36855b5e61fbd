// The reports' "Trend from the history" (history_trend beside run.json, docs/history.md "In the reports"):
// the section of report.md and of report.html against golden files, and nothing at all without a trend.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "harness/io/files.hpp"
#include "reports/render/render.hpp"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;
namespace reports = exacheck::reports;

const fs::path golden_dir = fs::path(EXACHECK_TEST_DATA_DIR) / "golden";

json run_with_trend() {
  json run = json::parse(exacheck::read_file((golden_dir / "run_small.json").string()));
  json nights = json::array();
  const double values[] = {801.2, 799.5, 797.0, 794.1, 790.3, 786.9, 0, 779.8, 775.2, 612.0};
  for (int i = 0; i < 10; ++i)
    nights.push_back({{"night", fmt::format("2026-11-{:02d}", 20 + i)},
                      {"value", values[i] == 0 ? json() : json(values[i])},
                      {"outcome", values[i] == 0 ? "FAIL"
                                  : i == 9       ? "FAIL"
                                                 : "PASS"},
                      {"this_run", i == 9}});
  run["history_trend"] = {{"database", "/var/lib/exacheck/history.sqlite"},
                          {"nights", 10},
                          {"run_in_history", true},
                          {"devices",
                           {{{"host", "node017"},
                             {"gpu", 2},
                             {"kind", "gpu"},
                             {"uuid", "GPU-0a1b2c3d-0000-4000-8000-000000000017"},
                             {"serial", "1652300172"},
                             {"verdict", "FAIL"},
                             {"series",
                              {{{"case_id", "gemm-3f9c1a7e"},
                                {"benchmark", "gemm"},
                                {"metric", "tflops"},
                                {"params", {{"dtype", "bf16"}, {"m", 8192}, {"n", 8192}, {"k", 8192}}},
                                {"unit", "TFLOP/s"},
                                {"better", "higher"},
                                {"statistic", "median"},
                                {"nights", nights}}}}}}}};
  return run;
}

std::string section(const std::string& text, const std::string& from, const std::string& to) {
  const auto begin = text.find(from);
  if (begin == std::string::npos) return "";
  const auto end = text.find(to, begin + from.size());
  return text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

// EXACHECK_UPDATE_GOLDEN=1 rewrites the golden file instead of comparing; read its diff before keeping it.
void expect_golden(const std::string& rendered, const std::string& name) {
  const fs::path golden = golden_dir / name;
  const char* update = std::getenv("EXACHECK_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    exacheck::write_file_atomically(golden.string(), rendered);
    std::cout << "rewrote " << golden << "\n";
    return;
  }
  EXPECT_EQ(rendered, exacheck::read_file(golden.string()))
      << "differs from " << golden << " (EXACHECK_UPDATE_GOLDEN=1 rewrites it)";
}

TEST(history_trend_render, markdown_section_matches_golden) {
  std::ostringstream out;
  reports::render_markdown(run_with_trend(), out);
  const std::string trend = section(out.str(), "## Trend from the history", "\n## ");
  ASSERT_FALSE(trend.empty()) << out.str();
  expect_golden(trend, "trend_section.md");
}

TEST(history_trend_render, html_section_matches_golden_and_is_in_the_contents) {
  std::ostringstream out;
  reports::render_html(run_with_trend(), out);
  const std::string trend = section(out.str(), "<section id=\"trend\">", "</section>");
  ASSERT_FALSE(trend.empty());
  expect_golden(trend + "</section>\n", "trend_section.html");
  EXPECT_NE(out.str().find("<a href=\"#trend\">Trend from the history</a>"), std::string::npos);
}

TEST(history_trend_render, without_a_trend_neither_report_has_the_section) {
  json run = run_with_trend();
  run.erase("history_trend");
  std::ostringstream markdown, html;
  reports::render_markdown(run, markdown);
  reports::render_html(run, html);
  EXPECT_EQ(markdown.str().find("Trend from the history"), std::string::npos);
  EXPECT_EQ(html.str().find("Trend from the history"), std::string::npos);
}

}  // namespace
