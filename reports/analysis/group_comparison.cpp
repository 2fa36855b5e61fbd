#include "reports/analysis/group_comparison.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "reports/analysis/fleet_statistics.hpp"
#include "reports/analysis/format.hpp"

namespace exacheck::reports::detail {
namespace {

using nlohmann::json;

// One group's point of a series, and how it compares.
struct group_value {
  const json* point = nullptr;
  std::string id, kind;
  std::vector<std::string> hosts;
  int round = 1, lowest_rank = -1;
  std::optional<double> value;  // its metric; none when not a finite, positive number
  std::optional<double> robust_z, pct_from_median;
  std::optional<std::string> rule;
};

std::string group_label(const group_value& g) {
  if (g.kind == "per_node") return "node " + g.id;
  std::string hosts;
  for (const auto& h : g.hosts) hosts += (hosts.empty() ? "" : "↔") + h;
  return (g.kind == "node_pairs" ? "node pair " : "group ") + hosts;
}

std::optional<double> value_of(const json& point, const std::string& metric) {
  for (const auto& rank : list_field(point, "ranks")) {
    const json& value = field(field(rank, "values"), metric);
    if (value.is_number() && std::isfinite(value.get<double>()) && value.get<double>() > 0)
      return value.get<double>();
    return std::nullopt;  // a group's global metric is its lowest rank's (run.json lists it first)
  }
  return std::nullopt;
}

std::optional<std::string> broken_rule(double z, double pct, bool higher_is_better, const outlier_rules& r) {
  const double bad_z = higher_is_better ? -z : z;
  const double worse_pct = higher_is_better ? -pct : pct;
  if (bad_z > r.z_threshold && worse_pct >= r.min_deviation_pct) return "z";
  if (r.below_median_pct && worse_pct > *r.below_median_pct) return "below_median";
  return std::nullopt;
}

bool worse(double a, double b, bool higher_is_better) {
  return higher_is_better ? a < b : a > b;
}

// The series a grouped point belongs to: its params but group and bytes.
std::string series_of(const json& point) {
  json params = field(point, "params");
  if (params.is_object()) {
    params.erase("group");
    params.erase("bytes");
  }
  return params.dump();
}

double bytes_of(const json& point) {
  const json& bytes = field(field(point, "params"), "bytes");
  return bytes.is_number() ? bytes.get<double>() : 0.0;
}

class series_comparison {
 public:
  series_comparison(const json& test_case, const outlier_rules& rules, std::vector<const json*> points)
      : m_case(test_case), m_rules(rules) {
    const json& first = *points.front();
    m_metric = metric_descriptor_of(first, "busbw") ? "busbw" : "algbw";
    const json* descriptor = metric_descriptor_of(first, m_metric);
    m_unit = descriptor ? text_field(*descriptor, "unit") : std::string("GB/s");
    m_statistic = descriptor ? text_field(*descriptor, "statistic") : std::string();
    m_higher_is_better = !descriptor || text_field(*descriptor, "better") != "lower";
    for (const json* point : points) {
      const json& group = field(*point, "group");
      group_value g;
      g.point = point;
      g.id = text_field(group, "id");
      g.kind = text_field(group, "kind");
      g.round = field(group, "round").is_number_integer() ? field(group, "round").get<int>() : 1;
      for (const auto& h : list_field(group, "hosts"))
        if (h.is_string()) g.hosts.push_back(h.get<std::string>());
      for (const auto& r : list_field(group, "ranks"))
        if (r.is_number_integer() && (g.lowest_rank < 0 || r.get<int>() < g.lowest_rank))
          g.lowest_rank = r.get<int>();
      g.value = value_of(*point, m_metric);
      m_kind = g.kind;
      for (const auto& h : list_field(group, "sitting_out"))
        if (h.is_string()) m_sitting_out[g.round].insert(h.get<std::string>());
      m_groups.push_back(std::move(g));
    }
  }

