// Groups of the launch's ranks for collectives' `groups` parameter (harness/node/rank_groups.hpp): every node
// its own copy, or node pairs in two rounds — who runs with whom, who sits a round out, and the ring's
// closure.
#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>

#include "harness/node/rank_groups.hpp"

namespace {

using exacheck::group_kind;
using pairs = std::vector<std::pair<int, int>>;

std::vector<std::string> ids_of(const exacheck::group_round& round) {
  std::vector<std::string> ids;
  for (const auto& g : round.groups) ids.push_back(g.id);
  return ids;
}

TEST(node_pair_rounds, two_nodes_make_one_round_since_a_second_would_repeat_the_pair) {
  EXPECT_EQ(exacheck::node_pair_rounds(2), (std::vector<pairs>{{{0, 1}}}));
}

TEST(node_pair_rounds, three_nodes_leave_one_out_of_each_round_and_a_different_one) {
  EXPECT_EQ(exacheck::node_pair_rounds(3), (std::vector<pairs>{{{0, 1}}, {{1, 2}}}));
}

TEST(node_pair_rounds, four_nodes_close_the_ring_in_the_shifted_round) {
  EXPECT_EQ(exacheck::node_pair_rounds(4), (std::vector<pairs>{{{0, 1}, {2, 3}}, {{1, 2}, {3, 0}}}));
}

TEST(node_pair_rounds, five_nodes_sit_the_last_out_then_the_first) {
  EXPECT_EQ(exacheck::node_pair_rounds(5), (std::vector<pairs>{{{0, 1}, {2, 3}}, {{1, 2}, {3, 4}}}));
}

TEST(node_pair_rounds, six_nodes_pair_every_node_in_both_rounds) {
  EXPECT_EQ(exacheck::node_pair_rounds(6),
            (std::vector<pairs>{{{0, 1}, {2, 3}, {4, 5}}, {{1, 2}, {3, 4}, {5, 0}}}));
}

TEST(node_pair_rounds, one_node_has_no_pair) {
  EXPECT_TRUE(exacheck::node_pair_rounds(1).empty());
  EXPECT_TRUE(exacheck::node_pair_rounds(0).empty());
}

TEST(plan_rank_groups, per_node_gives_each_host_its_ranks_in_one_round) {
  const auto rounds =
      exacheck::plan_rank_groups(group_kind::per_node, {"node02", "node01", "node02", "node01", "node03"});
  ASSERT_EQ(rounds.size(), 1u);
  EXPECT_EQ(ids_of(rounds[0]), (std::vector<std::string>{"node01", "node02", "node03"}));
  EXPECT_EQ(rounds[0].groups[0].ranks, (std::vector<int>{1, 3}));
  EXPECT_EQ(rounds[0].groups[1].ranks, (std::vector<int>{0, 2}));
  EXPECT_EQ(rounds[0].groups[2].ranks, (std::vector<int>{4}));
  EXPECT_TRUE(rounds[0].sitting_out.empty());
}

TEST(plan_rank_groups, node_pairs_of_four_hosts_pair_sorted_hosts_in_two_rounds) {
  // Two ranks per node, hosts given out of order: pairs follow the sorted host names.
  const auto rounds = exacheck::plan_rank_groups(
      group_kind::node_pairs,
      {"node03", "node03", "node01", "node01", "node04", "node04", "node02", "node02"});
  ASSERT_EQ(rounds.size(), 2u);
  EXPECT_EQ(ids_of(rounds[0]), (std::vector<std::string>{"node01+node02", "node03+node04"}));
  EXPECT_EQ(ids_of(rounds[1]), (std::vector<std::string>{"node02+node03", "node01+node04"}));
  EXPECT_EQ(rounds[0].groups[0].ranks, (std::vector<int>{2, 3, 6, 7}));
  EXPECT_EQ(rounds[1].groups[1].hosts, (std::vector<std::string>{"node01", "node04"}));
  EXPECT_EQ(rounds[1].groups[1].round, 2);
  EXPECT_TRUE(rounds[0].sitting_out.empty());
  EXPECT_TRUE(rounds[1].sitting_out.empty());
}

TEST(plan_rank_groups, node_pairs_of_three_hosts_record_who_sits_each_round_out) {
  const auto rounds = exacheck::plan_rank_groups(group_kind::node_pairs, {"a", "b", "c"});
  ASSERT_EQ(rounds.size(), 2u);
  EXPECT_EQ(ids_of(rounds[0]), (std::vector<std::string>{"a+b"}));
  EXPECT_EQ(rounds[0].sitting_out, (std::vector<std::string>{"c"}));
  EXPECT_EQ(ids_of(rounds[1]), (std::vector<std::string>{"b+c"}));
  EXPECT_EQ(rounds[1].sitting_out, (std::vector<std::string>{"a"}));
}

TEST(plan_rank_groups, node_pairs_of_five_hosts_never_pair_a_host_twice_in_one_round) {
  const auto rounds = exacheck::plan_rank_groups(group_kind::node_pairs, {"n1", "n2", "n3", "n4", "n5"});
  ASSERT_EQ(rounds.size(), 2u);
  EXPECT_EQ(ids_of(rounds[0]), (std::vector<std::string>{"n1+n2", "n3+n4"}));
  EXPECT_EQ(rounds[0].sitting_out, (std::vector<std::string>{"n5"}));
  EXPECT_EQ(ids_of(rounds[1]), (std::vector<std::string>{"n2+n3", "n4+n5"}));
  EXPECT_EQ(rounds[1].sitting_out, (std::vector<std::string>{"n1"}));
}

TEST(plan_rank_groups, node_pairs_on_one_host_is_an_error_naming_it) {
  try {
    exacheck::plan_rank_groups(group_kind::node_pairs, {"login1", "login1"});
    FAIL() << "node_pairs on one host was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("at least 2 nodes"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("login1"), std::string::npos) << e.what();
  }
}

TEST(plan_rank_groups, all_is_one_group_of_every_rank) {
  const auto rounds = exacheck::plan_rank_groups(group_kind::all, {"b", "a"});
  ASSERT_EQ(rounds.size(), 1u);
  ASSERT_EQ(rounds[0].groups.size(), 1u);
  EXPECT_EQ(rounds[0].groups[0].ranks, (std::vector<int>{0, 1}));
}

TEST(group_record, names_hosts_ranks_round_and_who_sat_out) {
  const auto rounds = exacheck::plan_rank_groups(group_kind::node_pairs, {"a", "b", "c"});
  const auto record = exacheck::group_record(rounds[1].groups[0], rounds[1].sitting_out);
  EXPECT_EQ(record, (nlohmann::json{{"id", "b+c"},
                                    {"kind", "node_pairs"},
                                    {"round", 2},
                                    {"hosts", {"b", "c"}},
                                    {"ranks", {1, 2}},
                                    {"sitting_out", {"a"}}}));
}

TEST(host_name_for_rank, test_override_gives_rank_r_the_r_th_name_and_others_keep_theirs) {
  ::unsetenv("EXACHECK_TEST_HOST_NAMES");
  EXPECT_EQ(exacheck::host_name_for_rank(1, "real"), "real");
  ::setenv("EXACHECK_TEST_HOST_NAMES", "n1,n2", 1);
  EXPECT_EQ(exacheck::host_name_for_rank(0, "real"), "n1");
  EXPECT_EQ(exacheck::host_name_for_rank(1, "real"), "n2");
  EXPECT_EQ(exacheck::host_name_for_rank(2, "real"), "real");
  ::unsetenv("EXACHECK_TEST_HOST_NAMES");
}

}  // namespace
