// The collectives' `groups` parameter in plans (docs/plan-schema.md): only collectives take it, a typo is
// named with its line and a suggestion, and the default (all) leaves every case id and point as it was.
#include <gtest/gtest.h>

#include "harness/core/errors.hpp"
#include "harness/core/registry.hpp"
#include "harness/plan/plan.hpp"
#include "plan_test_support.hpp"

namespace exacheck {
namespace {

const std::string header = "schema: exacheck/plan/v1\nname: test\ndefaults: {backend: cpu, ranks: 4}\n";

class collective_groups_plan : public testing::plan_files {
 protected:
  std::vector<validation_issue> issues_with_real_suites(const std::string& yaml) {
    try {
      load_plan(write("plan.yaml", yaml), registry::instance());
    } catch (const validation_error& e) {
      return e.issues();
    }
    ADD_FAILURE() << "the plan loaded:\n" << yaml;
    return {};
  }
  std::vector<expanded_case> expand_with_real_suites(const std::string& yaml) {
    return expand(load_plan(write("plan.yaml", yaml), registry::instance()), registry::instance());
  }
};

TEST_F(collective_groups_plan, groups_on_a_benchmark_that_is_no_collective_is_refused_at_its_line) {
  const auto issues = issues_with_real_suites(
      header + "cases:\n  - name: g\n    benchmark: gemm\n    params: {dtype: fp64, groups: per_node}\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].where.line, 7);
  EXPECT_NE(issues[0].message.find("unknown parameter 'groups' for benchmark 'gemm'"), std::string::npos)
      << issues[0].message;
  EXPECT_NE(issues[0].message.find("it is a parameter of allgather, allreduce"), std::string::npos)
      << issues[0].message;
}

TEST_F(collective_groups_plan, a_misspelt_kind_of_groups_is_named_with_the_kinds_and_a_suggestion) {
  const auto issues = issues_with_real_suites(
      header + "cases:\n  - name: ar\n    benchmark: allreduce\n    params: {groups: node_pair}\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].where.line, 7);
  EXPECT_NE(issues[0].expected.find("all, per_node, node_pairs"), std::string::npos) << issues[0].expected;
  EXPECT_EQ(issues[0].suggestion, "node_pairs");
}

TEST_F(collective_groups_plan, groups_all_is_the_default_and_leaves_the_case_id_as_without_it) {
  const auto without = expand_with_real_suites(
      header + "cases:\n  - name: ar\n    benchmark: allreduce\n    params: {bytes: 1KiB}\n");
  const auto all = expand_with_real_suites(
      header + "cases:\n  - name: ar\n    benchmark: allreduce\n    params: {bytes: 1KiB, groups: all}\n");
  const auto per_node = expand_with_real_suites(
      header +
      "cases:\n  - name: ar\n    benchmark: allreduce\n    params: {bytes: 1KiB, groups: per_node}\n");
  ASSERT_EQ(without.size(), 1u);
  ASSERT_EQ(all.size(), 1u);
  ASSERT_EQ(per_node.size(), 1u);
  EXPECT_EQ(all[0].id, without[0].id);
  EXPECT_FALSE(all[0].params.contains("groups"));
  EXPECT_NE(per_node[0].id, without[0].id);
  EXPECT_EQ(per_node[0].params.value("groups", ""), "per_node");
}

TEST_F(collective_groups_plan, a_list_of_groups_sweeps_one_case_per_kind) {
  const auto cases =
      expand_with_real_suites(header +
                              "cases:\n  - name: ar\n    benchmark: allreduce\n"
                              "    params: {bytes: 1KiB, groups: [all, per_node, node_pairs]}\n");
  ASSERT_EQ(cases.size(), 3u);
  EXPECT_FALSE(cases[0].params.contains("groups"));
  EXPECT_EQ(cases[1].params.value("groups", ""), "per_node");
  EXPECT_EQ(cases[2].params.value("groups", ""), "node_pairs");
}

}  // namespace
}  // namespace exacheck
