#pragma once
// The points of a case that ran as independent copies on groups of its ranks (collectives' `groups:
// per_node | node_pairs`, harness/node/rank_groups.hpp): each rank reports the points of its own groups, each
// point with its group (id, kind, round, hosts, ranks). Points of different groups are different points, so
// they are matched per group: the i-th point of a group on each of its ranks (docs/run-json.md "Groups").
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace exacheck {

// One group's points, as each of its ranks reported them.
struct group_points {
  std::string id;
  int round = 0;
  nlohmann::json record;                            // the group as its lowest rank described it
  std::vector<int> ranks;                           // the ranks that reported it, ascending
  std::vector<const nlohmann::json*> rank_records;  // parallel to ranks
  std::vector<nlohmann::json> points;  // parallel to ranks: that rank's points of this group, in order
};

// Whether any point of any rank record (exacheck/case-result/v1 rank_results) carries a group.
bool result_has_groups(const nlohmann::json& rank_records);

// The rank records' points by group, ordered by round, then id. Each inconsistency — a point without a group
// among grouped ones, a rank in two groups of one round or in none, a group reported by ranks other than
// those it lists, or described differently by two of its ranks — is one sentence in `problems`.
std::vector<group_points> points_by_group(std::vector<const nlohmann::json*> rank_records,
                                          std::vector<std::string>& problems);

// How many ranks measured a point: its group's when it has one (results[].group.ranks), else `launched`.
int ranks_of_point(const nlohmann::json& point, int launched);

}  // namespace exacheck
