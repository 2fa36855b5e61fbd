// upgrade_run_document (harness/run_document.hpp): a run.json in schema exacheck/run/v1 (every rank record
// with its `metrics` list and `statistics`) read as exacheck/run/v2 (the point describes its metrics once,
// the ranks hold `values`). tests/golden/run_small_v1.json is tests/golden/run_small.json as it was before
// v2.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "harness/files.hpp"
#include "harness/run_document.hpp"
#include "reports/render.hpp"

namespace {
namespace fs = std::filesystem;
using nlohmann::json;

const fs::path golden_dir = fs::path(EXACHECK_TEST_DATA_DIR) / "golden";

json golden(const char* name) {
  return json::parse(exacheck::read_file((golden_dir / name).string()));
}

TEST(run_upgrade, the_v1_golden_becomes_the_v2_golden) {
  json run = golden("run_small_v1.json");
  ASSERT_EQ(run["schema"], "exacheck/run/v1");
  EXPECT_TRUE(exacheck::upgrade_run_document(run));
  EXPECT_EQ(run["schema"], exacheck::run_schema);
  EXPECT_TRUE(run == golden("run_small.json"))
      << "the upgrade of run_small_v1.json differs from run_small.json";
}

TEST(run_upgrade, a_v1_run_renders_every_report_as_its_v2_form) {
  json upgraded = golden("run_small_v1.json");
  exacheck::upgrade_run_document(upgraded);
  const json v2 = golden("run_small.json");
  using renderer = void (*)(const json&, std::ostream&);
  const std::pair<const char*, renderer> renderers[] = {{"markdown", exacheck::reports::render_markdown},
                                                        {"html", exacheck::reports::render_html},
                                                        {"junit", exacheck::reports::render_junit},
                                                        {"csv", exacheck::reports::render_csv},
                                                        {"prometheus", exacheck::reports::render_prometheus}};
  for (const auto& [name, render] : renderers) {
    std::ostringstream from_v1, from_v2;
    render(upgraded, from_v1);
    render(v2, from_v2);
    EXPECT_FALSE(from_v2.str().empty()) << name;
    EXPECT_TRUE(from_v1.str() == from_v2.str()) << name << " differs between the v1 and the v2 form";
  }
}

TEST(run_upgrade, ranks_lose_metrics_and_statistics_and_the_point_describes_each_metric_once) {
  json run = golden("run_small_v1.json");
  exacheck::upgrade_run_document(run);
  for (const auto& c : run["cases"])
    for (const auto& point : c["results"]) {
      ASSERT_TRUE(point["metrics"].is_array());
      for (const auto& d : point["metrics"]) EXPECT_FALSE(d.contains("value")) << d.dump();
      for (const auto& rank : point["ranks"]) {
        EXPECT_FALSE(rank.contains("metrics"));
        EXPECT_FALSE(rank.contains("statistics"));
        EXPECT_TRUE(rank.contains("samples"));  // the rest of the record stays
        for (const auto& [name, value] : rank["values"].items()) {
          EXPECT_NE(exacheck::metric_descriptor(point, name), nullptr) << name;
          EXPECT_TRUE(value.is_number() || value.is_null()) << name;
        }
      }
    }
}

TEST(run_upgrade, a_null_value_and_a_metric_only_some_ranks_have_are_kept_apart) {
  json run = {{"schema", "exacheck/run/v1"},
              {"cases",
               {{{"results",
                  {{{"params", {{"n", 1}}},
                    {"ranks",
                     {{{"rank", 0},
                       {"metrics", {{{"name", "a"}, {"value", nullptr}, {"unit", "s"}}}},
                       {"statistics", json::object()}},
                      {{"rank", 1},
                       {"metrics",
                        {{{"name", "b"}, {"value", 2.5}, {"better", "lower"}},
                         {{"name", "a"}, {"value", 1}}}}}}}}}}}}}};
  EXPECT_TRUE(exacheck::upgrade_run_document(run));
  const json& point = run["cases"][0]["results"][0];
  // First-seen order; the first rank's descriptor of a metric is the point's; absent members stay absent.
  EXPECT_EQ(point["metrics"], json({{{"name", "a"}, {"unit", "s"}}, {{"name", "b"}, {"better", "lower"}}}));
  EXPECT_EQ(point["ranks"][0]["values"], json({{"a", nullptr}}));
  EXPECT_EQ(point["ranks"][1]["values"], json({{"a", 1}, {"b", 2.5}}));
  EXPECT_FALSE(point["ranks"][0].contains("statistics"));
}

TEST(run_upgrade, a_v2_or_unknown_document_is_left_as_it_is) {
  json v2 = golden("run_small.json");
  const json before = v2;
  EXPECT_FALSE(exacheck::upgrade_run_document(v2));
  EXPECT_EQ(v2, before);
  for (json other : {json{{"schema", "exacheck/run/v9"}, {"cases", {{{"results", {{{"ranks", {1}}}}}}}}},
                     json::array(), json(nullptr), json{{"schema", 1}}}) {
    const json copy = other;
    EXPECT_FALSE(exacheck::upgrade_run_document(other));
    EXPECT_EQ(other, copy);
  }
  // A v1 document missing its parts (hand-made, or filtered) is upgraded without complaint.
  json bare = {{"schema", "exacheck/run/v1"}, {"cases", {{{"results", {{{"params", json::object()}}}}}}}};
  EXPECT_TRUE(exacheck::upgrade_run_document(bare));
  EXPECT_EQ(bare["cases"][0]["results"][0]["metrics"], json::array());
}

}  // namespace
