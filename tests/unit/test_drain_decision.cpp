// Which nodes `exacheck drain` takes out and `exacheck resume` gives back (harness/controller/drain.hpp):
// the reason carries the owner tag, the device, the check and the run; a cap drains nothing when exceeded;
// nodes drained by someone else are never touched; only exacheck's own drains that now pass come back.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include "harness/controller/drain.hpp"
#include "harness/core/errors.hpp"

namespace {

using nlohmann::json;
using namespace exacheck;

// A GPU verdict row with one reason of `verdict` (none for PASS).
json gpu(const std::string& host, int index, const std::string& verdict,
         const std::string& metric = "tflops") {
  json reasons = json::array();
  if (verdict != "PASS")
    reasons.push_back(
        {{"verdict", verdict}, {"kind", "reference"}, {"benchmark", "gemm"}, {"metric", metric}});
  return {{"host", host}, {"gpu", index}, {"kind", "gpu"}, {"verdict", verdict}, {"reasons", reasons}};
}

// An analysed run of `hosts` nodes (node01…), each with 2 GPUs; `bad` maps a host to its GPU 1's verdict.
json run_with(int hosts, const std::map<std::string, std::string>& bad, bool complete = true) {
  json gpus = json::array(), nodes = json::array();
  for (int n = 1; n <= hosts; ++n) {
    const std::string host = fmt::format("node{:02}", n);
    const auto found = bad.find(host);
    const std::string verdict = found == bad.end() ? "PASS" : found->second;
    gpus.push_back(gpu(host, 0, "PASS"));
    gpus.push_back(gpu(host, 1, verdict));
    nodes.push_back({{"host", host}, {"verdict", verdict}, {"reasons", json::array()}});
  }
  return {{"complete", complete}, {"analysis", {{"device_verdicts", {{"gpus", gpus}, {"nodes", nodes}}}}}};
}

std::map<std::string, slurm_node_state> all_idle(int hosts) {
  std::map<std::string, slurm_node_state> states;
  for (int n = 1; n <= hosts; ++n) states[fmt::format("node{:02}", n)] = {"idle", ""};
  return states;
}

TEST(DrainDecision, a_failing_gpu_drains_its_node_with_owner_tag_device_check_and_run) {
  const auto states = all_idle(10);
  const drain_plan plan = plan_drain(run_with(10, {{"node03", "FAIL"}}), "nightly-0204", &states, {});
  ASSERT_EQ(plan.drain.size(), 1u);
  EXPECT_EQ(plan.drain[0].host, "node03");
  EXPECT_EQ(plan.drain[0].reason, "exacheck: GPU 1 gemm tflops FAIL run nightly-0204");
  EXPECT_FALSE(plan.cap_exceeded);
  EXPECT_EQ(plan.limit, 1u);  // 10 % of 10 nodes
}

TEST(DrainDecision, a_wrong_answer_is_named_before_a_slow_gpu_and_the_others_are_counted) {
  json run = run_with(10, {{"node02", "FAIL"}});
  run["analysis"]["device_verdicts"]["gpus"][2] = gpu("node02", 0, "INCORRECT", "correctness");
  const drain_plan plan = plan_drain(run, "r", nullptr, {});
  ASSERT_EQ(plan.drain.size(), 1u);
  EXPECT_EQ(plan.drain[0].reason, "exacheck: GPU 0 gemm correctness INCORRECT (+1 more) run r");
}

TEST(DrainDecision, outliers_missing_and_errors_drain_only_when_asked_for) {
  const json run = run_with(10, {{"node04", "OUTLIER"}, {"node05", "MISSING"}, {"node06", "ERROR"}});
  EXPECT_TRUE(plan_drain(run, "r", nullptr, {}).drain.empty());
  drain_policy policy;
  policy.on = parse_drain_verdicts("outlier,MISSING,ERROR");
  policy.max_nodes = 3;
  EXPECT_EQ(plan_drain(run, "r", nullptr, policy).drain.size(), 3u);
  EXPECT_THROW(parse_drain_verdicts("FAIL,PASS"), usage_error);
}

TEST(DrainDecision, more_failing_nodes_than_the_cap_drains_nothing) {
  // Every node fails (a broken reference): the default cap, 10 % of 5 nodes, is at least one node.
  std::map<std::string, std::string> every;
  for (int n = 1; n <= 5; ++n) every[fmt::format("node{:02}", n)] = "FAIL";
  const auto states = all_idle(5);
  const drain_plan plan = plan_drain(run_with(5, every), "r", &states, {});
  EXPECT_TRUE(plan.cap_exceeded);
  EXPECT_EQ(plan.limit, 1u);
  drain_policy wider;
  wider.max_nodes = 5;
  EXPECT_FALSE(plan_drain(run_with(5, every), "r", &states, wider).cap_exceeded);
  drain_policy both;  // both caps given: the smaller holds
  both.max_nodes = 5;
  both.max_percent = 40;
  EXPECT_TRUE(plan_drain(run_with(5, every), "r", &states, both).cap_exceeded);
}

TEST(DrainDecision, nodes_exacheck_already_drained_count_against_the_cap) {
  auto states = all_idle(10);
  states["node01"] = {"drained", "exacheck: GPU 1 gemm tflops FAIL run last-night"};
  const drain_plan plan =
      plan_drain(run_with(10, {{"node01", "FAIL"}, {"node02", "FAIL"}}), "r", &states, {});
  EXPECT_EQ(plan.already.size(), 1u);
  EXPECT_EQ(plan.drain.size(), 1u);
  EXPECT_TRUE(plan.cap_exceeded);  // one held and one more is two, past 10 % of 10
}

TEST(DrainDecision, a_node_drained_by_someone_else_is_left_alone) {
  auto states = all_idle(10);
  states["node03"] = {"drained", "bad DIMM, ticket 4711"};
  const drain_plan plan = plan_drain(run_with(10, {{"node03", "FAIL"}}), "r", &states, {});
  EXPECT_TRUE(plan.drain.empty());
  ASSERT_EQ(plan.others.size(), 1u);
  EXPECT_NE(plan.others[0].reason.find("ticket 4711"), std::string::npos);
}

TEST(DrainDecision, in_a_merged_run_the_reason_names_the_nodes_own_run) {
  json run = run_with(3, {{"node02", "FAIL"}});
  run["provenance"]["merged"]["runs"] = {
      {{"id", "n1-0204"}, {"hosts", {"node01"}}, {"superseded_by", nullptr}},
      {{"id", "n2-0203"}, {"hosts", {"node02"}}, {"superseded_by", "n2-0204"}},
      {{"id", "n2-0204"}, {"hosts", {"node02"}}, {"superseded_by", nullptr}}};
  drain_policy policy;
  policy.max_nodes = 1;
  const drain_plan plan = plan_drain(run, "merge", nullptr, policy);
  ASSERT_EQ(plan.drain.size(), 1u);
  EXPECT_EQ(plan.drain[0].reason, "exacheck: GPU 1 gemm tflops FAIL run n2-0204");
}

TEST(DrainDecision, resume_returns_only_exacheck_drains_that_pass_now) {
  auto states = all_idle(4);
  states["node01"] = {"drained", "exacheck: GPU 1 gemm tflops FAIL run last-night"};   // fixed: PASS now
  states["node02"] = {"draining", "exacheck: GPU 1 gemm tflops FAIL run last-night"};  // still failing
  states["node03"] = {"drained", "bad DIMM, ticket 4711"};                             // someone else's
  states["node04"] = {"idle", ""};
  const resume_plan plan = plan_resume(run_with(4, {{"node02", "FAIL"}}), states);
  ASSERT_EQ(plan.resume.size(), 1u);
  EXPECT_EQ(plan.resume[0].host, "node01");
  ASSERT_EQ(plan.kept.size(), 1u);
  EXPECT_EQ(plan.kept[0].host, "node02");
  ASSERT_EQ(plan.others.size(), 1u);
  EXPECT_EQ(plan.others[0].host, "node03");
}

TEST(DrainDecision, resume_never_trusts_a_run_that_did_not_finish) {
  auto states = all_idle(2);
  states["node01"] = {"drained", "exacheck: GPU 1 gemm tflops FAIL run last-night"};
  const resume_plan plan = plan_resume(run_with(2, {}, false), states);
  EXPECT_TRUE(plan.resume.empty());
  ASSERT_EQ(plan.kept.size(), 1u);
}

TEST(DrainDecision, an_owner_tag_inside_someone_elses_reason_is_not_exacheck_s) {
  const slurm_node_state theirs{"drained", "see exacheck: GPU 1 FAIL"};
  EXPECT_TRUE(theirs.drained());
  EXPECT_FALSE(theirs.drained_by_exacheck());
  EXPECT_TRUE((slurm_node_state{"IDLE+DRAIN", "exacheck: x"}.drained_by_exacheck()));
  EXPECT_FALSE((slurm_node_state{"idle", "exacheck: x"}.drained()));
}

}  // namespace
