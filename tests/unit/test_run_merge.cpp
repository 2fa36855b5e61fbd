// Runs of one plan on different nodes merged into one run document (harness/results/run_merge.hpp): ranks
// pooled per point and numbered on, each run's collective a per-node group, checks the worst of the runs',
// the newest run of a node wins, other plans refused, and never more complete than the least complete run.
#include <gtest/gtest.h>

#include <stdexcept>

#include "harness/results/run_merge.hpp"
#include "reports/analysis/aggregate.hpp"

namespace {

using exacheck::merge_input;
using exacheck::merge_options;
using exacheck::merge_runs;
using nlohmann::json;

// One run of plan `plan_sha` on one host with 2 GPUs: a rank-scoped gemm point (tflops per GPU) with its
// reference check, and an all-reduce point (scope global).
json one_node_run(const std::string& host, double tflops, const std::string& started = "2026-12-04T02:00:00Z",
                  const std::string& plan_sha = "aaaa", const std::string& outcome = "PASS") {
  json devices = json::array(), ranks = json::array(), collective_ranks = json::array();
  for (int gpu = 0; gpu < 2; ++gpu) {
    devices.push_back({{"kind", "gpu"},
                       {"name", "H100"},
                       {"index", gpu},
                       {"uuid", "GPU-" + host + "-" + std::to_string(gpu)}});
    ranks.push_back({{"rank", gpu},
                     {"host", host},
                     {"local_rank", gpu},
                     {"device", gpu},
                     {"values", {{"tflops", tflops + gpu}}}});
    collective_ranks.push_back({{"rank", gpu},
                                {"host", host},
                                {"local_rank", gpu},
                                {"device", gpu},
                                {"values", {{"busbw", 100.0}}}});
  }
  const json gemm_params = {{"dtype", "bf16"}};
  const json reduce_params = {{"bytes", 1024}, {"dtype", "fp32"}};
  return {{"schema", "exacheck/run/v3"},
          {"plan", {{"name", "nightly"}, {"sha256", plan_sha}}},
          {"system", {{"name", "h100-sxm"}}},
          {"provenance",
           {{"hosts", {host}},
            {"started_at", started},
            {"finished_at", started},
            {"expected_hosts", {host}},
            {"slurm", {{"job_id", "7" + host.substr(4)}}}}},
          {"complete", true},
          {"interrupted", false},
          {"devices", devices},
          {"cases",
           {{{"id", "gemm-1"},
             {"name", "gemm"},
             {"benchmark", "gemm"},
             {"ranks", 2},
             {"status", "completed"},
             {"hosts", {host}},
             {"expected_hosts", {host}},
             {"message", ""},
             {"results",
              {{{"params", gemm_params},
                {"scope", "rank"},
                {"metrics", {{{"name", "tflops"}, {"unit", "TFLOP/s"}, {"better", "higher"}}}},
                {"ranks", ranks}}}},
             {"checks",
              {{{"metric", "tflops"},
                {"params", gemm_params},
                {"aggregation", "worst rank"},
                {"better", "higher"},
                {"value", tflops},
                {"outcome", outcome},
                {"worst_rank", 0},
                {"worst_host", host},
                {"ranks_measured", 2},
                {"ranks_expected", 2},
                {"reference", {{"value", 700}, {"unit", "TFLOP/s"}, {"lower_bound", 665}}}}}}},
            {{"id", "allreduce-1"},
             {"name", "allreduce"},
             {"benchmark", "allreduce"},
             {"ranks", 2},
             {"status", "completed"},
             {"hosts", {host}},
             {"message", ""},
             {"results",
              {{{"params", reduce_params},
                {"scope", "global"},
                {"metrics", {{{"name", "busbw"}, {"unit", "GB/s"}, {"better", "higher"}}}},
                {"ranks", collective_ranks}}}},
             {"checks",
              {{{"metric", "busbw"},
                {"params", reduce_params},
                {"aggregation", "global"},
                {"value", 100.0},
                {"outcome", "RECORDED"},
                {"ranks_measured", 2},
                {"ranks_expected", 2}}}}}}}};
}

const json& case_of(const json& run, const std::string& id) {
  for (const auto& c : run["cases"])
    if (c["id"] == id) return c;
  throw std::runtime_error("no case " + id);
}

TEST(RunMerge, same_case_of_three_runs_pools_every_rank_numbered_on_with_its_device) {
  const json merged = merge_runs({{"runs/n3", one_node_run("node03", 700)},
                                  {"runs/n1", one_node_run("node01", 710)},
                                  {"runs/n2", one_node_run("node02", 720)}},
                                 {});
  const json& gemm = case_of(merged, "gemm-1");
  ASSERT_EQ(gemm["results"].size(), 1u);
  const json& ranks = gemm["results"][0]["ranks"];
  ASSERT_EQ(ranks.size(), 6u);
  EXPECT_EQ(gemm["ranks"], 6);
  // Runs in host order: node01's ranks 0-1, node02's 2-3, node03's 4-5, each naming its own GPU.
  for (int r = 0; r < 6; ++r) {
    EXPECT_EQ(ranks[r]["rank"], r);
    const std::string host = "node0" + std::to_string(1 + r / 2);
    EXPECT_EQ(ranks[r]["host"], host);
    EXPECT_EQ(merged["devices"][ranks[r]["device"].get<int>()]["uuid"],
              "GPU-" + host + "-" + std::to_string(r % 2));
  }
  EXPECT_EQ(merged["provenance"]["hosts"], json({"node01", "node02", "node03"}));
  ASSERT_EQ(merged["provenance"]["merged"]["runs"].size(), 3u);
  EXPECT_EQ(merged["provenance"]["merged"]["runs"][0]["id"], "n1");
  EXPECT_EQ(merged["provenance"]["merged"]["runs"][0]["slurm_job"], "701");
  EXPECT_EQ(gemm["sources"][2]["id"], "n3");
  EXPECT_EQ(gemm["sources"][2]["first_rank"], 4);
  EXPECT_EQ(merged["verdict"], "PASS");
}

TEST(RunMerge, each_runs_collective_point_becomes_a_per_node_group_with_its_own_checks) {
  const json merged =
      merge_runs({{"a", one_node_run("node01", 700)}, {"b", one_node_run("node02", 700)}}, {});
  const json& reduce = case_of(merged, "allreduce-1");
  ASSERT_EQ(reduce["results"].size(), 2u);
  EXPECT_EQ(reduce["results"][1]["params"]["group"], "node02");
  EXPECT_EQ(reduce["results"][1]["params"]["groups"], "per_node");
  EXPECT_EQ(reduce["results"][1]["group"]["ranks"], json({2, 3}));
  ASSERT_EQ(reduce["checks"].size(), 2u);
  EXPECT_EQ(reduce["checks"][1]["params"]["group"], "node02");
  EXPECT_EQ(reduce["checks"][1]["source"], 1);
}

TEST(RunMerge, a_check_failed_in_one_run_fails_the_merged_check_naming_that_runs_worst_rank) {
  const json merged = merge_runs({{"a", one_node_run("node01", 700)},
                                  {"b", one_node_run("node02", 600, "2026-12-04T02:00:00Z", "aaaa", "FAIL")}},
                                 {});
  const json& check = case_of(merged, "gemm-1")["checks"][0];
  EXPECT_EQ(check["outcome"], "FAIL");
  EXPECT_EQ(check["worst_host"], "node02");
  EXPECT_EQ(check["worst_rank"], 2);  // node02's rank 0, numbered after node01's two
  EXPECT_EQ(check["ranks_measured"], 4);
  EXPECT_EQ(merged["verdict"], "FAIL");
}

TEST(RunMerge, runs_of_another_plan_are_refused_naming_both) {
  try {
    merge_runs({{"runs/a", one_node_run("node01", 700)},
                {"runs/b", one_node_run("node02", 700, "2026-12-04T02:00:00Z", "bbbb")}},
               {});
    FAIL() << "merged runs of two plans";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("different plans"), std::string::npos) << message;
    EXPECT_NE(message.find("runs/a"), std::string::npos) << message;
    EXPECT_NE(message.find("runs/b"), std::string::npos) << message;
    EXPECT_NE(message.find("bbbb"), std::string::npos) << message;
  }
}

