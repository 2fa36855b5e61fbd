// Device verdicts (run.json analysis.device_verdicts, docs/run-json.md "Device verdicts"): one verdict per
// GPU and per node with its reasons, worst first; every failing check attributed to the devices that fail it
// on their own, or listed as tied to none; a node slow only because of one GPU names that GPU, not the node's
// healthy GPUs; expected devices that never reported are MISSING.
#include <gtest/gtest.h>

#include <optional>
#include <set>

#include "../support/rank_records.hpp"
#include "harness/results/verdicts.hpp"
#include "reports/analysis/aggregate.hpp"

namespace {

using nlohmann::json;
namespace reports = exacheck::reports;

// One GPU per rank: `values[i]` on node (1 + i / per_node), GPU i % per_node; nullopt: reported as null.
json ranks_of(const std::vector<std::optional<double>>& values, int per_node,
              const std::string& metric = "tflops", const std::string& unit = "TFLOP/s") {
  json ranks = json::array();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string host = "node" + std::to_string(1 + i / per_node);
    const int gpu = static_cast<int>(i % per_node);
    ranks.push_back({{"rank", i},
                     {"host", host},
                     {"local_rank", gpu},
                     {"device",
                      {{"kind", "gpu"},
                       {"index", gpu},
                       {"name", "NVIDIA H100 80GB HBM3"},
                       {"uuid", "GPU-" + host + "-" + std::to_string(gpu)},
                       {"serial", "S" + std::to_string(i)}}},
                     {"metrics",
                      {{{"name", metric},
                        {"value", values[i] ? json(*values[i]) : json(nullptr)},
                        {"unit", unit},
                        {"statistic", "median"},
                        {"better", "higher"}}}}});
  }
  return ranks;
}

// A gemm case of one rank-scoped point; its tflops check as harness/verdicts writes it (worst rank only).
json gemm_case(const std::vector<std::optional<double>>& values, int per_node, const std::string& outcome,
               const json& reference = nullptr) {
  const json params = {{"dtype", "bf16"}};
  json check = {{"metric", "tflops"},
                {"params", params},
                {"value", 1.0},
                {"unit", "TFLOP/s"},
                {"aggregation", "worst rank"},
                {"reference", reference},
                {"outcome", outcome},
                {"reason", "the worst rank's reason"}};
  return {{"id", "gemm-00000001"},
          {"name", "gemm"},
          {"benchmark", "gemm"},
          {"ranks", values.size()},
          {"status", "completed"},
          {"outcome", outcome},
          {"results", {exacheck::testing::rank_point(params, "rank", ranks_of(values, per_node))}},
          {"checks", {check}}};
}

json run_of(std::vector<json> cases, json provenance = json::object()) {
  return {{"schema", "exacheck/run/v2"}, {"verdict", "PASS"},        {"exit_code", 0},
          {"interrupted", false},        {"complete", true},         {"provenance", std::move(provenance)},
          {"timing", json::object()},    {"cases", std::move(cases)}};
}

json analysed(json run, const reports::outlier_rules& rules = {}) {
  reports::analyse_run(run, rules);
  return run;
}

const json& verdicts_of(const json& run) {
  return run.at("analysis").at("device_verdicts");
}

// The GPU entry of device_verdicts for host and index.
const json& gpu(const json& run, const std::string& host, int index) {
  for (const auto& g : verdicts_of(run).at("gpus"))
    if (g.at("host") == host && g.at("gpu") == index) return g;
  static const json none;
  ADD_FAILURE() << "no GPU " << host << " " << index;
  return none;
}

const json& node(const json& run, const std::string& host) {
  for (const auto& n : verdicts_of(run).at("nodes"))
    if (n.at("host") == host) return n;
  static const json none;
  ADD_FAILURE() << "no node " << host;
  return none;
}

// device_verdicts.attention as "host GPU i" / "host (node)", in order: worst verdict, then farthest off.
std::vector<std::string> attention(const json& run) {
  std::vector<std::string> names;
  const json& v = verdicts_of(run);
  for (const auto& entry : v.at("attention")) {
    if (entry.contains("gpu")) {
      const json& g = v.at("gpus").at(entry.at("gpu").get<std::size_t>());
      names.push_back(g.at("host").get<std::string>() + " GPU " + g.at("gpu").dump());
    } else {
      names.push_back(v.at("nodes").at(entry.at("node").get<std::size_t>()).at("host").get<std::string>() +
                      " (node)");
    }
  }
  return names;
}

