// A collective that ran as independent copies on groups of its ranks (`groups: per_node | node_pairs`): the
// worker's result accounted for per group, one point per group in run.json with its own checks, the groups
// compared in the analysis, and a slow group named by its hosts in run.json and report.md
// (docs/run-json.md "Groups").
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "harness/core/result.hpp"
#include "harness/io/files.hpp"
#include "harness/node/rank_groups.hpp"
#include "harness/results/result_accounting.hpp"
#include "harness/results/run_document.hpp"
#include "harness/results/run_read.hpp"
#include "harness/results/verdicts.hpp"
#include "reports/analysis/aggregate.hpp"
#include "reports/render/render.hpp"

namespace exacheck {
namespace {

using nlohmann::json;

constexpr int ranks_per_node = 2;
const std::vector<std::string> hosts = {"node01", "node02", "node03", "node04"};

std::vector<std::string> hosts_by_rank() {
  std::vector<std::string> by_rank;
  for (const auto& h : hosts)
    for (int i = 0; i < ranks_per_node; ++i) by_rank.push_back(h);
  return by_rank;
}

// One group's point as every rank of it reports it: busbw `busbw_gbps` (global: the same on each rank).
point_result group_point(const rank_group& group, const std::vector<std::string>& sitting_out,
                         double busbw_gbps, const std::string& kind) {
  point_result p;
  p.scope = metric_scope::global;
  p.params = {{"bytes", 1048576},    {"dtype", "fp32"}, {"in_place", false},
              {"cuda_graph", false}, {"groups", kind},  {"group", group.id}};
  p.metrics.push_back(
      {"time", 1e6 / busbw_gbps, "us", "median of per-iteration max over ranks", better::lower, ""});
  p.metrics.push_back(
      {"busbw", busbw_gbps, "GB/s", "median of per-iteration max over ranks", better::higher, ""});
  p.check = {true, true, "exact", "all exact"};
  p.group = group_record(group, sitting_out);
  return p;
}

// The worker's result file of a grouped allreduce on 4 nodes × 2 ranks, each group's busbw from `busbw_of`.
json case_result(group_kind kind, const std::map<std::string, double>& busbw_of,
                 bool with_skipped_point = false) {
  const auto by_rank = hosts_by_rank();
  const auto rounds = plan_rank_groups(kind, by_rank);
  json records = json::array();
  for (std::size_t r = 0; r < by_rank.size(); ++r) {
    std::vector<point_result> points;
    for (const auto& round : rounds)
      for (const auto& g : round.groups)
        if (std::find(g.ranks.begin(), g.ranks.end(), static_cast<int>(r)) != g.ranks.end()) {
          points.push_back(group_point(g, round.sitting_out, busbw_of.count(g.id) ? busbw_of.at(g.id) : 20.0,
                                       std::string(to_string(kind))));
          if (with_skipped_point) {  // a larger size the backend could not run
            point_result skipped = points.back();
            skipped.params["bytes"] = 2097152;
            skipped.metrics.clear();
            skipped.check = {};
            skipped.skipped_reason = "not on this backend";
            points.push_back(skipped);
          }
        }
    records.push_back({{"rank", r},
                       {"host", by_rank[r]},
                       {"local_rank", static_cast<int>(r) % ranks_per_node},
                       {"backend", "cpu"},
                       {"device", {{"kind", "cpu"}, {"name", "cpu"}}},
                       {"points", points}});
  }
  return {{"schema", "exacheck/case-result/v1"},
          {"case_id", "ar-1"},
          {"token", "t"},
          {"benchmark", "allreduce"},
          {"ranks", 8},
          {"rank_results", records}};
}

// The case as the controller records it, in a run, analysed.
json analysed_run(const json& result, const std::string& kind) {
  json test_case = {{"id", "ar-1"},
                    {"name", "allreduce-" + kind},
                    {"benchmark", "allreduce"},
                    {"params", {{"groups", kind}}},
                    {"ranks", 8},
                    {"status", "completed"},
                    {"timing", {{"launch_s", 1.0}, {"benchmark_s", 2.0}}}};
  test_case["results"] = results_by_point(result);
  test_case["checks"] = evaluate_checks(test_case["results"], "allreduce", nullptr, 8, test_case["params"]);
  test_case["outcome"] = to_string(case_outcome(test_case["checks"]));
  json run = {{"schema", run_schema},         {"verdict", "PASS"},        {"exit_code", 0},
              {"interrupted", false},         {"complete", true},         {"system", nullptr},
              {"provenance", json::object()}, {"timing", json::object()}, {"cases", {test_case}}};
  reports::analyse_run(run, {});
  return run;
}

std::vector<json> outlier_checks(const json& run) {
  std::vector<json> found;
  for (const auto& c : run["cases"][0]["checks"])
    if (c.value("outcome", "") == "OUTLIER") found.push_back(c);
  return found;
}

std::string markdown(const json& run) {
  std::ostringstream out;
  reports::render_markdown(run, out);
  return out.str();
}

const launched_case launched{.case_id = "ar-1", .token = "t", .benchmark = "allreduce", .ranks = 8};

TEST(group_results, per_node_copies_are_one_point_per_node_each_judged_on_its_own_ranks) {
  const json result = case_result(group_kind::per_node, {});
  EXPECT_TRUE(account_for_result(result, launched, nullptr).empty());
  const json points = results_by_point(result);
  ASSERT_EQ(points.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(points[i]["params"]["group"], hosts[i]);
    EXPECT_EQ(points[i]["group"]["hosts"], json::array({hosts[i]}));
    ASSERT_EQ(points[i]["ranks"].size(), 2u);
    EXPECT_EQ(points[i]["ranks"][0]["host"], hosts[i]);
  }
  const json checks = evaluate_checks(points, "allreduce", nullptr, 8, json::object());
  for (const auto& c : checks) EXPECT_EQ(c["ranks_expected"], 2) << c.dump();
}

TEST(group_results, a_slow_node_of_per_node_copies_is_an_outlier_named_by_its_host) {
  const json run =
      analysed_run(case_result(group_kind::per_node,
                               {{"node01", 20.1}, {"node02", 19.9}, {"node03", 8.0}, {"node04", 20.0}}),
                   "per_node");
  const auto outliers = outlier_checks(run);
  ASSERT_EQ(outliers.size(), 1u);
  EXPECT_EQ(outliers[0]["params"]["group"], "node03");
  EXPECT_EQ(outliers[0]["level"], "group");
  EXPECT_NE(outliers[0]["reason"].get<std::string>().find("node node03: busbw 8 GB/s, 60% below"),
            std::string::npos)
      << outliers[0]["reason"];
  const json& entry = run["analysis"]["groups"][0];
  EXPECT_EQ(entry["slowest"]["id"], "node03");
  EXPECT_EQ(entry["groups"].size(), 4u);
  // The node's own verdict says so.
  bool node03_outlier = false;
  for (const auto& n : run["analysis"]["device_verdicts"]["nodes"])
    if (n["host"] == "node03") node03_outlier = n["verdict"] == "OUTLIER";
  EXPECT_TRUE(node03_outlier) << run["analysis"]["device_verdicts"].dump();
  const std::string md = markdown(run);
  EXPECT_NE(md.find("node node03: busbw 8 GB/s"), std::string::npos) << md;
  EXPECT_EQ(run["exit_code"], 1);
}

TEST(group_results, node_pairs_of_a_slow_node_are_the_slow_pairs_and_the_node_in_both_is_named) {
  // node03's link is slow: both pairs it is in (node03+node04 in round 1, node02+node03 in round 2).
  const json result = case_result(
      group_kind::node_pairs,
      {{"node01+node02", 20.2}, {"node03+node04", 5.0}, {"node02+node03", 5.1}, {"node01+node04", 19.8}});
  EXPECT_TRUE(account_for_result(result, launched, nullptr).empty());
  const json run = analysed_run(result, "node_pairs");
  const json& results = run["cases"][0]["results"];
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0]["group"]["round"], 1);
  EXPECT_EQ(results[3]["group"]["round"], 2);
  const auto outliers = outlier_checks(run);
  ASSERT_EQ(outliers.size(), 2u);
  std::set<std::string> slow;
  for (const auto& o : outliers) slow.insert(o["params"]["group"].get<std::string>());
  EXPECT_EQ(slow, (std::set<std::string>{"node02+node03", "node03+node04"}));
  const json& entry = run["analysis"]["groups"][0];
  EXPECT_EQ(entry["kind"], "node_pairs");
  EXPECT_EQ(entry["suspect_hosts"], json::array({"node03"}));
  EXPECT_EQ(entry["slowest"]["id"], "node03+node04");
  const std::string md = markdown(run);
  EXPECT_NE(md.find("node pair node03↔node04: busbw 5 GB/s"), std::string::npos) << md;
  EXPECT_NE(md.find("node03 is in every one of its node pairs that is slow"), std::string::npos) << md;
  // "Node groups": the slow pairs first, by their hosts.
  const auto section = md.find("## Node groups");
  ASSERT_NE(section, std::string::npos) << md;
  EXPECT_LT(md.find("| node03↔node04 | 1 | 5 GB/s | -75.0% | OUTLIER |", section),
            md.find("| node01↔node02 | 1 | 20.2 GB/s", section))
      << md;
  // Every other report names the pair too: the group is part of each point's identity.
  std::ostringstream html, csv, junit, prom;
  reports::render_html(run, html);
  reports::render_csv(run, csv);
  reports::render_junit(run, junit);
  reports::render_prometheus(run, prom);
  EXPECT_NE(html.str().find("<h2>Node groups</h2>"), std::string::npos);
  EXPECT_NE(html.str().find("node03↔node04"), std::string::npos);
  EXPECT_NE(csv.str().find("group=node03+node04"), std::string::npos);
  EXPECT_NE(junit.str().find("type=\"OUTLIER\">node03: node pair node03↔node04"), std::string::npos)
      << junit.str();
  EXPECT_NE(prom.str().find("group=\"node03+node04\",groups=\"node_pairs\""), std::string::npos);
  EXPECT_NE(prom.str().find("exacheck_node_healthy{plan=\"\",host=\"node03\"} 0"), std::string::npos);
}