TEST(RunMerge, the_newest_run_of_a_node_wins_and_the_older_is_listed_as_superseded) {
  const json merged = merge_runs({{"old", one_node_run("node01", 500, "2026-12-03T02:00:00Z")},
                                  {"new", one_node_run("node01", 710, "2026-12-04T02:00:00Z")},
                                  {"other", one_node_run("node02", 700)}},
                                 {});
  const json& gemm = case_of(merged, "gemm-1");
  EXPECT_EQ(gemm["results"][0]["ranks"].size(), 4u);  // node01 once, node02
  EXPECT_EQ(gemm["checks"][0]["value"], 700);         // the old 500 is not merged
  const json& runs = merged["provenance"]["merged"]["runs"];
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[2]["id"], "old");
  EXPECT_EQ(runs[2]["superseded_by"], "new");
  EXPECT_TRUE(runs[0]["superseded_by"].is_null());
}

TEST(RunMerge, a_run_sharing_only_some_nodes_with_a_newer_run_is_refused) {
  json two_nodes = one_node_run("node01", 700, "2026-12-03T02:00:00Z");
  two_nodes["provenance"]["hosts"] = {"node01", "node02"};
  EXPECT_THROW(merge_runs({{"both", two_nodes}, {"one", one_node_run("node02", 700)}}, {}),
               std::invalid_argument);
}

