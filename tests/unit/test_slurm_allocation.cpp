// The Slurm allocation as the controller reads it from SLURM_* alone (harness/controller/allocation.hpp):
// Slurm's compressed counts, host list expressions, and a malformed value named with its variable.
#include <gtest/gtest.h>

#include <map>

#include "harness/controller/allocation.hpp"
#include "harness/core/errors.hpp"

using namespace exacheck;

namespace {
using strings = std::vector<std::string>;

environment_lookup environment_of(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    return found == variables.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
}

// What `salloc -N 4 --ntasks-per-node=1` gives on the dev cluster (2-CPU nodes, CR_Core).
std::map<std::string, std::string> salloc_four_nodes() {
  return {{"SLURM_JOB_ID", "12"},
          {"SLURM_JOB_PARTITION", "debug"},
          {"SLURM_JOB_NODELIST", "node[01-04]"},
          {"SLURM_JOB_NUM_NODES", "4"},
          {"SLURM_NNODES", "4"},
          {"SLURM_NTASKS", "4"},
          {"SLURM_NTASKS_PER_NODE", "1"},
          {"SLURM_TASKS_PER_NODE", "1(x4)"},
          {"SLURM_JOB_CPUS_PER_NODE", "1(x4)"}};
}

// The usage_error's text when `call` throws one; "" (and a failure) when it does not.
template <typename F>
std::string usage_error_of(F call) {
  try {
    call();
  } catch (const usage_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a usage_error";
  return "";
}
}  // namespace

TEST(slurm_counts, compressed_forms_expand_to_one_count_per_node) {
  EXPECT_EQ(expand_slurm_counts("4", "V"), (std::vector<int>{4}));
  EXPECT_EQ(expand_slurm_counts("2(x4)", "V"), (std::vector<int>{2, 2, 2, 2}));
  EXPECT_EQ(expand_slurm_counts("4(x2),2", "V"), (std::vector<int>{4, 4, 2}));
  EXPECT_EQ(expand_slurm_counts("2,1", "V"), (std::vector<int>{2, 1}));
  EXPECT_EQ(expand_slurm_counts("64(x2),32,16(x1)", "V"), (std::vector<int>{64, 64, 32, 16}));
}

TEST(slurm_counts, malformed_counts_name_the_variable_and_the_value) {
  for (const char* bad : {"", "x", "4(x)", "4(x0)", "4(2)", "-1", "4,,2", "4(x2", "1.5", "4 (x2)"}) {
    const auto message = usage_error_of([&] { expand_slurm_counts(bad, "SLURM_TASKS_PER_NODE"); });
    EXPECT_NE(message.find("SLURM_TASKS_PER_NODE="), std::string::npos) << bad << ": " << message;
    EXPECT_NE(message.find(std::string("'") + bad + "'"), std::string::npos) << bad << ": " << message;
  }
}

TEST(hostlist, ranges_lists_and_plain_names_expand_in_order) {
  EXPECT_EQ(expand_hostlist("node[01-04,07],gpu5", "V"),
            (strings{"node01", "node02", "node03", "node04", "node07", "gpu5"}));
  EXPECT_EQ(expand_hostlist("a,b,c", "V"), (strings{"a", "b", "c"}));
  EXPECT_EQ(expand_hostlist("node1", "V"), (strings{"node1"}));
  EXPECT_EQ(expand_hostlist("n[1-3]", "V"), (strings{"n1", "n2", "n3"}));
}

TEST(hostlist, zero_padding_comes_from_the_range_and_survives_a_carry) {
  EXPECT_EQ(expand_hostlist("n[08-10]", "V"), (strings{"n08", "n09", "n10"}));
  EXPECT_EQ(expand_hostlist("n[8-10]", "V"), (strings{"n8", "n9", "n10"}));
  EXPECT_EQ(expand_hostlist("n[098-100]", "V"), (strings{"n098", "n099", "n100"}));
}

TEST(hostlist, dashes_and_suffixes_outside_brackets_are_part_of_the_name) {
  EXPECT_EQ(expand_hostlist("rack-1-n[1-2]-ib", "V"), (strings{"rack-1-n1-ib", "rack-1-n2-ib"}));
  EXPECT_EQ(expand_hostlist("login-1,cn[1,3]", "V"), (strings{"login-1", "cn1", "cn3"}));
}

TEST(hostlist, several_brackets_in_one_name_multiply) {
  EXPECT_EQ(expand_hostlist("r[1-2]n[1-2]", "V"), (strings{"r1n1", "r1n2", "r2n1", "r2n2"}));
}

TEST(hostlist, malformed_lists_name_the_variable_the_value_and_what_is_wrong) {
  const std::map<std::string, std::string> cases = {
      {"node[01-04", "without its ']'"}, {"node01-04]", "without its '['"},
      {"node[4-1]", "runs backwards"},   {"node[]", "not a number"},
      {"node[a-b]", "not a number"},     {"node[[1-2]]", "inside brackets"},
      {"a,,b", "empty host name"},       {"", "empty host list"},
      {"n[0-99999999]", "more than"}};
  for (const auto& [bad, why] : cases) {
    const auto message = usage_error_of([&] { expand_hostlist(bad, "SLURM_JOB_NODELIST"); });
    EXPECT_NE(message.find("SLURM_JOB_NODELIST='" + bad + "'"), std::string::npos) << message;
    EXPECT_NE(message.find(why), std::string::npos) << bad << ": " << message;
  }
}

TEST(slurm_allocation, outside_an_allocation_there_is_none) {
  EXPECT_FALSE(read_slurm_allocation(environment_of({{"SLURM_CONF", "/etc/slurm.conf"}})));
}

TEST(slurm_allocation, salloc_four_nodes_one_task_each_gives_one_cpu_per_task) {
  const auto a = read_slurm_allocation(environment_of(salloc_four_nodes()));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->job_id, "12");
  EXPECT_EQ(a->partition, "debug");
  EXPECT_EQ(a->nodes, (strings{"node01", "node02", "node03", "node04"}));
  EXPECT_EQ(a->tasks, 4);
  EXPECT_EQ(a->tasks_per_node, (std::vector<int>{1, 1, 1, 1}));
  EXPECT_EQ(a->cpus_per_node, (std::vector<int>{1, 1, 1, 1}));
  EXPECT_EQ(a->uniform_tasks_per_node(), 1);
  // Not the controller's 2 CPUs: "More processors requested than permitted" came from asking for them.
  EXPECT_EQ(a->cpus_for_each_task(), 1);
}

