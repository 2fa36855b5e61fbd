// `exacheck report` reads run.json without the rank records' members no report reads and without the old
// analysis (harness/results/run_read.hpp read_run_for_report). That is only right while it is true: every report,
// rendered after the analysis from the filtered document, must be byte for byte the one from the whole
// document — on the golden runs (one of them in schema exacheck/run/v1, upgraded after the parse) and on a
// simulated acceptance run (samples, correctness, skipped points, collectives).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "harness/io/files.hpp"
#include "harness/plan/plan.hpp"
#include "harness/core/registry.hpp"
#include "harness/results/run_document.hpp"
#include "harness/results/run_read.hpp"
#include "harness/simulate/simulate.hpp"
#include "reports/analysis/aggregate.hpp"
#include "reports/render/render.hpp"

namespace {
namespace fs = std::filesystem;
const fs::path source_dir = EXACHECK_SOURCE_DIR;

void expect_same_reports(const std::string& path) {
  auto whole = exacheck::parse_json_file(path);
  auto filtered = exacheck::read_run_for_report(path).run;
  // As `exacheck report` reads them: a v1 file is upgraded right after the parse, filtered or not.
  EXPECT_EQ(exacheck::upgrade_run_document(whole), exacheck::upgrade_run_document(filtered)) << path;
  ASSERT_NE(whole, filtered) << path << ": nothing was left out, the test would prove nothing";
  exacheck::reports::outlier_rules rules;
  exacheck::reports::analyse_run(whole, rules);
  exacheck::reports::analyse_run(filtered, rules);
  EXPECT_EQ(whole["analysis"], filtered["analysis"]) << path;
  using renderer = void (*)(const nlohmann::json&, std::ostream&);
  const std::pair<const char*, renderer> renderers[] = {{"markdown", exacheck::reports::render_markdown},
                                                        {"html", exacheck::reports::render_html},
                                                        {"junit", exacheck::reports::render_junit},
                                                        {"csv", exacheck::reports::render_csv},
                                                        {"prometheus", exacheck::reports::render_prometheus}};
  for (const auto& [name, render] : renderers) {
    std::ostringstream from_whole, from_filtered;
    render(whole, from_whole);
    render(filtered, from_filtered);
    EXPECT_FALSE(from_whole.str().empty()) << name;
    EXPECT_TRUE(from_whole.str() == from_filtered.str()) << name << " differs for " << path;
  }
}

TEST(report_filter, golden_runs_render_the_same) {
  expect_same_reports((source_dir / "tests/golden/run_small.json").string());
  expect_same_reports((source_dir / "tests/golden/run_fleet.json").string());
  expect_same_reports((source_dir / "tests/golden/run_small_v1.json").string());  // exacheck/run/v1
}

TEST(report_filter, simulated_acceptance_run_renders_the_same) {
  const auto plan = exacheck::load_plan((source_dir / "configs/plans/acceptance.yaml").string(),
                                        exacheck::registry::instance());
  const auto system = exacheck::load_system((source_dir / "configs/systems/h100-sxm.yaml").string());
  const exacheck::synthetic_fleet fleet(3, 4, 1, 1);
  const fs::path dir =
      fs::temp_directory_path() / ("exacheck-unit-report-filter-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto run =
      exacheck::simulate_run(plan, system, fleet, {"test_report_filter"}, (dir / "sim").string());
  const std::string path = (dir / "run.json").string();
  exacheck::write_json_atomically(path, run);
  expect_same_reports(path);
  fs::remove_all(dir);
}

}  // namespace
