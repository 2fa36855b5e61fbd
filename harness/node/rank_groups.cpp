#include "harness/node/rank_groups.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <stdexcept>

namespace exacheck {

std::optional<group_kind> group_kind_from_string(std::string_view text) {
  if (text == "all") return group_kind::all;
  if (text == "per_node") return group_kind::per_node;
  if (text == "node_pairs") return group_kind::node_pairs;
  return std::nullopt;
}

std::string_view to_string(group_kind kind) {
  switch (kind) {
    case group_kind::per_node:
      return "per_node";
    case group_kind::node_pairs:
      return "node_pairs";
    default:
      return "all";
  }
}

std::vector<std::vector<std::pair<int, int>>> node_pair_rounds(int nodes) {
  std::vector<std::vector<std::pair<int, int>>> rounds;
  if (nodes < 2) return rounds;
  for (int start : {0, 1}) {
    std::vector<std::pair<int, int>> pairs;
    for (int i = start; i + 1 < nodes; i += 2) pairs.emplace_back(i, i + 1);
    // The shifted round closes the ring when every node has a partner in it: (n−1, 0).
    if (start == 1 && nodes % 2 == 0 && nodes > 2) pairs.emplace_back(nodes - 1, 0);
    if (!pairs.empty()) rounds.push_back(std::move(pairs));
  }
  return rounds;
}

namespace {

std::string join(const std::vector<std::string>& hosts, std::string_view separator) {
  std::string text;
  for (const auto& h : hosts) text += (text.empty() ? "" : std::string(separator)) + h;
  return text;
}

}  // namespace

std::vector<group_round> plan_rank_groups(group_kind kind, const std::vector<std::string>& hosts_by_rank) {
  std::map<std::string, std::vector<int>> ranks_by_host;  // sorted by host name
  for (std::size_t r = 0; r < hosts_by_rank.size(); ++r)
    ranks_by_host[hosts_by_rank[r]].push_back(static_cast<int>(r));
  std::vector<std::string> hosts;
  for (const auto& [host, ranks] : ranks_by_host) hosts.push_back(host);

  if (kind == group_kind::all) {
    rank_group everyone{"all", kind, 1, hosts, {}};
    for (std::size_t r = 0; r < hosts_by_rank.size(); ++r) everyone.ranks.push_back(static_cast<int>(r));
    return {{1, {std::move(everyone)}, {}}};
  }
  if (kind == group_kind::per_node) {
    group_round round;
    for (const auto& [host, ranks] : ranks_by_host) round.groups.push_back({host, kind, 1, {host}, ranks});
    return {std::move(round)};
  }
  if (hosts.size() < 2)
    throw std::invalid_argument(
        fmt::format("groups: node_pairs needs ranks on at least 2 nodes; all {} ranks ran on {} ({})",
                    hosts_by_rank.size(), hosts.size() == 1 ? "one host" : "no host", join(hosts, ", ")));
  std::vector<group_round> rounds;
  const auto pair_rounds = node_pair_rounds(static_cast<int>(hosts.size()));
  for (std::size_t i = 0; i < pair_rounds.size(); ++i) {
    group_round round;
    round.round = static_cast<int>(i) + 1;
    std::vector<char> paired(hosts.size(), 0);
    for (const auto& [a, b] : pair_rounds[i]) {
      paired[static_cast<std::size_t>(a)] = paired[static_cast<std::size_t>(b)] = 1;
      const std::string& first = hosts[static_cast<std::size_t>(std::min(a, b))];
      const std::string& second = hosts[static_cast<std::size_t>(std::max(a, b))];
      rank_group group{first + "+" + second, kind, round.round, {first, second}, ranks_by_host[first]};
      const auto& more = ranks_by_host[second];
      group.ranks.insert(group.ranks.end(), more.begin(), more.end());
      std::sort(group.ranks.begin(), group.ranks.end());
      round.groups.push_back(std::move(group));
    }
    for (std::size_t h = 0; h < hosts.size(); ++h)
      if (!paired[h]) round.sitting_out.push_back(hosts[h]);
    rounds.push_back(std::move(round));
  }
  return rounds;
}

nlohmann::json group_record(const rank_group& group, const std::vector<std::string>& sitting_out) {
  nlohmann::json record = {{"id", group.id},
                           {"kind", to_string(group.kind)},
                           {"round", group.round},
                           {"hosts", group.hosts},
                           {"ranks", group.ranks}};
  if (!sitting_out.empty()) record["sitting_out"] = sitting_out;
  return record;
}

group_communicator::group_communicator(MPI_Comm comm, const group_round& round, int rank) {
  int color = MPI_UNDEFINED;
  for (std::size_t g = 0; g < round.groups.size(); ++g) {
    const auto& ranks = round.groups[g].ranks;
    if (std::find(ranks.begin(), ranks.end(), rank) != ranks.end()) {
      color = static_cast<int>(g);
      m_group = &round.groups[g];
    }
  }
  MPI_Comm_split(comm, color, rank, &m_comm);
}

group_communicator::~group_communicator() {
  if (m_comm != MPI_COMM_NULL) MPI_Comm_free(&m_comm);
}

std::string host_name_for_rank(int rank, std::string real) {
  const char* names = std::getenv("EXACHECK_TEST_HOST_NAMES");
  if (!names || rank < 0) return real;
  std::string_view list(names);
  for (int i = 0; i <= rank; ++i) {
    const auto comma = list.find(',');
    const std::string_view name = list.substr(0, comma);
    if (i == rank) return name.empty() ? real : std::string(name);
    if (comma == std::string_view::npos) return real;
    list.remove_prefix(comma + 1);
  }
  return real;
}

}  // namespace exacheck
