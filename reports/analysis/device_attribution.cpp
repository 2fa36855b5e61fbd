// attribute_metric: which devices fail one (metric, point) on their own. A check of a rank-scoped metric
// judges the worst rank; here every GPU's own ranks are judged against the same bounds, so that three GPUs
// below the contract are three FAIL GPUs, and a node that is an outlier only because one of its GPUs is slow
// is that GPU's problem, not its healthy neighbours'.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "harness/results/verdicts.hpp"
#include "reports/analysis/device_verdicts.hpp"
#include "reports/analysis/format.hpp"

namespace exacheck::reports::detail {
namespace {

using nlohmann::json;

std::string quantity(double value, const std::string& unit) {
  return fmt::format("{:.4g} {}", value, unit);
}

// The worst of a GPU's ranks that breaks the own check's rules: no valid value first (a zero or non-finite
// result never passes), then the farthest outside the reference's bounds; nullopt when every rank is fine.
std::optional<device_reason> worst_rank_of(const std::vector<rank_value>& ranks, const metric_fleet& f,
                                           const json& reference, std::optional<double> factor,
                                           const device_reason& base) {
  const json& lower = field(reference, "lower_bound");
  const json& upper = field(reference, "upper_bound");
  const std::string ref_unit = text_field(reference, "unit");
  const std::string ref_value = readable_quantity(field(reference, "value"), field(reference, "unit"));
  std::optional<device_reason> worst;
  for (const auto& [rank, value] : ranks) {
    device_reason r = base;
    r.rank = rank;
    if (!std::isfinite(value) || value <= 0) {
      r.kind = "invalid";
      r.badness = std::numeric_limits<double>::infinity();
      r.reason = fmt::format("rank {} measured {} = {}: a zero or non-finite result never passes", rank,
                             f.metric, std::isfinite(value) ? quantity(value, f.unit) : "no number");
    } else if (factor && lower.is_number() && value * *factor < lower.get<double>()) {
      const double bound = lower.get<double>();
      r.kind = "reference";
      r.value = value;
      r.badness = bound != 0 ? (bound - value * *factor) / std::fabs(bound) * 100.0 : 0.0;
      r.reason = fmt::format("{} < {}, the lower bound of reference {}", quantity(value * *factor, ref_unit),
                             quantity(bound, ref_unit), ref_value);
    } else if (factor && upper.is_number() && value * *factor > upper.get<double>()) {
      const double bound = upper.get<double>();
      r.kind = "reference";
      r.value = value;
      r.badness = bound != 0 ? (value * *factor - bound) / std::fabs(bound) * 100.0 : 0.0;
      r.reason = fmt::format("{} > {}, the upper bound of reference {}", quantity(value * *factor, ref_unit),
                             quantity(bound, ref_unit), ref_value);
    } else {
      continue;
    }
    if (!worst || r.badness > worst->badness) worst = std::move(r);
  }
  return worst;
}

// A check's "devices" (worst first, at most max_reasons_listed) and "device_count".
void annotate(json& check, std::vector<std::pair<double, json>> devices) {
  std::stable_sort(devices.begin(), devices.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  json list = json::array();
  for (std::size_t i = 0; i < devices.size() && i < max_reasons_listed; ++i)
    list.push_back(std::move(devices[i].second));
  check["device_count"] = devices.size();
  check["devices"] = std::move(list);
}

bool worse_device(const device_value& a, const device_value& b, bool higher_is_better) {
  if (!a.value) return b.value.has_value();
  if (!b.value) return false;
  return higher_is_better ? *a.value < *b.value : *a.value > *b.value;
}

}  // namespace

void attribute_metric(const metric_attribution& m, const std::vector<fleet_outlier>& outliers,
                      std::vector<json>& outlier_checks, device_verdicts& verdicts) {
  const metric_fleet& f = m.fleet;
  const bool own_failed = m.own_check && text_field(*m.own_check, "outcome") == to_string(outcome::fail) &&
                          !m.rank_values.empty();
  if (!own_failed && outliers.empty()) return;
  device_reason base;
  base.case_id = text_field(m.test_case, "id");
  base.benchmark = f.benchmark;
  base.metric = f.metric;
  base.unit = f.unit;
  base.params = m.params;
  std::vector<char> flagged(f.devices.size(), 0);  // fails this (metric, point) on its own

  if (own_failed) {
    const json& reference = field(*m.own_check, "reference");
    const std::optional<double> factor =
        reference.is_object() ? unit_conversion(f.unit, text_field(reference, "unit")) : std::nullopt;
    base.result = outcome::fail;
    std::vector<std::pair<double, json>> devices;
    std::unordered_map<std::string_view, std::size_t> node_entry;  // node-scoped: host → into `devices`
    std::vector<std::optional<device_reason>> node_reason;
    for (std::size_t i = 0; i < f.devices.size(); ++i) {
      auto why = worst_rank_of(m.rank_values[i], f, reference, factor, base);
      if (!why) continue;
      const device_identity& id = f.identity_of(f.devices[i]);
      if (m.node_scoped) {
        // Every rank of a node reports the node's value: one reason per node, never one per GPU.
        const auto [at, added] = node_entry.emplace(id.host, node_reason.size());
        if (added) node_reason.emplace_back();
        auto& kept = node_reason[at->second];
        if (!kept || why->badness > kept->badness) kept = std::move(why);
        continue;
      }
      devices.emplace_back(why->badness, check_device_json(&id, "", *why));
      flagged[i] = 1;
      verdicts.add_gpu(id.key, std::move(*why));
    }
    for (const auto& [host, at] : node_entry) {
      devices.emplace_back(node_reason[at]->badness, check_device_json(nullptr, host, *node_reason[at]));
      verdicts.add_node(std::string(host), std::move(*node_reason[at]));
    }
    if (!devices.empty()) annotate(*m.own_check, std::move(devices));
  }

  // The worst flagged GPU of each host: what a node outlier at this point is explained by.
  std::unordered_map<std::string_view, std::size_t> worst_flagged;
  const auto refresh_worst_flagged = [&] {
    worst_flagged.clear();
    for (std::size_t i = 0; i < f.devices.size(); ++i) {
      if (!flagged[i]) continue;
      const auto [at, added] = worst_flagged.emplace(f.identity_of(f.devices[i]).host, i);
      if (!added && worse_device(f.devices[i], f.devices[at->second], f.higher_is_better)) at->second = i;
    }
  };
  bool worst_flagged_ready = false;
  base.result = outcome::outlier;
  for (std::size_t k = 0; k < outliers.size(); ++k) {
    const fleet_outlier& o = outliers[k];
    device_reason why = base;
    why.value = o.value;
    why.badness = std::fabs(o.pct_from_median);
    why.reason = o.reason;
    if (o.level == "gpu" || o.level == "spread") {
      const device_value& d = f.devices[o.index];
      why.kind = o.level == "gpu" ? "outlier" : "spread";
      why.rank = d.rank;
      // A spread is the fleet's: it is a GPU's only when that GPU fails this point on its own as well.
      if (o.level == "spread" && !flagged[o.index]) continue;
      flagged[o.index] = 1;
      worst_flagged_ready = false;
      const device_identity& id = f.identity_of(d);
      // Under its device's name, a GPU outlier's reason need not name it again.
      const std::string named = device_label(id) + ": ";
      if (o.level == "gpu" && why.reason.starts_with(named)) why.reason.erase(0, named.size());
      annotate(outlier_checks[k], {{why.badness, check_device_json(&id, "", why)}});
      verdicts.add_gpu(id.key, std::move(why));
      continue;
    }
    // A node outlier: its worst flagged GPU's, else the node's own.
    const node_value& n = f.nodes[o.index];
    why.kind = "node_outlier";
    why.rank = f.devices[n.worst_device].rank;
    if (!worst_flagged_ready) refresh_worst_flagged();
    worst_flagged_ready = true;
    if (const auto found = worst_flagged.find(n.host); found != worst_flagged.end()) {
      const device_value& d = f.devices[found->second];
      const device_identity& id = f.identity_of(d);
      why.rank = d.rank;
      annotate(outlier_checks[k], {{why.badness, check_device_json(&id, "", why)}});
      verdicts.add_gpu(id.key, std::move(why));
    } else {
      annotate(outlier_checks[k], {{why.badness, check_device_json(nullptr, n.host, why)}});
      verdicts.add_node(n.host, std::move(why));
    }
  }
}

// A failing check that names its ranks ("failed_ranks": a wrong answer, a rank's error) is theirs.
void attribute_described(const json& test_case, json& check, device_verdicts& verdicts) {
  const json& failed = list_field(check, "failed_ranks");
  const auto result = outcome_from_string(text_field(check, "outcome"));
  if (failed.empty() || !result ||
      (!is_failed_check(to_string(*result)) && !is_incomplete_check(to_string(*result))))
    return;
  device_reason base;
  base.result = *result;
  base.kind = text_field(check, "metric") == "correctness" ? "correctness" : "error";
  base.case_id = text_field(test_case, "id");
  base.benchmark = text_field(test_case, "benchmark");
  base.metric = text_field(check, "metric");
  base.params = field(check, "params");
  base.badness = std::numeric_limits<double>::infinity();
  json devices = json::array();
  for (const auto& rank : failed) {
    described_device device;
    device.host = text_field(rank, "host");
    device.uuid = text_field(rank, "uuid");
    device.kind = text_field(rank, "kind");
    if (field(rank, "gpu").is_number_integer()) device.gpu = field(rank, "gpu").get<int>();
    if (field(rank, "rank").is_number_integer()) device.rank = field(rank, "rank").get<int>();
    device_reason why = base;
    why.rank = device.rank;
    why.reason =
        text_field(rank, "reason").empty() ? text_field(check, "reason") : text_field(rank, "reason");
    if (devices.size() < max_reasons_listed)
      devices.push_back({{"host", device.host},
                         {"kind", device.kind.empty() ? json(nullptr) : json(device.kind)},
                         {"gpu", device.gpu ? json(*device.gpu) : json(nullptr)},
                         {"uuid", device.uuid.empty() ? json(nullptr) : json(device.uuid)},
                         {"rank", device.rank ? json(*device.rank) : json(nullptr)},
                         {"value", nullptr},
                         {"reason", why.reason}});
    verdicts.add_described(device, std::move(why));
  }
  check["device_count"] = failed.size();
  check["devices"] = std::move(devices);
}

// A failing check that no device fails on its own: a collective's metric (the slowest rank's host named
// where the point has one), a case that did not run, fewer ranks than launched, a spread of the fleet.
void list_if_untied(const json& test_case, json& check, const std::unordered_map<std::string, json>& slowest,
                    device_verdicts& verdicts) {
  const std::string outcome_text = text_field(check, "outcome");
  const auto result = outcome_from_string(outcome_text);
  if (!result || (!is_failed_check(outcome_text) && !is_incomplete_check(outcome_text))) return;
  if (const json& count = field(check, "device_count"); count.is_number_integer() && count.get<int>() > 0)
    return;
  const bool global = text_field(check, "aggregation").starts_with("global");
  device_reason why;
  why.result = *result;
  why.kind = global                                   ? "global"
             : text_field(check, "metric") == "run"   ? "run"
             : text_field(check, "level") == "spread" ? "spread"
             : text_field(check, "level") == "group"  ? "group"
                                                      : "check";
  why.case_id = text_field(test_case, "id");
  why.benchmark = text_field(test_case, "benchmark");
  why.metric = text_field(check, "metric");
  why.unit = text_field(check, "unit");
  why.params = field(check, "params");
  if (field(check, "value").is_number()) why.value = field(check, "value").get<double>();
  why.reason = text_field(check, "reason");
  json slowest_rank = nullptr;
  if (global)
    if (const auto found = slowest.find(field(check, "params").dump()); found != slowest.end())
      slowest_rank = found->second;
  check["device_count"] = 0;
  check["devices"] = json::array();
  if (!slowest_rank.is_null()) check["slowest_rank"] = slowest_rank;
  verdicts.add_untied(std::move(why), std::move(slowest_rank));
}

}  // namespace exacheck::reports::detail