const json reference_90 = {
    {"value", 90}, {"unit", "TFLOP/s"}, {"lower_bound", 85.5}, {"upper_bound", nullptr}};

TEST(device_verdicts, three_gpus_below_the_reference_are_three_fail_gpus_not_one_worst_rank) {
  // The check names only its worst rank (80); each GPU is judged on its own: 80, 82 and 84 < 85.5.
  const json run =
      analysed(run_of({gemm_case({100, 80, 100, 100, 84, 100, 100, 82}, 4, "FAIL", reference_90)}));
  EXPECT_EQ(attention(run), (std::vector<std::string>{"node1 GPU 1", "node2 GPU 3", "node2 GPU 0"}));
  const json& worst = gpu(run, "node1", 1);
  EXPECT_EQ(worst["verdict"], "FAIL");
  EXPECT_EQ(worst["failing_checks"], 1);
  EXPECT_EQ(worst["uuid"], "GPU-node1-1");
  const json& reason = worst["reasons"][0];
  EXPECT_EQ(reason["kind"], "reference");
  EXPECT_EQ(reason["metric"], "tflops");
  EXPECT_EQ(reason["rank"], 1);
  EXPECT_EQ(reason["value"], 80);
  EXPECT_EQ(reason["reason"], "80 TFLOP/s < 85.5 TFLOP/s, the lower bound of reference 90 TFLOP/s");
  EXPECT_EQ(gpu(run, "node1", 0)["verdict"], "PASS");
  EXPECT_EQ(node(run, "node1")["verdict"], "FAIL");
  EXPECT_TRUE(node(run, "node1")["reasons"].empty());  // its GPU's, not its own
  // The check itself names all three, worst first.
  const json& check = run["cases"][0]["checks"][0];
  EXPECT_EQ(check["device_count"], 3);
  ASSERT_EQ(check["devices"].size(), 3u);
  EXPECT_EQ(check["devices"][0]["host"], "node1");
  EXPECT_EQ(check["devices"][0]["gpu"], 1);
  EXPECT_EQ(check["devices"][2]["value"], 84);
  EXPECT_EQ(verdicts_of(run)["summary"]["gpus_needing_attention"], 3);
  EXPECT_EQ(verdicts_of(run)["summary"]["not_tied"], 0);
}

TEST(device_verdicts, a_gpu_without_a_valid_value_fails_and_comes_first) {
  const json run = analysed(
      run_of({gemm_case({100, 84, std::nullopt, 100, 100, 100, 100, 100}, 4, "FAIL", reference_90)}));
  EXPECT_EQ(attention(run), (std::vector<std::string>{"node1 GPU 2", "node1 GPU 1"}));
  EXPECT_EQ(gpu(run, "node1", 2)["reasons"][0]["kind"], "invalid");
  EXPECT_EQ(gpu(run, "node1", 2)["reasons"][0]["reason"],
            "rank 2 measured tflops = no number: a zero or non-finite result never passes");
}

TEST(device_verdicts, a_passing_check_fails_no_device) {
  // The harness judged every rank within bounds: nothing is re-judged, whatever the values.
  const json run = analysed(run_of({gemm_case({100, 80, 100, 100}, 4, "PASS", reference_90)}));
  EXPECT_TRUE(attention(run).empty());
  EXPECT_EQ(gpu(run, "node1", 1)["verdict"], "PASS");
  EXPECT_FALSE(run["cases"][0]["checks"][0].contains("devices"));
}

