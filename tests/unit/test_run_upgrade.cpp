// upgrade_run_document (harness/results/run_document.hpp): a run.json in schema exacheck/run/v1 (every rank record
// with its `metrics` list and `statistics`) or v2 (each rank record with its device object) read as
// exacheck/run/v3 (the point describes its metrics once, the ranks hold `values`, the run lists each device
// once). tests/golden/run_small_v1.json is tests/golden/run_small.json (v2) as it was before v2.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <set>
#include <sstream>

#include "harness/io/files.hpp"
#include "harness/results/run_document.hpp"
#include "reports/analysis/format.hpp"
#include "reports/render/render.hpp"

namespace {
namespace fs = std::filesystem;
using nlohmann::json;

const fs::path golden_dir = fs::path(EXACHECK_TEST_DATA_DIR) / "golden";

json golden(const char* name) {
  return json::parse(exacheck::read_file((golden_dir / name).string()));
}

TEST(run_upgrade, the_v1_and_v2_goldens_become_the_same_v3_document) {
  json run = golden("run_small_v1.json");
  ASSERT_EQ(run["schema"], "exacheck/run/v1");
  EXPECT_TRUE(exacheck::upgrade_run_document(run));
  EXPECT_EQ(run["schema"], "exacheck/run/v3");
  json v2 = golden("run_small.json");
  ASSERT_EQ(v2["schema"], "exacheck/run/v2");
  EXPECT_TRUE(exacheck::upgrade_run_document(v2));
  EXPECT_TRUE(run == v2) << "the upgrade of run_small_v1.json differs from that of run_small.json";
}

// v3 lists each device once: the ranks of every point name theirs by position, and the device a rank names
// is the one its v2 record held.
TEST(run_upgrade, a_v2_run_lists_each_device_once_and_its_ranks_name_them) {
  const json v2 = golden("run_fleet.json");
  json run = v2;
  ASSERT_TRUE(exacheck::upgrade_run_document(run));
  std::size_t ranks = 0;
  std::set<std::string> distinct;
  for (std::size_t c = 0; c < v2["cases"].size(); ++c)
    for (std::size_t p = 0; p < v2["cases"][c]["results"].size(); ++p)
      for (std::size_t r = 0; r < v2["cases"][c]["results"][p]["ranks"].size(); ++r) {
        const json& before = v2["cases"][c]["results"][p]["ranks"][r];
        const json& after = run["cases"][c]["results"][p]["ranks"][r];
        if (!before.contains("device")) continue;
        ++ranks;
        distinct.insert(before["device"].dump());
        ASSERT_TRUE(after["device"].is_number_integer()) << after;
        EXPECT_EQ(exacheck::rank_device(run, after), before["device"]);
      }
  ASSERT_GT(ranks, distinct.size()) << "the golden must repeat devices for this to prove anything";
  EXPECT_EQ(run["devices"].size(), distinct.size());
  EXPECT_EQ(exacheck::run_document_problem(run), std::nullopt);
  // Storing again (as every save does) changes nothing; a new rank's device object joins the list once.
  json again = run;
  exacheck::store_devices_once(again);
  EXPECT_EQ(again, run);
  json& first = again["cases"][0]["results"][0]["ranks"][0];
  first["device"] = exacheck::rank_device(run, first);
  again["cases"][0]["results"][0]["ranks"].push_back(first);
  again["cases"][0]["results"][0]["ranks"].back()["device"] = {{"kind", "gpu"}, {"uuid", "GPU-new"}};
  exacheck::store_devices_once(again);
  EXPECT_EQ(again["devices"].size(), distinct.size() + 1);
  EXPECT_EQ(again["cases"][0]["results"][0]["ranks"][0]["device"],
            run["cases"][0]["results"][0]["ranks"][0]["device"]);
  EXPECT_EQ(again["cases"][0]["results"][0]["ranks"].back()["device"], distinct.size());
}

TEST(run_upgrade, a_rank_naming_a_device_the_run_does_not_list_is_refused_with_its_place) {
  json run = golden("run_small.json");
  exacheck::upgrade_run_document(run);
  run["cases"][0]["results"][0]["ranks"][1]["device"] = run["devices"].size();
  const auto problem = exacheck::run_document_problem(run);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find(".cases[0].results[0].ranks[1].device is " + std::to_string(run["devices"].size()) +
                          ", which is not a position in .devices"),
            std::string::npos)
      << *problem;
  run["cases"][0]["results"][0]["ranks"][1]["device"] = -1;
  EXPECT_TRUE(exacheck::run_document_problem(run).has_value());
  EXPECT_TRUE(exacheck::rank_device(run, run["cases"][0]["results"][0]["ranks"][1]).is_null());
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

TEST(run_upgrade, a_v3_or_unknown_document_is_left_as_it_is) {
  json v3 = golden("run_small.json");
  ASSERT_TRUE(exacheck::upgrade_run_document(v3));
  const json before = v3;
  EXPECT_FALSE(exacheck::upgrade_run_document(v3));
  EXPECT_EQ(v3, before);
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

namespace {

json legacy_case(const std::string& id, const std::string& benchmark, json case_params, json point_params) {
  return {{"id", id},
          {"benchmark", benchmark},
          {"params", std::move(case_params)},
          {"results", {{{"params", point_params}, {"scope", "rank"}, {"metrics", json::array()}}}},
          {"checks", {{{"metric", "m"}, {"params", point_params}, {"outcome", "PASS"}}}}};
}

// A run.json as exacheck wrote it while derived values were part of a point's params.
json legacy_run(const std::string& schema) {
  const json flops_old = {{"dtype", "fp64"},
                          {"engine", "cpu_simd"},
                          {"inner_iterations", 123456},
                          {"isa", "avx2"},
                          {"threads", 2}};
  const json fixed_old = {
      {"dtype", "fp64"}, {"engine", "cpu_simd"}, {"inner_iterations", 5000}, {"isa", "avx2"}, {"threads", 2}};
  const json allgather_old = {{"bytes", 1048572},
                              {"dtype", "fp32"},
                              {"in_place", false},
                              {"cuda_graph", false},
                              {"requested_bytes", 1048576}};
  const json membw_old = {{"array_bytes", 0}, {"dtype", "fp64"}, {"array_bytes_used", 134217728}};
  json run = {
      {"schema", schema},
      {"cases",
       {legacy_case("flops-1", "flops", {{"dtype", "fp64"}, {"engine", "auto"}, {"inner_iterations", 0}},
                    flops_old),
        legacy_case("flops-2", "flops", {{"dtype", "fp64"}, {"engine", "auto"}, {"inner_iterations", 5000}},
                    fixed_old),
        legacy_case("allgather-1", "allgather", {{"bytes", 1048576}, {"dtype", "fp32"}}, allgather_old),
        legacy_case("membw-1", "membw", {{"array_bytes", 0}, {"dtype", "fp64"}}, membw_old)}},
      {"analysis",
       {{"metrics",
         {{{"case_id", "flops-1"}, {"benchmark", "flops"}, {"params", flops_old}, {"metric", "tflops"}},
          {{"case_id", "membw-1"}, {"benchmark", "membw"}, {"params", membw_old}, {"metric", "copy"}}}},
        {"collectives",
         {{{"case_id", "allgather-1"}, {"benchmark", "allgather"}, {"params", allgather_old}}}}}}};
  return run;
}

}  // namespace

TEST(run_upgrade, derived_values_in_an_older_runs_params_move_to_derived_everywhere_the_point_is_named) {
  for (const std::string schema : {"exacheck/run/v2", "exacheck/run/v1"}) {
    SCOPED_TRACE(schema);
    json run = legacy_run(schema);
    EXPECT_TRUE(exacheck::upgrade_run_document(run));
    const json flops = {{"dtype", "fp64"}, {"engine", "cpu_simd"}, {"inner_iterations", 0}};
    const json fixed = {{"dtype", "fp64"}, {"engine", "cpu_simd"}, {"inner_iterations", 5000}};
    const json allgather = {
        {"bytes", 1048576}, {"dtype", "fp32"}, {"in_place", false}, {"cuda_graph", false}};
    const json membw = {{"array_bytes", 0}, {"dtype", "fp64"}};
    const json expected[] = {flops, fixed, allgather, membw};
    const json derived[] = {{{"inner_iterations", 123456}, {"isa", "avx2"}, {"threads", 2}},
                            {{"inner_iterations", 5000}, {"isa", "avx2"}, {"threads", 2}},
                            {{"bytes", 1048572}},
                            {{"array_bytes_used", 134217728}}};
    for (std::size_t i = 0; i < 4; ++i) {
      const json& c = run["cases"][i];
      EXPECT_EQ(c["results"][0]["params"], expected[i]) << c["id"];
      EXPECT_EQ(c["results"][0]["derived"], derived[i]) << c["id"];
      EXPECT_EQ(c["checks"][0]["params"], expected[i]) << c["id"];
      EXPECT_FALSE(c["checks"][0].contains("derived")) << c["id"];
    }
    EXPECT_EQ(run["analysis"]["metrics"][0]["params"], flops);
    EXPECT_EQ(run["analysis"]["metrics"][1]["params"], membw);
    EXPECT_EQ(run["analysis"]["collectives"][0]["params"], allgather);
    // Today's form is left as it is: upgrading twice changes nothing more.
    const json once = run;
    EXPECT_FALSE(exacheck::upgrade_run_document(run));
    EXPECT_EQ(run, once);
  }
}

TEST(run_upgrade, todays_points_a_skipped_flops_point_and_other_benchmarks_threads_are_left_as_they_are) {
  json run = {
      {"schema", "exacheck/run/v3"},
      {"cases",
       {// A skipped flops point had the plan's values only (no isa, no threads).
        legacy_case("flops-1", "flops", {{"dtype", "int8"}, {"engine", "auto"}, {"inner_iterations", 0}},
                    {{"dtype", "int8"}, {"engine", "cpu_simd"}, {"inner_iterations", 0}}),
        legacy_case("allgather-1", "allgather", {{"bytes", 1048576}, {"dtype", "fp32"}},
                    {{"bytes", 1048576}, {"dtype", "fp32"}}),
        // `threads` is derived for flops only: another benchmark may declare a parameter of that name.
        legacy_case("membw-1", "membw", {{"array_bytes", 1024}, {"threads", 64}},
                    {{"array_bytes", 1024}, {"threads", 64}})}}};
  run["cases"][1]["results"][0]["derived"] = {{"bytes", 1048572}};
  const json before = run;
  EXPECT_FALSE(exacheck::upgrade_run_document(run));
  EXPECT_EQ(run, before);
}