  void score() {
    // The centre every group is judged against. Node pairs: each host's best pair, so that a bad node
    // counts once (its two pairs would otherwise be half of four) and the centre is what a healthy node
    // reaches.
    std::vector<double> centre_set;
    if (m_kind == "node_pairs") {
      std::map<std::string, double> best;
      for (const auto& g : m_groups)
        if (g.value)
          for (const auto& h : g.hosts) {
            const auto [at, added] = best.emplace(h, *g.value);
            if (!added && worse(at->second, *g.value, m_higher_is_better)) at->second = *g.value;
          }
      for (const auto& [host, value] : best) centre_set.push_back(value);
      m_centre_of = fmt::format("the median of {} hosts' best pair", centre_set.size());
    } else {
      for (const auto& g : m_groups)
        if (g.value) centre_set.push_back(*g.value);
      m_centre_of =
          fmt::format("the median of {} {}", centre_set.size(), m_kind == "per_node" ? "nodes" : "groups");
    }
    if (centre_set.empty()) return;
    m_fleet = centre_set.size();
    m_scale = robust_scale_of(centre_set);
    const bool judged = m_fleet >= static_cast<std::size_t>(std::max(m_rules.min_fleet, 1));
    for (auto& g : m_groups) {
      if (!g.value) continue;
      g.pct_from_median = m_scale.median != 0 ? (*g.value - m_scale.median) / m_scale.median * 100.0 : 0.0;
      if (!judged) continue;
      g.robust_z = robust_z(*g.value, m_scale);
      g.rule = broken_rule(*g.robust_z, *g.pct_from_median, m_higher_is_better, m_rules);
    }
  }

  // Nodes in every one of their pairs (at least two) that is an outlier: the likely cause of them.
  std::set<std::string> suspect_hosts() const {
    std::map<std::string, std::pair<int, int>> pairs_of;  // host → (pairs, outlier pairs)
    for (const auto& g : m_groups)
      for (const auto& h : g.hosts) {
        ++pairs_of[h].first;
        if (g.rule) ++pairs_of[h].second;
      }
    std::set<std::string> suspects;
    if (m_kind != "node_pairs") return suspects;
    for (const auto& [host, counts] : pairs_of)
      if (counts.first >= 2 && counts.second == counts.first) suspects.insert(host);
    return suspects;
  }

  json outlier_check(const group_value& g) const {
    json check = {{"metric", m_metric},
                  {"params", field(*g.point, "params")},
                  {"value", *g.value},
                  {"unit", m_unit},
                  {"statistic", m_statistic},
                  {"better", m_higher_is_better ? "higher" : "lower"},
                  {"aggregation", "fleet"},
                  {"level", "group"},
                  {"rule", *g.rule},
                  {"reference", nullptr},
                  {"delta_pct", *g.pct_from_median},
                  {"outcome", to_string(outcome::outlier)},
                  {"reason", reason(g)},
                  {"worst_rank", g.lowest_rank},
                  {"worst_host", g.hosts.empty() ? json(nullptr) : json(g.hosts.front())},
                  {"group", {{"id", g.id}, {"kind", g.kind}, {"round", g.round}, {"hosts", g.hosts}}},
                  {"robust_z", *g.robust_z},
                  {"ranks_measured", list_field(*g.point, "ranks").size()},
                  {"ranks_expected", list_field(field(*g.point, "group"), "ranks").size()}};
    return check;
  }

  std::string reason(const group_value& g) const {
    const std::string z = g.robust_z ? fmt::format("{:.1f}", *g.robust_z) : std::string("—");
    const std::string tail =
        *g.rule == "z"
            ? fmt::format("robust z {} (limit |z| > {} and {}% from the median)", z,
                          readable_number(m_rules.z_threshold), readable_number(m_rules.min_deviation_pct))
            : fmt::format("limit {}% {} the median (robust z {})",
                          readable_number(m_rules.below_median_pct.value_or(0)),
                          m_higher_is_better ? "below" : "above", z);
    return fmt::format("{}: {} {} {}, {:.0f}% {} {} {} {} ({}, {} B); {}", group_label(g), m_metric,
                       readable_number(*g.value), m_unit, std::fabs(*g.pct_from_median),
                       *g.pct_from_median < 0 ? "below" : "above", m_centre_of,
                       readable_number(m_scale.median), m_unit, text_field(m_case, "name"),
                       readable_number(bytes_of(*g.point)), tail);
  }