TEST(device_verdicts, a_node_slow_because_of_one_gpu_names_that_gpu_and_its_neighbours_pass) {
  // 8 nodes × 4 GPUs around 100, node3 GPU 2 at 75: a GPU outlier, and node3's mean (93.75) a node outlier.
  std::vector<std::optional<double>> values;
  for (int i = 0; i < 32; ++i) values.push_back(i % 2 ? 100.5 : 99.5);
  values[10] = 75;
  const json run = analysed(run_of({gemm_case(values, 4, "PASS")}));
  int node_checks = 0;
  for (const auto& check : run["cases"][0]["checks"])
    if (check.value("level", "") == "node") {
      ++node_checks;
      EXPECT_EQ(check["devices"][0]["gpu"], 2) << "the node's check is its slow GPU's";
    }
  ASSERT_EQ(node_checks, 1);
  EXPECT_EQ(attention(run), std::vector<std::string>{"node3 GPU 2"});
  const json& slow = gpu(run, "node3", 2);
  EXPECT_EQ(slow["verdict"], "OUTLIER");
  EXPECT_EQ(slow["failing_checks"], 2);
  EXPECT_EQ(slow["reasons"][0]["kind"], "outlier");
  EXPECT_EQ(slow["reasons"][1]["kind"], "node_outlier");
  for (const int healthy : {0, 1, 3}) EXPECT_EQ(gpu(run, "node3", healthy)["verdict"], "PASS") << healthy;
  EXPECT_EQ(node(run, "node3")["verdict"], "OUTLIER");
  EXPECT_EQ(node(run, "node3")["gpus_needing_attention"], 1);
  EXPECT_TRUE(node(run, "node3")["reasons"].empty());
  EXPECT_EQ(verdicts_of(run)["summary"]["nodes_listed"], 0);
}

TEST(device_verdicts, a_node_slow_on_every_gpu_has_a_row_of_its_own) {
  // GPUs spread ±4 (robust scale 2.97): node5's GPUs at 93% are no GPU outlier (z ≥ −3.6), its mean is.
  std::vector<std::optional<double>> values;
  for (int node = 0; node < 8; ++node)
    for (const double v : {100.0, 104.0, 96.0, 100.0}) values.push_back(node == 4 ? v * 0.93 : v);
  const json run = analysed(run_of({gemm_case(values, 4, "PASS")}));
  EXPECT_EQ(attention(run), std::vector<std::string>{"node5 (node)"});
  const json& slow = node(run, "node5");
  EXPECT_EQ(slow["verdict"], "OUTLIER");
  EXPECT_EQ(slow["failing_checks"], 1);
  EXPECT_EQ(slow["reasons"][0]["kind"], "node_outlier");
  for (int g = 0; g < 4; ++g) EXPECT_EQ(gpu(run, "node5", g)["verdict"], "PASS");
  EXPECT_EQ(verdicts_of(run)["summary"]["nodes_listed"], 1);
}

TEST(device_verdicts, a_wrong_answer_makes_its_gpu_incorrect_worst_of_all) {
  json c = gemm_case({100, 100, 80, 100}, 4, "FAIL", reference_90);
  json correctness =
      exacheck::make_check("correctness", c["checks"][0]["params"], exacheck::outcome::incorrect,
                           "rank 2 on node1: C[3,4] off by 1e-2");
  correctness["failed_ranks"] = {exacheck::failed_rank(c["results"][0]["ranks"][2], "C[3,4] off by 1e-2")};
  c["checks"].insert(c["checks"].begin(), correctness);
  const json run = analysed(run_of({c}));
  const json& wrong = gpu(run, "node1", 2);
  EXPECT_EQ(wrong["verdict"], "INCORRECT");
  EXPECT_EQ(wrong["failing_checks"], 2);
  EXPECT_EQ(wrong["reasons"][0]["kind"], "correctness");
  EXPECT_EQ(wrong["reasons"][0]["reason"], "C[3,4] off by 1e-2");
  EXPECT_EQ(wrong["reasons"][1]["kind"], "reference");
  EXPECT_EQ(run["cases"][0]["checks"][0]["device_count"], 1);
}

TEST(device_verdicts, a_ranks_error_is_its_gpus_even_one_no_point_measured) {
  json c = gemm_case({100, 100, 100, 100}, 4, "PASS");
  json error =
      exacheck::make_check("run", c["params"], exacheck::outcome::error, "rank 4 on node2: cudaMalloc");
  error["failed_ranks"] = {{{"rank", 4},
                            {"host", "node2"},
                            {"kind", "gpu"},
                            {"gpu", 0},
                            {"uuid", "GPU-x"},
                            {"reason", "cudaMalloc: out of memory"}},
                           {{"rank", 1},
                            {"host", "node1"},
                            {"kind", "gpu"},
                            {"gpu", 1},
                            {"uuid", "GPU-node1-1"},
                            {"reason", "NCCL timeout"}}};
  c["checks"].push_back(error);
  const json run = analysed(run_of({c}));
  EXPECT_EQ(attention(run), (std::vector<std::string>{"node1 GPU 1", "node2 GPU 0"}));
  EXPECT_EQ(gpu(run, "node1", 1)["verdict"], "ERROR");
  EXPECT_EQ(gpu(run, "node1", 1)["reasons"][0]["reason"], "NCCL timeout");
  EXPECT_EQ(gpu(run, "node2", 0)["uuid"], "GPU-x");
  EXPECT_TRUE(gpu(run, "node2", 0)["device"].is_null());  // no point measured it
  EXPECT_EQ(verdicts_of(run)["summary"]["not_tied"], 0);
}