TEST(group_results, exacheck_report_reading_run_json_filtered_compares_the_groups_alike) {
  // `exacheck report` parses run.json without the ranks' `skipped` (harness/results/run_read.cpp): a skipped
  // larger size must not become the size the groups are compared at.
  const json run = analysed_run(
      case_result(group_kind::node_pairs, {{"node03+node04", 5.0}, {"node02+node03", 5.1}}, true),
      "node_pairs");
  const auto path =
      std::filesystem::temp_directory_path() / ("exacheck-groups-" + std::to_string(::getpid()));
  write_file_atomically(path.string(), json_dump(run));
  json filtered = read_run_for_report(path.string()).run;
  std::filesystem::remove(path);
  reports::analyse_run(filtered, {});
  EXPECT_EQ(filtered["analysis"]["groups"], run["analysis"]["groups"]);
  EXPECT_EQ(run["analysis"]["groups"][0]["params"]["bytes"], 1048576);
  EXPECT_EQ(markdown(filtered), markdown(run));
}

TEST(group_results, a_run_without_groups_has_no_groups_section_anywhere) {
  json result = case_result(group_kind::per_node, {});
  for (auto& record : result["rank_results"])
    for (auto& point : record["points"]) {
      point.erase("group");
      point["params"].erase("group");
      point["params"].erase("groups");
    }
  // Ungrouped, every rank's i-th point is one point: node01's copy stands for all (as a plain run's would).
  const json run = analysed_run(result, "all");
  EXPECT_FALSE(run["analysis"].contains("groups"));
  EXPECT_EQ(markdown(run).find("Node groups"), std::string::npos);
}

TEST(group_results, a_rank_missing_from_its_group_makes_the_case_error_naming_the_group) {
  json result = case_result(group_kind::node_pairs, {});
  // Rank 5 (node03) reports its round-1 group's points but not its round-2 group's.
  auto& points = result["rank_results"][5]["points"];
  points.erase(points.begin() + 1);
  const auto problems = account_for_result(result, launched, nullptr);
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("group node02+node03: rank 5 (of its ranks 2-5) reported none of its points"),
            std::string::npos)
      << problems[0];
}

TEST(group_results, a_point_without_its_group_among_grouped_ones_is_a_problem) {
  json result = case_result(group_kind::per_node, {});
  result["rank_results"][2]["points"][0].erase("group");
  const auto problems = account_for_result(result, launched, nullptr);
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("rank 2: 1 point(s) carry no group"), std::string::npos) << problems[0];
}

}  // namespace
}  // namespace exacheck