  json entry(const std::set<std::string>& suspects) const {
    json groups = json::array();
    const group_value* slowest = nullptr;
    for (const auto& g : m_groups) {
      groups.push_back({{"id", g.id},
                        {"round", g.round},
                        {"hosts", g.hosts},
                        {"rank", g.lowest_rank},
                        {"value", g.value ? json(*g.value) : json(nullptr)},
                        {"pct_from_median", g.pct_from_median ? json(*g.pct_from_median) : json(nullptr)},
                        {"robust_z", g.robust_z ? json(*g.robust_z) : json(nullptr)},
                        {"outlier", g.rule.has_value()}});
      // The slowest: a group without a valid value first (its own check FAILs), else the worst value.
      if (!slowest || (slowest->value && (!g.value || worse(*g.value, *slowest->value, m_higher_is_better))))
        slowest = &g;
    }
    json params = field(*m_groups.front().point, "params");
    params.erase("group");
    json sitting_out = json::array();
    for (const auto& [round, hosts] : m_sitting_out)
      sitting_out.push_back({{"round", round}, {"hosts", hosts}});
    json outliers = json::array();
    for (const auto& g : m_groups)
      if (g.rule) outliers.push_back({{"id", g.id}, {"hosts", g.hosts}, {"reason", reason(g)}});
    return {
        {"case_id", text_field(m_case, "id")},
        {"case", text_field(m_case, "name")},
        {"benchmark", text_field(m_case, "benchmark")},
        {"kind", m_kind},
        {"params", params},
        {"metric", m_metric},
        {"unit", m_unit},
        {"better", m_higher_is_better ? "higher" : "lower"},
        {"median", m_fleet ? json(m_scale.median) : json(nullptr)},
        {"median_of", m_centre_of},
        {"judged", m_fleet >= static_cast<std::size_t>(std::max(m_rules.min_fleet, 1))},
        {"groups", std::move(groups)},
        {"slowest",
         {{"id", slowest->id},
          {"hosts", slowest->hosts},
          {"value", slowest->value ? json(*slowest->value) : json(nullptr)},
          {"pct_from_median", slowest->pct_from_median ? json(*slowest->pct_from_median) : json(nullptr)}}},
        {"outliers", std::move(outliers)},
        {"suspect_hosts", suspects},
        {"sitting_out", std::move(sitting_out)}};
  }

  const std::vector<group_value>& groups() const { return m_groups; }
  const std::string& metric() const { return m_metric; }
  const std::string& unit() const { return m_unit; }

 private:
  static const json* metric_descriptor_of(const json& point, const std::string& name) {
    for (const auto& m : list_field(point, "metrics"))
      if (text_field(m, "name") == name) return &m;
    return nullptr;
  }

  const json& m_case;
  const outlier_rules& m_rules;
  std::string m_metric, m_unit, m_statistic, m_kind, m_centre_of;
  bool m_higher_is_better = true;
  std::vector<group_value> m_groups;
  std::map<int, std::set<std::string>> m_sitting_out;
  robust_scale m_scale;
  std::size_t m_fleet = 0;
};

}  // namespace

void compare_groups(const json& test_case, const outlier_rules& rules, fleet_checks& found,
                    device_verdicts& verdicts, json& entries) {
  // Each series' points at its largest bytes, in the order the case lists them.
  std::map<std::string, std::pair<double, std::vector<const json*>>> series;
  std::vector<std::string> order;
  for (const auto& point : list_field(test_case, "results")) {
    // A point that measured nothing (SKIPPED: no metric) is not compared. Its ranks' `skipped` is not read:
    // `exacheck report` parses run.json without it (harness/results/run_read.cpp).
    if (!field(point, "group").is_object() || list_field(point, "metrics").empty()) continue;
    const std::string key = series_of(point);
    const double bytes = bytes_of(point);
    auto [at, added] = series.try_emplace(key, bytes, std::vector<const json*>{});
    if (added) order.push_back(key);
    if (bytes > at->second.first) at->second = {bytes, {}};
    if (bytes == at->second.first) at->second.second.push_back(&point);
  }
  for (const auto& key : order) {
    series_comparison comparison(test_case, rules, series[key].second);
    comparison.score();
    const auto suspects = comparison.suspect_hosts();
    for (const auto& g : comparison.groups()) {
      if (!g.rule) continue;
      json check = comparison.outlier_check(g);
      device_reason why;
      why.result = outcome::outlier;
      why.kind = "group_outlier";
      why.case_id = text_field(test_case, "id");
      why.benchmark = text_field(test_case, "benchmark");
      why.metric = comparison.metric();
      why.unit = comparison.unit();
      why.params = field(*g.point, "params");
      why.value = g.value;
      why.rank = g.lowest_rank;
      why.badness = std::fabs(*g.pct_from_median);
      why.reason = text_field(check, "reason");
      // A node's own copy is its node's; a pair is its node's only when that node is in every slow pair.
      std::optional<std::string> host;
      if (g.kind == "per_node" && g.hosts.size() == 1) host = g.hosts.front();
      for (const auto& h : g.hosts)
        if (suspects.count(h)) {
          host = h;
          why.reason += fmt::format("; {} is in every one of its node pairs that is slow", h);
        }
      check["reason"] = why.reason;
      if (host) {
        check["device_count"] = 1;
        check["devices"] = json::array({check_device_json(nullptr, *host, why)});
        verdicts.add_node(*host, std::move(why));
      }
      found.add(check_key(comparison.metric(), field(*g.point, "params")), std::move(check));
    }
    entries.push_back(comparison.entry(suspects));
  }
}

}  // namespace exacheck::reports::detail