TEST(device_verdicts, a_collectives_failure_is_tied_to_no_device_and_names_the_slowest_rank) {
  json ranks = ranks_of({3.2, 3.2}, 1, "busbw", "GB/s");
  for (auto& r : ranks) r["slowest_rank"] = {{"rank", 1}, {"host", "node2"}, {"ratio", 1.25}};
  const json params = {{"bytes", 1048576}};
  json busbw = exacheck::make_check("busbw", params, exacheck::outcome::fail, "3.2 GB/s < 9 GB/s");
  busbw["aggregation"] = "global (reduced across ranks)";
  busbw["value"] = 3.2;
  busbw["unit"] = "GB/s";
  const json c = {
      {"id", "allreduce-1"},
      {"name", "allreduce"},
      {"benchmark", "allreduce"},
      {"ranks", 2},
      {"results", {exacheck::testing::rank_point(params, "global", ranks)}},
      {"checks", {busbw, exacheck::make_check("run", params, exacheck::outcome::timeout, "ran past")}}};
  const json run = analysed(run_of({c}));
  EXPECT_TRUE(attention(run).empty());
  const json& untied = verdicts_of(run)["not_tied"];
  ASSERT_EQ(untied.size(), 2u);
  EXPECT_EQ(untied[0]["kind"], "global");
  EXPECT_EQ(untied[0]["slowest_rank"]["host"], "node2");
  EXPECT_EQ(untied[1]["kind"], "run");
  EXPECT_EQ(run["cases"][0]["checks"][0]["device_count"], 0);
  EXPECT_EQ(run["cases"][0]["checks"][0]["slowest_rank"]["rank"], 1);
  // The collective's ranks reported: their GPUs are the run's, and pass.
  EXPECT_EQ(verdicts_of(run)["summary"]["gpus"], 2);
  EXPECT_EQ(gpu(run, "node2", 0)["verdict"], "PASS");
}

TEST(device_verdicts, fewer_ranks_than_launched_is_tied_to_no_device) {
  json c = gemm_case({100, 100, 100}, 4, "FAIL", reference_90);
  c["ranks"] = 4;
  c["checks"][0]["reason"] = "only 3 of 4 ranks reported tflops";
  const json run = analysed(run_of({c}));
  EXPECT_TRUE(attention(run).empty());
  ASSERT_EQ(verdicts_of(run)["not_tied"].size(), 1u);
  EXPECT_EQ(verdicts_of(run)["not_tied"][0]["reason"], "only 3 of 4 ranks reported tflops");
}

TEST(device_verdicts, expected_devices_that_never_reported_are_missing_and_the_run_is_not_a_pass) {
  // node1 reports GPUs 0, 1, 3 of 4; node3 never reports.
  json c = gemm_case({100, 100, 100, 100}, 4, "PASS");
  c["results"][0]["ranks"][2]["host"] = "node2";
  const json provenance = {{"expected_hosts", {"node1", "node2", "node3"}}, {"expected_gpus_per_host", 4}};
  const json run = analysed(run_of({c}, provenance));
  EXPECT_EQ(attention(run), (std::vector<std::string>{"node1 GPU 2", "node2 GPU 0", "node2 GPU 1",
                                                      "node2 GPU 3", "node3 (node)"}));
  EXPECT_EQ(gpu(run, "node1", 2)["verdict"], "MISSING");
  EXPECT_EQ(node(run, "node3")["verdict"], "MISSING");
  EXPECT_EQ(gpu(run, "node3", 3)["verdict"], "MISSING");  // listed, but under its node's row
  EXPECT_EQ(verdicts_of(run)["summary"]["missing"], json({{"gpus", 8}, {"nodes", 1}}));
  EXPECT_EQ(verdicts_of(run)["expected"], json({{"hosts", 3}, {"gpus_per_host", 4}}));
  EXPECT_EQ(run["verdict"], "INCOMPLETE");
  EXPECT_EQ(run["exit_code"], 3);
  // Without a list of what to expect, nothing is missing.
  const json unlisted = analysed(run_of({c}));
  EXPECT_TRUE(attention(unlisted).empty());
  EXPECT_EQ(unlisted["verdict"], "PASS");
  EXPECT_TRUE(verdicts_of(unlisted)["expected"].is_null());
}

