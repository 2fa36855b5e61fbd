// analyse_run: walks run.json's cases once, turns every rank-scoped metric of every point into a fleet of
// GPUs and nodes (reports/fleet_outliers.cpp scores it), and writes run["analysis"] and the fleet checks.
#include "reports/aggregate.hpp"

#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "harness/run_document.hpp"
#include "reports/aggregate_json.hpp"
#include "reports/format.hpp"

namespace exacheck::reports {
namespace {

using detail::check_key;
using detail::device_identity;
using detail::metric_fleet;
using nlohmann::json;

constexpr char key_separator = '\x1f';

int integer_or(const json& value, int fallback) {
  return value.is_number_integer() ? value.get<int>() : fallback;
}

// The GPUs the ranks of one point ran on, ordered by host, then index. Ranks with the same GPU (same UUID, or
// same host and PCI bus id or index) share one identity.
std::vector<device_identity> identities_of(const json& ranks) {
  std::vector<device_identity> identities;
  std::unordered_map<std::string, std::size_t> by_key;
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    const json& rank = ranks[r];
    const json& device = field(rank, "device");
    device_identity id;
    id.host = text_field(rank, "host");
    id.kind = text_field(device, "kind");
    id.uuid = text_field(device, "uuid");
    id.serial = text_field(device, "serial");
    id.pci_bus_id = text_field(device, "pci_bus_id");
    id.name = text_field(device, "name");
    if (id.name.empty()) id.name = "unknown device";
    const int local_rank = integer_or(field(rank, "local_rank"), 0);
    const bool gpu = id.kind == "gpu";
    id.gpu = gpu ? integer_or(field(device, "index"), local_rank) : local_rank;
    id.rank = integer_or(field(rank, "rank"), static_cast<int>(r));
    if (!id.uuid.empty())
      id.key = "uuid:" + id.uuid;
    else if (gpu && !id.pci_bus_id.empty())
      id.key = id.host + key_separator + "pci:" + id.pci_bus_id;
    else
      id.key = id.host + key_separator + (gpu ? "index:" : "local:") + std::to_string(id.gpu);
    const auto [found, inserted] = by_key.emplace(id.key, identities.size());
    if (inserted) {
      id.ranks.push_back(r);
      identities.push_back(std::move(id));
    } else {
      device_identity& shared = identities[found->second];
      shared.ranks.push_back(r);
      shared.rank = std::min(shared.rank, id.rank);
    }
  }
  std::sort(identities.begin(), identities.end(), [](const device_identity& a, const device_identity& b) {
    return std::tie(a.host, a.gpu, a.key) < std::tie(b.host, b.gpu, b.key);
  });
  return identities;
}

// One metric of one point: every rank's value (NaN where it reported none or null).
struct metric_column {
  std::string name, unit, statistic;
  bool higher_is_better = true;
  std::vector<double> per_rank;
  int ranks_reported = 0;
};

std::vector<metric_column> columns_of(const json& point) {
  const json& ranks = list_field(point, "ranks");
  std::vector<metric_column> columns;
  for (const auto& m : list_field(point, "metrics")) {
    metric_column column{text_field(m, "name"), text_field(m, "unit"), text_field(m, "statistic"),
                         text_field(m, "better") != "lower",
                         std::vector<double>(ranks.size(), std::numeric_limits<double>::quiet_NaN())};
    for (std::size_t r = 0; r < ranks.size(); ++r) {
      const json* value = rank_value(ranks[r], column.name);
      if (!value) continue;
      if (value->is_number()) column.per_rank[r] = value->get<double>();
      ++column.ranks_reported;
    }
    columns.push_back(std::move(column));
  }
  return columns;
}

// A GPU's value: its ranks' values summed for rates (they split the GPU's work), else their mean. Invalid
// when any of its ranks has no finite, positive value: fail closed, never part of the fleet's good values.
std::optional<double> device_value_of(const device_identity& id, const metric_column& column, bool rate) {
  double sum = 0;
  for (const std::size_t r : id.ranks) {
    const double v = column.per_rank[r];
    if (!std::isfinite(v) || v <= 0) return std::nullopt;
    sum += v;
  }
  return rate ? sum : sum / static_cast<double>(id.ranks.size());
}

// The largest point of each collective (per case name and dtype), for "busbw at the largest scale".
struct collective_pick {
  std::size_t case_index = 0;
  const json* point = nullptr;
  int ranks = 0;
  double bytes = 0;
};

class analyser {
 public:
  analyser(json& run, const outlier_rules& rules) : m_run(run), m_rules(rules) {
    m_size = detail::system_size_json(field(run, "system"));
  }

  void analyse() {
    json& cases = m_run["cases"];
    if (!cases.is_array()) cases = json::array();
    for (std::size_t i = 0; i < cases.size(); ++i) analyse_case(i, cases[i]);
    json analysis = {{"rules", to_json(m_rules)},
                     {"system_size", m_size},
                     {"measured", {{"gpus", m_measured_devices.size()}, {"nodes", m_measured_hosts.size()}}},
                     {"metrics", std::move(m_metrics)},
                     {"collectives", collectives_json()}};
    m_run["analysis"] = std::move(analysis);
    const bool interrupted = field(m_run, "interrupted") == true;
    const json& complete = field(m_run, "complete");
    update_summary(m_run, interrupted, complete.is_boolean() ? complete.get<bool>() : !interrupted);
  }

