#include "harness/results/point_groups.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "harness/results/result_accounting.hpp"

namespace exacheck {
namespace {

const nlohmann::json& member(const nlohmann::json& object, const char* key) {
  static const nlohmann::json none;
  if (!object.is_object()) return none;
  const auto it = object.find(key);
  return it == object.end() ? none : *it;
}

int rank_of(const nlohmann::json& record) {
  const auto& rank = member(record, "rank");
  return rank.is_number_integer() ? rank.get<int>() : -1;
}

std::vector<int> listed_ranks(const nlohmann::json& group) {
  std::vector<int> ranks;
  for (const auto& r : member(group, "ranks"))
    if (r.is_number_integer()) ranks.push_back(r.get<int>());
  std::sort(ranks.begin(), ranks.end());
  return ranks;
}

}  // namespace

bool result_has_groups(const nlohmann::json& rank_records) {
  if (!rank_records.is_array()) return false;
  for (const auto& record : rank_records)
    for (const auto& point : member(record, "points"))
      if (member(point, "group").is_object()) return true;
  return false;
}

std::vector<group_points> points_by_group(std::vector<const nlohmann::json*> rank_records,
                                          std::vector<std::string>& problems) {
  std::stable_sort(rank_records.begin(), rank_records.end(),
                   [](const auto* a, const auto* b) { return rank_of(*a) < rank_of(*b); });
  std::map<std::pair<int, std::string>, group_points> groups;  // (round, id) → its points
  for (const nlohmann::json* record : rank_records) {
    const int rank = rank_of(*record);
    std::map<int, std::string> group_of_round;
    std::size_t ungrouped = 0;
    for (const auto& point : member(*record, "points")) {
      const auto& group = member(point, "group");
      const auto& id = member(group, "id");
      const auto& round = member(group, "round");
      if (!id.is_string() || !round.is_number_integer()) {
        ++ungrouped;
        continue;
      }
      const auto [seen, first] = group_of_round.emplace(round.get<int>(), id.get<std::string>());
      if (!first && seen->second != id.get<std::string>()) {
        problems.push_back(fmt::format("rank {} reported points of groups {} and {} in round {}", rank,
                                       seen->second, id.get<std::string>(), round.get<int>()));
        continue;
      }
      group_points& g = groups[{round.get<int>(), id.get<std::string>()}];
      if (g.ranks.empty() || g.ranks.back() != rank) {
        if (g.ranks.empty()) {
          g.id = id.get<std::string>();
          g.round = round.get<int>();
          g.record = group;
        } else if (group != g.record) {
          problems.push_back(
              fmt::format("group {}: ranks {} and {} describe it differently", g.id, g.ranks.front(), rank));
        }
        g.ranks.push_back(rank);
        g.rank_records.push_back(record);
        g.points.push_back(nlohmann::json::array());
      }
      g.points.back().push_back(point);
    }
    if (ungrouped > 0)
      problems.push_back(fmt::format(
          "rank {}: {} point(s) carry no group, in a case whose points ran on groups of its ranks", rank,
          ungrouped));
    if (group_of_round.empty() && ungrouped == 0)
      problems.push_back(fmt::format("rank {} reported no point of any group", rank));
  }
  std::vector<group_points> ordered;
  for (auto& [key, g] : groups) {
    const std::vector<int> listed = listed_ranks(g.record);
    std::vector<int> silent, strangers;
    std::set_difference(listed.begin(), listed.end(), g.ranks.begin(), g.ranks.end(),
                        std::back_inserter(silent));
    std::set_difference(g.ranks.begin(), g.ranks.end(), listed.begin(), listed.end(),
                        std::back_inserter(strangers));
    if (!silent.empty())
      problems.push_back(fmt::format("group {}: {} {} (of its ranks {}) reported none of its points", g.id,
                                     silent.size() == 1 ? "rank" : "ranks", rank_list(silent),
                                     rank_list(listed)));
    if (!strangers.empty())
      problems.push_back(fmt::format("group {}: {} {} reported its points but {} not one of its ranks {}",
                                     g.id, strangers.size() == 1 ? "rank" : "ranks", rank_list(strangers),
                                     strangers.size() == 1 ? "is" : "are", rank_list(listed)));
    ordered.push_back(std::move(g));
  }
  return ordered;
}

int ranks_of_point(const nlohmann::json& point, int launched) {
  const auto& ranks = member(member(point, "group"), "ranks");
  return ranks.is_array() ? static_cast<int>(ranks.size()) : launched;
}

}  // namespace exacheck