TEST(device_verdicts, a_node_scoped_value_below_the_reference_is_the_nodes) {
  // copybw p2p: every rank of a node reports what local rank 0 measured.
  json c = gemm_case({50, 50, 100, 100}, 2, "FAIL", reference_90);
  c["results"][0]["scope"] = "node";
  const json run = analysed(run_of({c}));
  EXPECT_EQ(attention(run), std::vector<std::string>{"node1 (node)"});
  EXPECT_EQ(node(run, "node1")["reasons"][0]["kind"], "reference");
  EXPECT_EQ(gpu(run, "node1", 0)["verdict"], "PASS");
  EXPECT_EQ(run["cases"][0]["checks"][0]["devices"][0]["gpu"], nullptr);
}

TEST(device_verdicts, a_spread_goes_to_its_gpu_only_when_that_gpu_fails_too) {
  const reports::outlier_rules rules{.spread = {{"gemm", "tflops", 5}}};
  // Spread 7.1%, z(93) = −3.19: no GPU outlier, so the spread is the fleet's.
  const json spread_only = analysed(run_of({gemm_case({100, 93, 100, 100}, 4, "PASS")}), rules);
  EXPECT_TRUE(attention(spread_only).empty());
  ASSERT_EQ(verdicts_of(spread_only)["not_tied"].size(), 1u);
  EXPECT_EQ(verdicts_of(spread_only)["not_tied"][0]["kind"], "spread");
  // The same GPU below the reference as well: both are its.
  const json both = analysed(run_of({gemm_case({100, 84, 100, 100}, 4, "FAIL", reference_90)}), rules);
  EXPECT_EQ(attention(both), std::vector<std::string>{"node1 GPU 1"});
  EXPECT_EQ(gpu(both, "node1", 1)["failing_checks"], 2);
  EXPECT_TRUE(verdicts_of(both)["not_tied"].empty());
}

TEST(device_verdicts, analysing_again_gives_the_same_verdicts_and_annotations) {
  std::vector<std::optional<double>> values;
  for (int i = 0; i < 32; ++i) values.push_back(i % 2 ? 100.5 : 99.5);
  values[10] = 75;
  values[20] = 80;
  const json once = analysed(run_of({gemm_case(values, 4, "FAIL", reference_90)}));
  EXPECT_EQ(analysed(once), once);
  // Relaxed rules drop the outliers and what they said of the devices; the reference failures stay.
  const json relaxed = analysed(once, {.z_threshold = 1000});
  EXPECT_EQ(attention(relaxed), (std::vector<std::string>{"node3 GPU 2", "node6 GPU 0"}));
  EXPECT_EQ(gpu(relaxed, "node3", 2)["failing_checks"], 1);
}

}  // namespace

namespace {

// A stored rank record (run.json v3) names its device by position, which the record alone cannot resolve:
// the failed rank is still named by rank and host, with no device, and nothing throws.
TEST(device_verdicts, a_failed_rank_whose_device_is_a_position_is_named_without_a_device) {
  const nlohmann::json rank = {{"rank", 3}, {"host", "node002"}, {"local_rank", 1}, {"device", 7}};
  const auto failed = exacheck::failed_rank(rank, "wrong answer");
  EXPECT_EQ(failed["rank"], 3);
  EXPECT_EQ(failed["host"], "node002");
  EXPECT_TRUE(failed["kind"].is_null());
  EXPECT_EQ(failed["gpu"], 1);  // the local rank, as for a cpu rank
  EXPECT_EQ(failed["reason"], "wrong answer");
}

}  // namespace