TEST(slurm_allocation, uneven_nodes_give_each_task_the_least_share) {
  // salloc -N 2 -n 3: tasks 2,1 and CPUs 2,1 (as the dev cluster gives them); and a 64-core node beside a
  // 32-core one with two tasks each.
  auto a = read_slurm_allocation(environment_of({{"SLURM_JOB_ID", "4"},
                                                 {"SLURM_JOB_NODELIST", "node[01-02]"},
                                                 {"SLURM_NTASKS", "3"},
                                                 {"SLURM_TASKS_PER_NODE", "2,1"},
                                                 {"SLURM_JOB_CPUS_PER_NODE", "2,1"}}));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->uniform_tasks_per_node(), 0);
  EXPECT_EQ(a->cpus_for_each_task(), 1);
  a = read_slurm_allocation(environment_of({{"SLURM_JOB_ID", "5"},
                                            {"SLURM_JOB_NODELIST", "big1,small1"},
                                            {"SLURM_TASKS_PER_NODE", "2(x2)"},
                                            {"SLURM_JOB_CPUS_PER_NODE", "64,32"}}));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->tasks, 4);  // no SLURM_NTASKS (salloc -N without -n): the sum of the tasks per node
  EXPECT_EQ(a->cpus_for_each_task(), 16);
}

TEST(slurm_allocation, cpus_per_task_when_the_job_asked_for_it) {
  auto env = salloc_four_nodes();
  env["SLURM_JOB_CPUS_PER_NODE"] = "8(x4)";
  env["SLURM_CPUS_PER_TASK"] = "4";
  const auto a = read_slurm_allocation(environment_of(env));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->cpus_for_each_task(), 4);
}

TEST(slurm_allocation, cpus_on_node_stands_in_for_every_node_in_a_batch_step) {
  auto env = salloc_four_nodes();
  env.erase("SLURM_JOB_CPUS_PER_NODE");
  env["SLURM_CPUS_ON_NODE"] = "2";
  const auto a = read_slurm_allocation(environment_of(env));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->cpus_per_node, (std::vector<int>{2, 2, 2, 2}));
  EXPECT_EQ(a->cpus_for_each_task(), 2);
}

TEST(slurm_allocation, ntasks_alone_is_spread_as_slurms_block_distribution) {
  const auto a = read_slurm_allocation(environment_of({{"SLURM_JOB_ID", "9"},
                                                       {"SLURM_NODELIST", "n[1-3]"},
                                                       {"SLURM_NNODES", "3"},
                                                       {"SLURM_NTASKS", "5"},
                                                       {"SLURM_JOB_CPUS_PER_NODE", "4(x3)"}}));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->tasks_per_node, (std::vector<int>{2, 2, 1}));
  EXPECT_EQ(a->tasks, 5);
}

TEST(slurm_allocation, malformed_or_disagreeing_variables_are_named_with_their_values) {
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
      {{{"SLURM_TASKS_PER_NODE", "1(x4"}}, "SLURM_TASKS_PER_NODE='1(x4'"},
      {{{"SLURM_JOB_CPUS_PER_NODE", "two"}}, "SLURM_JOB_CPUS_PER_NODE='two'"},
      {{{"SLURM_JOB_NODELIST", "node[01-04"}}, "SLURM_JOB_NODELIST='node[01-04'"},
      {{{"SLURM_NTASKS", "four"}}, "SLURM_NTASKS='four'"},
      {{{"SLURM_CPUS_PER_TASK", "0"}}, "SLURM_CPUS_PER_TASK='0'"},
      {{{"SLURM_JOB_NUM_NODES", "3"}}, "SLURM_JOB_NUM_NODES=3 but SLURM_JOB_NODELIST='node[01-04]' names 4"},
      {{{"SLURM_TASKS_PER_NODE", "1(x3)"}}, "SLURM_TASKS_PER_NODE='1(x3)' gives 3 node(s)"},
      {{{"SLURM_JOB_ID", "12;rm"}}, "SLURM_JOB_ID='12;rm'"}};
  for (const auto& [changes, expected] : cases) {
    auto env = salloc_four_nodes();
    for (const auto& [name, value] : changes) env[name] = value;
    const auto message = usage_error_of([&] { read_slurm_allocation(environment_of(env)); });
    EXPECT_NE(message.find(expected), std::string::npos) << message;
  }
  auto no_nodes = salloc_four_nodes();
  no_nodes.erase("SLURM_JOB_NODELIST");
  EXPECT_NE(
      usage_error_of([&] { read_slurm_allocation(environment_of(no_nodes)); }).find("SLURM_JOB_NODELIST"),
      std::string::npos);
}
