#include "reports/analysis/aggregate_json.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <tuple>
#include <unordered_map>

#include "harness/results/outcome.hpp"
#include "reports/analysis/format.hpp"

namespace exacheck::reports::detail {
namespace {

using nlohmann::json;

json optional_number(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
}
json text_or_null(const std::string& text) {
  return text.empty() ? json(nullptr) : json(text);
}

json distribution_json(const metric_fleet& f, const metric_context& context) {
  const distribution& d = f.valid;
  const auto stat = [&](double value) { return d.count > 0 ? json(value) : json(nullptr); };
  return {{"count", d.count},
          {"min", stat(d.min)},
          {"p5", stat(d.p5)},
          {"median", stat(d.median)},
          {"mean", stat(d.mean)},
          {"p95", stat(d.p95)},
          {"max", stat(d.max)},
          {"spread_pct", optional_number(d.spread_pct)},
          {"invalid", f.invalid},
          {"missing_ranks", std::max(0, context.ranks_expected - context.ranks_reported)}};
}

// Parallel arrays aligned with each other: the i-th GPU of the metric is analysis.devices[index[i]].
json devices_json(const metric_fleet& f) {
  json index = json::array(), rank = json::array(), value = json::array(), robust_z = json::array();
  for (json* column : {&index, &rank, &value, &robust_z})
    column->get_ref<json::array_t&>().reserve(f.devices.size());
  for (const auto& d : f.devices) {
    index.push_back(d.identity);  // an entry of the table as it grows; analyse_run numbers them at the end
    rank.push_back(d.rank);
    value.push_back(optional_number(d.value));
    robust_z.push_back(optional_number(d.robust_z));
  }
  return {{"index", std::move(index)},
          {"rank", std::move(rank)},
          {"value", std::move(value)},
          {"robust_z", std::move(robust_z)}};
}

// Parallel arrays like the devices', one entry per node (ordered by host): the i-th node is host[i].
json nodes_json(const metric_fleet& f) {
  json host = json::array(), gpus = json::array(), invalid = json::array(), value = json::array(),
       sum = json::array(), robust_z = json::array();
  for (json* column : {&host, &gpus, &invalid, &value, &sum, &robust_z})
    column->get_ref<json::array_t&>().reserve(f.nodes.size());
  for (const auto& n : f.nodes) {
    host.push_back(n.host);
    gpus.push_back(n.gpus);
    invalid.push_back(n.invalid);
    value.push_back(optional_number(n.value));
    sum.push_back(optional_number(n.sum));
    robust_z.push_back(optional_number(n.robust_z));
  }
  return {{"host", std::move(host)},   {"gpus", std::move(gpus)}, {"invalid", std::move(invalid)},
          {"value", std::move(value)}, {"sum", std::move(sum)},   {"robust_z", std::move(robust_z)}};
}

json worst_gpu_json(const metric_fleet& f) {
  if (!f.worst_device) return nullptr;
  const device_value& d = f.devices[*f.worst_device];
  const device_identity& id = f.identity_of(d);
  return {{"host", id.host},
          {"gpu", id.gpu},
          {"rank", d.rank},
          {"uuid", text_or_null(id.uuid)},
          {"kind", text_or_null(id.kind)},
          {"value", optional_number(d.value)}};
}

json worst_node_json(const metric_fleet& f) {
  if (!f.worst_node) return nullptr;
  const node_value& n = f.nodes[*f.worst_node];
  return {{"host", n.host}, {"value", optional_number(n.value)}, {"invalid", n.invalid}};
}

json total_json(const metric_fleet& f) {
  if (!f.rate || f.valid.count == 0) return nullptr;
  double sum = 0;
  for (const auto& d : f.devices) sum += d.value.value_or(0.0);
  return {{"value", sum}, {"unit", f.unit}, {"gpus", f.valid.count}};
}

// Never mixed with the measured total: the median GPU times the system's GPUs, with the assumption spelt out.
json projection_json(const metric_fleet& f, const json& size) {
  if (!f.rate || f.valid.count == 0 || !size.is_object()) return nullptr;
  const long long gpus = size.at("gpus").get<long long>();
  return {{"value", f.valid.median * static_cast<double>(gpus)},
          {"unit", f.unit},
          {"gpus", gpus},
          {"assumption", fmt::format("per-GPU median {} {} × {} GPUs ({} nodes × {} GPUs, system {})",
                                     readable_number(f.valid.median), f.unit, gpus, size.at("nodes").dump(),
                                     size.at("gpus_per_node").dump(), text_field(size, "source"))}};
}

json outlier_json(const metric_fleet& f, const fleet_outlier& o) {
  json entry = {{"level", o.level}};
  if (o.level == "node") {
    const node_value& n = f.nodes[o.index];
    entry.update({{"host", n.host},
                  {"gpu", nullptr},
                  {"rank", f.devices[n.worst_device].rank},
                  {"uuid", nullptr},
                  {"gpus", n.gpus}});
  } else {
    const device_identity& id = f.identity_of(f.devices[o.index]);
    entry.update({{"host", id.host},
                  {"gpu", id.gpu},
                  {"rank", f.devices[o.index].rank},
                  {"uuid", text_or_null(id.uuid)}});
  }
  entry.update({{"value", o.value},
                {"robust_z", optional_number(o.robust_z)},
                {"pct_from_median", o.pct_from_median},
                {"rule", o.rule},
                {"reason", o.reason}});
  if (o.spread_pct) entry.update({{"spread_pct", *o.spread_pct}, {"max_pct", optional_number(o.max_pct)}});
  return entry;
}

}  // namespace

json system_size_json(const json& system) {
  const json& size = field(system, "size");
  const json& nodes = field(size, "nodes");
  const json& per_node = field(size, "gpus_per_node");
  if (!nodes.is_number_integer() || !per_node.is_number_integer() || nodes.get<long long>() <= 0 ||
      per_node.get<long long>() <= 0)
    return nullptr;
  return {{"nodes", nodes},
          {"gpus_per_node", per_node},
          {"gpus", nodes.get<long long>() * per_node.get<long long>()},
          {"source", text_field(system, "name")}};
}

std::string check_key(const std::string& metric, const json& params) {
  return metric + '\x1f' + params.dump();
}

void fleet_checks::add(const std::string& key, json check) {
  m_checks.emplace_back(key, std::move(check));
}

void replace_fleet_checks(json& checks, fleet_checks found) {
  std::unordered_map<std::string, std::vector<std::size_t>> by_key;
  for (std::size_t i = 0; i < found.m_checks.size(); ++i) by_key[found.m_checks[i].first].push_back(i);
  std::vector<bool> placed(found.m_checks.size(), false);
  json rebuilt = json::array();
  if (checks.is_array())
    for (auto& check : checks) {
      if (text_field(check, "aggregation") == "fleet") continue;
      const auto own = by_key.find(check_key(text_field(check, "metric"), field(check, "params")));
      rebuilt.push_back(std::move(check));
      if (own == by_key.end()) continue;
      for (const std::size_t i : own->second) {
        rebuilt.push_back(std::move(found.m_checks[i].second));
        placed[i] = true;
      }
      by_key.erase(own);
    }
  for (std::size_t i = 0; i < found.m_checks.size(); ++i)
    if (!placed[i]) rebuilt.push_back(std::move(found.m_checks[i].second));
  checks = std::move(rebuilt);
}

json outlier_check(const metric_fleet& f, const fleet_outlier& o, const metric_context& context) {
  const bool node = o.level == "node";
  const device_value& named = f.devices[node ? f.nodes[o.index].worst_device : o.index];
  const device_identity& id = f.identity_of(named);
  json check = {{"metric", f.metric},
                {"params", field(context.point, "params")},
                {"value", o.value},
                {"unit", f.unit},
                {"statistic", context.statistic},
                {"better", f.higher_is_better ? "higher" : "lower"},
                {"aggregation", "fleet"},
                {"level", o.level},
                {"rule", o.rule},
                {"reference", nullptr},
                {"delta_pct", o.pct_from_median},
                {"outcome", to_string(outcome::outlier)},
                {"reason", o.reason},
                {"worst_rank", named.rank},
                {"worst_host", id.host},
                {"gpu", node ? json(nullptr) : json(id.gpu)},
                {"uuid", node ? json(nullptr) : text_or_null(id.uuid)},
                {"robust_z", optional_number(o.robust_z)},
                {"ranks_measured", context.ranks_reported},
                {"ranks_expected", context.ranks_expected}};
  if (o.spread_pct) check.update({{"spread_pct", *o.spread_pct}, {"max_pct", optional_number(o.max_pct)}});
  return check;
}

json metric_json(const metric_fleet& f, const std::vector<fleet_outlier>& outliers,
                 const metric_context& context) {
  const json* own = context.own_check;
  std::vector<outcome> outcomes;
  if (own)
    if (const auto o = outcome_from_string(text_field(*own, "outcome"))) outcomes.push_back(*o);
  if (!outliers.empty()) outcomes.push_back(outcome::outlier);
  json outlier_list = json::array();
  for (const auto& o : outliers) outlier_list.push_back(outlier_json(f, o));
  return {{"case_id", text_field(context.test_case, "id")},
          {"case", text_field(context.test_case, "name")},
          {"benchmark", f.benchmark},
          {"params", field(context.point, "params")},
          {"metric", f.metric},
          {"unit", f.unit},
          {"better", f.higher_is_better ? "higher" : "lower"},
          {"statistic", context.statistic},
          {"reference", own ? field(*own, "reference") : json(nullptr)},
          {"outcome", outcomes.empty() ? json(nullptr) : json(to_string(worst_of(outcomes)))},
          {"distribution", distribution_json(f, context)},
          {"devices", devices_json(f)},
          {"nodes", nodes_json(f)},
          {"worst_gpu", worst_gpu_json(f)},
          {"worst_node", worst_node_json(f)},
          {"total", total_json(f)},
          {"projection", projection_json(f, context.system_size)},
          {"outliers", std::move(outlier_list)}};
}

json collective_json(const json& test_case, const json& point, int ranks) {
  const json* rank_zero = nullptr;  // a global metric is the same on every rank: rank 0's, else the first's
  for (const auto& rank : list_field(point, "ranks")) {
    if (!rank_zero || field(rank, "rank") == 0) rank_zero = &rank;
    if (field(rank, "rank") == 0) break;
  }
  const auto metric = [&](const char* name) -> json {
    if (rank_zero)
      for (const auto& m : list_field(point, "metrics"))
        if (text_field(m, "name") == name) {
          const json* value = rank_value(*rank_zero, name);
          if (value && value->is_number()) return {{"value", *value}, {"unit", field(m, "unit")}};
        }
    return nullptr;
  };
  return {{"case_id", text_field(test_case, "id")},
          {"case", text_field(test_case, "name")},
          {"benchmark", text_field(test_case, "benchmark")},
          {"params", field(point, "params")},
          {"ranks", ranks},
          {"busbw", metric("busbw")},
          {"algbw", metric("algbw")},
          {"time", metric("time")}};
}

}  // namespace exacheck::reports::detail