 private:
  void analyse_case(std::size_t case_index, json& test_case) {
    // Each (metric, point)'s own checks (reference, fail-closed) before this analysis replaces the fleet
    // ones.
    std::unordered_map<std::string, const json*> metric_checks;
    bool had_fleet_checks = false;
    for (const auto& check : list_field(test_case, "checks")) {
      if (text_field(check, "aggregation") == "fleet")
        had_fleet_checks = true;
      else
        metric_checks.emplace(check_key(text_field(check, "metric"), field(check, "params")), &check);
    }
    detail::fleet_checks found;
    const int ranks_expected = integer_or(field(test_case, "ranks"), 0);
    for (const auto& point : list_field(test_case, "results")) {
      const json& ranks = list_field(point, "ranks");
      if (text_field(point, "scope") == "global") {
        consider_collective(case_index, test_case, point);
        continue;
      }
      const auto columns = columns_of(point);
      if (columns.empty()) continue;
      const auto identities = identities_of(ranks);
      for (const auto& column : columns) {
        const std::string key = check_key(column.name, field(point, "params"));
        const auto own = metric_checks.find(key);
        analyse_metric(test_case, point, column, identities,
                       own == metric_checks.end() ? nullptr : own->second,
                       ranks_expected > 0 ? ranks_expected : static_cast<int>(ranks.size()), key, found);
      }
    }
    if (had_fleet_checks || !found.empty()) {
      detail::replace_fleet_checks(test_case["checks"], std::move(found));
      test_case["outcome"] = std::string(to_string(case_outcome(test_case["checks"])));
    }
  }

  void analyse_metric(const json& test_case, const json& point, const metric_column& column,
                      const std::vector<device_identity>& identities, const json* own_check,
                      int ranks_expected, const std::string& key, detail::fleet_checks& found) {
    metric_fleet fleet;
    fleet.benchmark = text_field(test_case, "benchmark");
    fleet.metric = column.name;
    fleet.unit = column.unit;
    fleet.higher_is_better = column.higher_is_better;
    fleet.rate = is_rate_unit(column.unit);
    fleet.identities = &identities;
    fleet.devices.reserve(identities.size());
    for (std::size_t i = 0; i < identities.size(); ++i) {
      detail::device_value device;
      device.identity = i;
      device.value = device_value_of(identities[i], column, fleet.rate);
      fleet.devices.push_back(device);
      if (fleet.devices.back().value) {
        m_measured_devices.insert(identities[i].key);
        m_measured_hosts.insert(identities[i].host);
      }
    }
    score_fleet(fleet, m_rules);
    const auto outliers = find_outliers(fleet, m_rules);
    const detail::metric_context context{
        test_case, point, column.statistic, column.ranks_reported, ranks_expected, own_check, m_size};
    for (const auto& outlier : outliers) found.add(key, detail::outlier_check(fleet, outlier, context));
    m_metrics.push_back(detail::metric_json(fleet, outliers, context));
  }

  void consider_collective(std::size_t case_index, const json& test_case, const json& point) {
    const json& params = field(point, "params");
    const std::string key = text_field(test_case, "benchmark") + key_separator +
                            text_field(test_case, "name") + key_separator + text_field(params, "dtype");
    const int ranks =
        integer_or(field(test_case, "ranks"), static_cast<int>(list_field(point, "ranks").size()));
    const json& bytes_json = field(params, "bytes");
    const double bytes = bytes_json.is_number() ? bytes_json.get<double>() : 0.0;
    const auto [found, inserted] = m_collective_index.emplace(key, m_collectives.size());
    if (inserted) {
      m_collectives.push_back({case_index, &point, ranks, bytes});
      return;
    }
    collective_pick& pick = m_collectives[found->second];
    if (std::tie(ranks, bytes) > std::tie(pick.ranks, pick.bytes)) pick = {case_index, &point, ranks, bytes};
  }

  json collectives_json() const {
    json list = json::array();
    for (const auto& pick : m_collectives)
      list.push_back(detail::collective_json(m_run["cases"][pick.case_index], *pick.point, pick.ranks));
    return list;
  }

  json& m_run;
  const outlier_rules& m_rules;
  json m_size;
  json m_metrics = json::array();
  std::unordered_set<std::string> m_measured_devices, m_measured_hosts;
  std::vector<collective_pick> m_collectives;
  std::unordered_map<std::string, std::size_t> m_collective_index;
};

}  // namespace

void analyse_run(nlohmann::json& run, const outlier_rules& rules) {
  if (!run.is_object()) throw std::invalid_argument("analyse_run: run.json is not an object");
  analyser(run, rules).analyse();
}

}  // namespace exacheck::reports
