// Collectives as independent copies on groups of the launch's ranks (`groups: per_node | node_pairs`),
// through `exacheck run` with real mpirun ranks on this one machine. Every rank here is on one host, so the
// test gives the ranks host names of their own with the test-only EXACHECK_TEST_HOST_NAMES
// (harness/node/rank_groups.hpp): the ranks split, run and report exactly as ranks on those hosts would. A
// real cluster runs the same in tests/scripts/test_cluster_groups.sh.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "../support/cli_runner.hpp"

namespace {

using exacheck::testing::fresh_temp_dir;
using exacheck::testing::read_json;
using exacheck::testing::run_cli;
using exacheck::testing::write_text;
using nlohmann::json;

class collective_groups_mpi : public ::testing::Test {
 protected:
  void TearDown() override { ::unsetenv("EXACHECK_TEST_HOST_NAMES"); }

  // Runs one allreduce case of 4 ranks with `groups` on ranks named `hosts` and returns run.json.
  json run_case(const std::string& name, const std::string& groups, const std::string& hosts,
                int* exit_code = nullptr) {
    ::setenv("EXACHECK_TEST_HOST_NAMES", hosts.c_str(), 1);
    const auto dir = fresh_temp_dir(name);
    write_text(dir / "plan.yaml",
               "schema: exacheck/plan/v1\nname: groups\n"
               "defaults: {backend: cpu, launcher: mpirun, timeout: 2m,\n"
               "  measure: {warmup_iterations: 1, min_iterations: 3, max_iterations: 20, min_time: 10ms,\n"
               "            max_time: 200ms, target_cv: 0.5}}\n"
               "cases:\n  - name: ar\n    benchmark: allreduce\n    ranks: 4\n"
               "    params: {bytes: [1KiB, 64KiB], dtype: fp32, groups: " +
                   groups + "}\n");
    const auto result =
        run_cli({"run", (dir / "plan.yaml").string(), "-o", (dir / "run").string()}, dir / "output.txt");
    if (exit_code) *exit_code = result.exit_code;
    return read_json(dir / "run" / "run.json");
  }
};

TEST_F(collective_groups_mpi, per_node_runs_one_copy_per_host_each_over_its_own_ranks) {
  const json run = run_case("per-node", "per_node", "nodeA,nodeA,nodeB,nodeB");
  const json& c = run["cases"][0];
  ASSERT_EQ(c["status"], "completed") << c["message"];
  ASSERT_EQ(c["results"].size(), 4u);  // 2 sizes × 2 nodes
  std::set<std::string> groups;
  for (const auto& point : c["results"]) {
    groups.insert(point["params"]["group"].get<std::string>());
    ASSERT_EQ(point["ranks"].size(), 2u) << point.dump();
    const std::string host = point["group"]["hosts"][0];
    for (const auto& rank : point["ranks"]) EXPECT_EQ(rank["host"], host);
    // busbw over the group's 2 ranks: factor 2(n−1)/n = 1, so busbw equals algbw.
    EXPECT_DOUBLE_EQ(point["ranks"][0]["values"]["busbw"].get<double>(),
                     point["ranks"][0]["values"]["algbw"].get<double>());
  }
  EXPECT_EQ(groups, (std::set<std::string>{"nodeA", "nodeB"}));
  for (const auto& check : c["checks"]) {
    if (check["metric"] == "correctness") {
      EXPECT_EQ(check["outcome"], "PASS") << check.dump();
    }
  }
  ASSERT_TRUE(run["analysis"].contains("groups"));
  EXPECT_EQ(run["analysis"]["groups"][0]["groups"].size(), 2u);
}

TEST_F(collective_groups_mpi, node_pairs_of_four_hosts_run_two_rounds_of_two_pairs) {
  const json run = run_case("pairs", "node_pairs", "n1,n2,n3,n4");
  const json& c = run["cases"][0];
  ASSERT_EQ(c["status"], "completed") << c["message"];
  std::set<std::pair<int, std::string>> pairs;
  for (const auto& point : c["results"]) {
    pairs.insert({point["group"]["round"].get<int>(), point["params"]["group"].get<std::string>()});
    EXPECT_EQ(point["ranks"].size(), 2u);
  }
  EXPECT_EQ(pairs,
            (std::set<std::pair<int, std::string>>{{1, "n1+n2"}, {1, "n3+n4"}, {2, "n2+n3"}, {2, "n1+n4"}}));
}

TEST_F(collective_groups_mpi, node_pairs_of_three_hosts_record_who_sat_each_round_out) {
  const json run = run_case("pairs-odd", "node_pairs", "n1,n2,n3,n3");
  const json& c = run["cases"][0];
  ASSERT_EQ(c["status"], "completed") << c["message"];
  for (const auto& point : c["results"]) {
    const json& group = point["group"];
    EXPECT_EQ(group["sitting_out"], group["round"] == 1 ? json::array({"n3"}) : json::array({"n1"}))
        << group.dump();
  }
}

TEST_F(collective_groups_mpi, node_pairs_on_one_host_is_an_error_naming_the_host) {
  int exit_code = 0;
  const json run = run_case("pairs-one-host", "node_pairs", "solo,solo,solo,solo", &exit_code);
  const json& c = run["cases"][0];
  EXPECT_EQ(c["status"], "error");
  // Every rank stops with the reason, which the case's message gives (the ranks' own words, with their host).
  const std::string message = c["message"].get<std::string>();
  EXPECT_NE(
      message.find("groups: node_pairs needs ranks on at least 2 nodes; all 4 ranks ran on one host (solo)"),
      std::string::npos)
      << message;
  EXPECT_EQ(exit_code, 3);
}

}  // namespace
