// Fleet outliers (docs/run-json.md "analysis"): every GPU and node compared with the GPUs and nodes of the
// same model by robust z and distance from the median, and the spread of a metric over the GPUs.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "reports/analysis/format.hpp"
#include "reports/analysis/metric_fleet.hpp"

namespace exacheck::reports::detail {
namespace {

// Ranks values so that the worst comes first: lower first when higher is better.
bool worse_than(double a, double b, bool higher_is_better) {
  return higher_is_better ? a < b : a > b;
}

// Robust z and signed distance from the median for every member (device or node, each with a valid value)
// of one same-model fleet.
template <typename Member>
void score_members(std::vector<Member*>& members, const outlier_rules& rules) {
  std::vector<double> values;
  values.reserve(members.size());
  for (const Member* m : members) values.push_back(*m->value);
  const robust_scale fleet = robust_scale_of(values);
  const bool enough = members.size() >= static_cast<std::size_t>(std::max(rules.min_fleet, 1));
  for (Member* m : members) {
    m->fleet_size = members.size();
    m->fleet_median = fleet.median;
    m->pct_from_median = fleet.median != 0 ? (*m->value - fleet.median) / fleet.median * 100.0 : 0.0;
    if (enough) m->robust_z = robust_z(*m->value, fleet);
  }
}

void score_devices(metric_fleet& f, const outlier_rules& rules) {
  std::unordered_map<std::string_view, std::vector<device_value*>> by_model;
  for (auto& d : f.devices) {
    d.robust_z.reset();
    d.pct_from_median.reset();
    if (d.value) by_model[f.identity_of(d).name].push_back(&d);
  }
  for (auto& [model, members] : by_model) score_members(members, rules);
}

// Devices are ordered by host: each node is one contiguous run of them.
void build_nodes(metric_fleet& f) {
  f.nodes.clear();
  for (std::size_t begin = 0; begin < f.devices.size();) {
    const std::string& host = f.identity_of(f.devices[begin]).host;
    std::size_t end = begin;
    node_value node;
    node.host = host;
    double sum = 0;
    std::vector<std::string_view> models;
    std::optional<std::size_t> worst;
    for (; end < f.devices.size() && f.identity_of(f.devices[end]).host == host; ++end) {
      const device_value& d = f.devices[end];
      const std::string& name = f.identity_of(d).name;
      if (std::find(models.begin(), models.end(), name) == models.end()) models.push_back(name);
      if (!d.value) {
        if (!worst || f.devices[*worst].value) worst = end;  // an invalid GPU is the worst
        ++node.invalid;
        continue;
      }
      ++node.gpus;
      sum += *d.value;
      if (!worst ||
          (f.devices[*worst].value && worse_than(*d.value, *f.devices[*worst].value, f.higher_is_better)))
        worst = end;
    }
    std::sort(models.begin(), models.end());
    for (const auto model : models) node.model += (node.model.empty() ? "" : " + ") + std::string(model);
    if (node.gpus > 0) {
      node.value = sum / node.gpus;
      if (f.rate) node.sum = sum;
    }
    node.worst_device = worst.value_or(begin);
    f.nodes.push_back(std::move(node));
    begin = end;
  }
}

void score_nodes(metric_fleet& f, const outlier_rules& rules) {
  std::unordered_map<std::string_view, std::vector<node_value*>> by_model;
  for (auto& n : f.nodes)
    if (n.value) by_model[n.model].push_back(&n);
  for (auto& [model, members] : by_model) score_members(members, rules);
}

// Fail closed: what has an invalid value is the worst; then the worst value in the metric's bad direction.
template <typename Member, typename Invalid>
std::optional<std::size_t> worst_of(const std::vector<Member>& members, bool higher_is_better,
                                    Invalid has_invalid) {
  std::optional<std::size_t> worst;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const Member& m = members[i];
    if (!worst) {
      worst = i;
      continue;
    }
    const Member& w = members[*worst];
    if (has_invalid(w)) continue;
    if (has_invalid(m) || (m.value && (!w.value || worse_than(*m.value, *w.value, higher_is_better))))
      worst = i;
  }
  return worst;
}

std::string number(double value) {
  return readable_number(value);
}

std::string side_of(double pct) {
  return pct < 0 ? "below" : "above";
}

std::string rule_tail(const std::string& rule, std::optional<double> z, const metric_fleet& f,
                      const outlier_rules& rules) {
  const std::string z_text = z ? fmt::format("{:.1f}", *z) : std::string(missing_mark);
  if (rule == "z")
    return fmt::format("; robust z {} (limit |z| > {} and {}% from the median)", z_text,
                       number(rules.z_threshold), number(rules.min_deviation_pct));
  return fmt::format("; limit {}% {} the median (robust z {})", number(rules.below_median_pct.value_or(0)),
                     f.higher_is_better ? "below" : "above", z_text);
}

// Which rule a member breaks, if any: z first, then the distance from the median.
std::optional<std::string> broken_rule(std::optional<double> z, std::optional<double> pct,
                                       bool higher_is_better, const outlier_rules& rules) {
  if (!z || !pct) return std::nullopt;
  const double bad_z = higher_is_better ? -*z : *z;
  const double worse_pct = higher_is_better ? -*pct : *pct;
  if (bad_z > rules.z_threshold && worse_pct >= rules.min_deviation_pct) return "z";
  if (rules.below_median_pct && worse_pct > *rules.below_median_pct) return "below_median";
  return std::nullopt;
}

}  // namespace

