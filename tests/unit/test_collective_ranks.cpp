// The slowest rank of a collective point (suites/collectives/collective_ranks.hpp), named with its host, and
// its JSON record in results (harness/core/result.hpp): what the reports show to find a slow rank or node.
#include <gtest/gtest.h>

#include "harness/core/result.hpp"
#include "suites/collectives/collective_ranks.hpp"

using namespace exacheck;
using namespace exacheck::collectives;

TEST(collective_ranks, slowest_rank_is_named_with_its_host_and_ratio_to_the_median_rank) {
  const std::vector<double> medians = {10e-6, 11e-6, 15e-6, 10e-6, 12e-6};
  const std::vector<std::string> hosts = {"n0", "n0", "n1", "n1", "n2"};
  const auto slowest = find_slowest_rank(medians, hosts);
  EXPECT_EQ(slowest.rank, 2);
  EXPECT_EQ(slowest.host, "n1");
  EXPECT_DOUBLE_EQ(slowest.median_s, 15e-6);
  EXPECT_DOUBLE_EQ(slowest.median_of_rank_medians_s, 11e-6);
  EXPECT_DOUBLE_EQ(slowest.ratio, 15.0 / 11.0);
  EXPECT_GT(slowest.ratio, k_slow_rank_warning_ratio);
}

TEST(collective_ranks, one_rank_is_its_own_median_and_ties_name_the_first) {
  const auto one = find_slowest_rank({5e-6}, {"solo"});
  EXPECT_EQ(one.rank, 0);
  EXPECT_EQ(one.host, "solo");
  EXPECT_DOUBLE_EQ(one.ratio, 1.0);
  EXPECT_EQ(find_slowest_rank({3e-6, 3e-6}, {"a", "b"}).rank, 0);
}

TEST(collective_ranks, slowest_rank_round_trips_through_json_and_is_absent_when_unset) {
  point_result point;
  nlohmann::json plain = point;
  EXPECT_FALSE(plain.contains("slowest_rank"));
  point.slowest_rank = find_slowest_rank({1e-6, 2e-6, 1e-6}, {"a", "b", "c"});
  const nlohmann::json written = point;
  ASSERT_TRUE(written.contains("slowest_rank"));
  EXPECT_EQ(written["slowest_rank"]["host"], "b");
  const auto back = written.get<point_result>();
  ASSERT_TRUE(back.slowest_rank);
  EXPECT_EQ(back.slowest_rank->rank, 1);
  EXPECT_DOUBLE_EQ(back.slowest_rank->ratio, 2.0);
}

TEST(nccl_shared_gpu_reason, two_ranks_on_one_gpu_are_named_with_the_gpu_and_host) {
  // allow_gpu_sharing: two ranks of node01 on its one GPU; NCCL refuses them in ncclCommInitRank.
  const auto reason = nccl_shared_gpu_reason({"node01", "node01"}, {"0000:19:00.0", "0000:19:00.0"});
  ASSERT_TRUE(reason);
  EXPECT_EQ(
      *reason,
      "NCCL cannot run two ranks on one GPU: ranks 0 and 1 share GPU 0000:19:00.0 on node01 (2 of 2 ranks "
      "on 1 shared GPU, as allow_gpu_sharing allows); run one rank per GPU for NCCL collectives, or use "
      "backend: cpu for MPI collectives");
}

TEST(nccl_shared_gpu_reason, one_gpu_per_rank_runs_even_where_bus_ids_repeat_across_hosts) {
  // Every node numbers its GPUs alike: the same bus id on two hosts is two GPUs.
  EXPECT_FALSE(nccl_shared_gpu_reason({"n1", "n1", "n2", "n2"},
                                      {"0000:19:00.0", "0000:3b:00.0", "0000:19:00.0", "0000:3b:00.0"}));
  EXPECT_FALSE(nccl_shared_gpu_reason({"solo"}, {"0000:19:00.0"}));
}

TEST(nccl_shared_gpu_reason, the_lowest_sharing_rank_is_named_and_every_shared_gpu_counted) {
  // 5 ranks on node n2's 2 GPUs (round robin), 1 rank alone on n1; bus ids in either case.
  const std::vector<std::string> hosts = {"n1", "n2", "n2", "n2", "n2", "n2"};
  const std::vector<std::string> bus_ids = {"0000:19:00.0", "0000:3B:00.0", "0000:5e:00.0",
                                            "0000:3b:00.0", "0000:5e:00.0", "0000:3b:00.0"};
  const auto reason = nccl_shared_gpu_reason(hosts, bus_ids);
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("ranks 1 and 3 share GPU 0000:3B:00.0 on n2 (5 of 6 ranks on 2 shared GPUs"),
            std::string::npos)
      << *reason;
}

TEST(nccl_shared_gpu_reason, unknown_bus_ids_are_not_taken_for_a_shared_gpu) {
  EXPECT_FALSE(nccl_shared_gpu_reason({"n1", "n1"}, {"", ""}));
  EXPECT_FALSE(nccl_shared_gpu_reason({"n1", "n1", "n1"}, {"", "0000:19:00.0", ""}));
}