TEST(RunMerge, an_unfinished_run_keeps_the_merged_run_incomplete_with_its_case_unfinished) {
  json interrupted = one_node_run("node02", 700);
  interrupted["complete"] = false;
  interrupted["cases"][1]["status"] = "pending";
  const json merged = merge_runs({{"a", one_node_run("node01", 700)}, {"b", interrupted}}, {});
  EXPECT_EQ(merged["complete"], false);
  EXPECT_EQ(case_of(merged, "allreduce-1")["status"], "pending");
  EXPECT_EQ(merged["verdict"], "INCOMPLETE");
  EXPECT_EQ(merged["exit_code"], 3);
  // An incomplete run whose cases all ended is still not complete: the merge is never better than its worst.
  json unsaved = one_node_run("node02", 700);
  unsaved["complete"] = false;
  EXPECT_EQ(merge_runs({{"a", one_node_run("node01", 700)}, {"b", unsaved}}, {})["verdict"], "INCOMPLETE");
}

TEST(RunMerge, an_expected_node_without_a_run_is_missing_in_the_analysis) {
  merge_options options;
  options.expected_hosts = {"node01", "node02", "node03"};
  options.expected_from = "--expected-nodes node[01-03]";
  json merged = merge_runs({{"a", one_node_run("node01", 700)}, {"b", one_node_run("node02", 700)}}, options);
  EXPECT_EQ(merged["provenance"]["merged"]["without_run"], json({"node03"}));
  exacheck::reports::analyse_run(merged, {});
  bool missing = false;
  for (const auto& node : merged["analysis"]["device_verdicts"]["nodes"])
    if (node["host"] == "node03") missing = node["verdict"] == "MISSING";
  EXPECT_TRUE(missing);
  EXPECT_EQ(merged["verdict"], "INCOMPLETE");
}

TEST(RunMerge, a_node_a_run_expected_stays_missing_when_the_expected_nodes_forget_it) {
  // Run b's launch spanned node09, which sent nothing; the operator's --expected-nodes names node01-02 only.
  json b = one_node_run("node02", 700);
  b["provenance"]["expected_hosts"] = {"node02", "node09"};
  merge_options options;
  options.expected_hosts = {"node01", "node02"};
  options.expected_from = "--expected-nodes node[01-02]";
  json merged = merge_runs({{"a", one_node_run("node01", 700)}, {"b", b}}, options);
  EXPECT_EQ(merged["provenance"]["expected_hosts"], json({"node01", "node02", "node09"}));
  exacheck::reports::analyse_run(merged, {});
  bool missing = false;
  for (const auto& node : merged["analysis"]["device_verdicts"]["nodes"])
    if (node["host"] == "node09") missing = node["verdict"] == "MISSING";
  EXPECT_TRUE(missing);
  EXPECT_NE(merged["verdict"], "PASS");
}

TEST(RunMerge, a_slow_node_is_a_fleet_outlier_only_once_its_runs_are_merged) {
  std::vector<merge_input> runs;
  for (int n = 1; n <= 6; ++n) {
    const std::string host = "node0" + std::to_string(n);
    runs.push_back({host, one_node_run(host, n == 4 ? 500 : 700)});
  }
  json merged = merge_runs(runs, {});
  exacheck::reports::analyse_run(merged, {});
  std::string slow_node_verdict;
  for (const auto& node : merged["analysis"]["device_verdicts"]["nodes"])
    if (node["host"] == "node04") slow_node_verdict = node["verdict"];
  EXPECT_EQ(slow_node_verdict, "OUTLIER");
}

}  // namespace