std::string device_label(const device_identity& identity) {
  const std::string label =
      fmt::format("{} {} {}", identity.host, identity.kind == "cpu" ? "CPU" : "GPU", identity.gpu);
  return identity.uuid.empty() ? label : fmt::format("{} ({})", label, identity.uuid);
}

void score_fleet(metric_fleet& f, const outlier_rules& rules) {
  std::vector<double> values;
  values.reserve(f.devices.size());
  f.invalid = 0;
  for (const auto& d : f.devices) {
    if (d.value)
      values.push_back(*d.value);
    else
      ++f.invalid;
  }
  f.valid = distribution_of(std::move(values));
  score_devices(f, rules);
  build_nodes(f);
  score_nodes(f, rules);
  f.worst_device = worst_of(f.devices, f.higher_is_better, [](const device_value& d) { return !d.value; });
  f.worst_node = worst_of(f.nodes, f.higher_is_better, [](const node_value& n) { return n.invalid > 0; });
}

std::vector<fleet_outlier> find_outliers(const metric_fleet& f, const outlier_rules& rules) {
  std::vector<fleet_outlier> found;
  const auto worst_first = [&](std::size_t from) {
    std::stable_sort(found.begin() + static_cast<std::ptrdiff_t>(from), found.end(),
                     [&](const fleet_outlier& a, const fleet_outlier& b) {
                       return f.higher_is_better ? a.pct_from_median < b.pct_from_median
                                                 : a.pct_from_median > b.pct_from_median;
                     });
  };
  for (std::size_t i = 0; i < f.devices.size(); ++i) {
    const device_value& d = f.devices[i];
    const device_identity& id = f.identity_of(d);
    // A cpu "device" is a rank sharing its node's memory and cores with the others there: its differences are
    // the sharing's, so only nodes are judged; so are the values of a node-scoped point.
    if (id.kind == "cpu" || f.node_scoped) continue;
    const auto rule = broken_rule(d.robust_z, d.pct_from_median, f.higher_is_better, rules);
    if (!rule) continue;
    found.push_back({"gpu", *rule, i, *d.value, d.robust_z, *d.pct_from_median, std::nullopt, std::nullopt,
                     fmt::format("{}: {} {} is {:.1f}% {} the fleet median {} {} of {} {}{}",
                                 device_label(id), number(*d.value), f.unit, std::fabs(*d.pct_from_median),
                                 side_of(*d.pct_from_median), number(d.fleet_median), f.unit, d.fleet_size,
                                 id.name, rule_tail(*rule, d.robust_z, f, rules))});
  }
  worst_first(0);
  const std::size_t nodes_from = found.size();
  // A CPU node's "devices" are its ranks: said so, not counted as GPUs.
  const bool cpu_ranks = std::any_of(f.devices.begin(), f.devices.end(),
                                     [&](const device_value& d) { return f.identity_of(d).kind == "cpu"; });
  const char* counted = cpu_ranks ? "CPU rank(s)" : "GPUs";
  const char* per = cpu_ranks ? "rank" : "GPU";
  for (std::size_t i = 0; i < f.nodes.size(); ++i) {
    const node_value& n = f.nodes[i];
    const auto rule = broken_rule(n.robust_z, n.pct_from_median, f.higher_is_better, rules);
    if (!rule) continue;
    found.push_back(
        {"node", *rule, i, *n.value, n.robust_z, *n.pct_from_median, std::nullopt, std::nullopt,
         fmt::format("{} ({} {}): mean {} {} per {} is {:.1f}% {} the median {} {} of {} nodes "
                     "of {}{}",
                     n.host, n.gpus, counted, number(*n.value), f.unit, per, std::fabs(*n.pct_from_median),
                     side_of(*n.pct_from_median), number(n.fleet_median), f.unit, n.fleet_size, n.model,
                     rule_tail(*rule, n.robust_z, f, rules))});
  }
  worst_first(nodes_from);
  const auto& dist = f.valid;
  for (const auto& spread : rules.spread) {
    if (spread.benchmark != f.benchmark || spread.metric != f.metric || cpu_ranks || f.node_scoped) continue;
    if (dist.count < static_cast<std::size_t>(std::max(rules.min_fleet, 1)) || !dist.spread_pct ||
        *dist.spread_pct <= spread.max_pct)
      continue;
    // The spread names the GPU furthest from the median in the bad direction.
    std::optional<std::size_t> worst;
    for (std::size_t i = 0; i < f.devices.size(); ++i)
      if (f.devices[i].value &&
          (!worst || worse_than(*f.devices[i].value, *f.devices[*worst].value, f.higher_is_better)))
        worst = i;
    const device_value& d = f.devices[*worst];
    const double pct = (*d.value - dist.median) / dist.median * 100.0;
    found.push_back(
        {"spread", "spread", *worst, *d.value, d.robust_z, pct, dist.spread_pct, spread.max_pct,
         fmt::format("{} {}: spread over {} GPUs is {:.1f}% ((max − min) / mean: {} to {} {}, mean {}), "
                     "limit {}%; worst {}: {} {}, {:.1f}% {} the median {} {}",
                     f.benchmark, f.metric, dist.count, *dist.spread_pct, number(dist.min), number(dist.max),
                     f.unit, number(dist.mean), number(spread.max_pct), device_label(f.identity_of(d)),
                     number(*d.value), f.unit, std::fabs(pct), side_of(pct), number(dist.median), f.unit)});
  }
  return found;
}

}  // namespace exacheck::reports::detail
