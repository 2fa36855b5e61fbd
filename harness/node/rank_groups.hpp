#pragma once
// Independent copies of one case on groups of the launch's ranks (collectives' `groups` parameter,
// docs/plan-schema.md): every node at once (per_node: each node's ranks their own communicator, so one launch
// checks every node's intra-node fabric), or disjoint pairs of nodes in two rounds (node_pairs), so that a
// slow link or NIC is named by its two hosts instead of only slowing the full-allocation number.
#include <mpi.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace exacheck {

enum class group_kind { all, per_node, node_pairs };
std::optional<group_kind> group_kind_from_string(std::string_view text);
std::string_view to_string(group_kind kind);

// One group of one round: its hosts (sorted) and the ranks on them (ascending, numbered as in the
// communicator the groups were planned from).
struct rank_group {
  std::string id;  // "node01" (per_node) or "node02+node03" (node_pairs): unique over the rounds
  group_kind kind = group_kind::per_node;
  int round = 1;
  std::vector<std::string> hosts;
  std::vector<int> ranks;
};

// The groups that run at the same time, and the hosts left without a partner in this round.
struct group_round {
  int round = 1;
  std::vector<rank_group> groups;
  std::vector<std::string> sitting_out;
};

// The rounds of node pairs of `nodes` nodes (positions in the sorted list of hosts): round 1 pairs
// (0,1), (2,3), …; round 2 the shifted pairs (1,2), (3,4), … and (n−1, 0) when it closes the ring (n even
// and above 2). An odd node out sits its round out. Two nodes make one round (a second would repeat the
// pair); fewer make none.
std::vector<std::vector<std::pair<int, int>>> node_pair_rounds(int nodes);

// The rounds of groups of `kind` for ranks on `hosts_by_rank` (indexed by rank). Pure: every rank computes
// the same rounds from the same gathered host names. per_node: one round, one group per host. node_pairs: the
// rounds of node_pair_rounds over the sorted distinct hosts; fewer than two hosts is an error naming them
// (std::invalid_argument). all: one round of one group of every rank (id "all").
std::vector<group_round> plan_rank_groups(group_kind kind, const std::vector<std::string>& hosts_by_rank);

// The group as a point records it (run.json results[].group): id, kind, round, hosts, ranks (as planned:
// the launch's numbers when planned from the launch's communicator) and, for a round some hosts sat out,
// those hosts (`sitting_out`).
nlohmann::json group_record(const rank_group& group, const std::vector<std::string>& sitting_out);

// This rank's group of `round` as a communicator of its own (collective over `comm`: every rank calls it,
// those sitting the round out get no communicator). Freed on destruction.
class group_communicator {
 public:
  group_communicator(MPI_Comm comm, const group_round& round, int rank);
  ~group_communicator();
  group_communicator(const group_communicator&) = delete;  // one MPI_Comm_free per split
  group_communicator& operator=(const group_communicator&) = delete;
  // The group this rank is in this round; nullptr when it sits the round out.
  const rank_group* group() const { return m_group; }
  MPI_Comm comm() const { return m_comm; }

 private:
  MPI_Comm m_comm = MPI_COMM_NULL;
  const rank_group* m_group = nullptr;
};

// TEST ONLY: the host name this rank reports. EXACHECK_TEST_HOST_NAMES="a,a,b,b" gives rank r (of the launch)
// the r-th name, so that tests on one machine can run ranks "on" several hosts; ranks past the list, and
// every rank without the variable, keep `real`. Never set it on a real run: results would name hosts that did
// not run them.
std::string host_name_for_rank(int rank, std::string real);

}  // namespace exacheck
