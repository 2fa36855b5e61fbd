// analyse_run: walks run.json's cases once, turns every rank-scoped metric of every point into a fleet of
// GPUs and nodes (reports/analysis/fleet_outliers.cpp scores it), and writes run["analysis"] and the fleet
// checks.
#include "reports/analysis/aggregate.hpp"

#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "harness/results/run_document.hpp"
#include "reports/analysis/aggregate_json.hpp"
#include "reports/analysis/device_verdicts.hpp"
#include "reports/analysis/format.hpp"
#include "reports/analysis/group_comparison.hpp"

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

// The run's GPUs, each once (analysis.devices), and the GPUs of each point as positions in it.
class device_table {
 public:
  // One GPU of one point: ranks with the same GPU (same UUID, or same host and PCI bus id or index) share it.
  struct point_device {
    std::size_t identity = 0;        // into entries()
    int rank = 0;                    // the lowest rank on it
    std::vector<std::size_t> ranks;  // positions in the point's "ranks" array
  };

  // The GPUs the ranks of one point ran on, ordered by host, then index. Reads each rank's strings in place:
  // only a GPU met for the first time in the run is copied into the table.
  explicit device_table(const json& run) : m_run(run) {}

  std::vector<point_device> devices_of(const json& ranks) {
    std::vector<point_device> devices;
    devices.reserve(ranks.size());
    ++m_point;
    for (std::size_t r = 0; r < ranks.size(); ++r) {
      const json& rank = ranks[r];
      const json& device = rank_device(m_run, rank);
      const std::string_view host = text_of(field(rank, "host"));
      const std::string_view kind = text_of(field(device, "kind"));
      const std::string_view uuid = text_of(field(device, "uuid"));
      const std::string_view pci_bus_id = text_of(field(device, "pci_bus_id"));
      const int local_rank = integer_or(field(rank, "local_rank"), 0);
      const int index = kind == "gpu" ? integer_or(field(device, "index"), local_rank) : local_rank;
      const int rank_number = integer_or(field(rank, "rank"), static_cast<int>(r));
      detail::identity_key(m_key, host, kind, uuid, pci_bus_id, index);
      const std::size_t key = key_id_of(m_key);
      if (m_key_seen_at[key] == m_point) {
        point_device& shared = devices[m_key_position[key]];
        shared.ranks.push_back(r);
        shared.rank = std::min(shared.rank, rank_number);
        continue;
      }
      m_key_seen_at[key] = m_point;
      m_key_position[key] = devices.size();
      std::string_view name = text_of(field(device, "name"));
      if (name.empty()) name = "unknown device";
      const std::string_view serial = text_of(field(device, "serial"));
      devices.push_back({entry_for(key, host, kind, uuid, serial, name, index), rank_number, {r}});
    }
    const auto by_host_then_gpu = [&](const point_device& a, const point_device& b) {
      const device_identity& x = m_entries[a.identity];
      const device_identity& y = m_entries[b.identity];
      return std::tie(x.host, x.gpu, x.key) < std::tie(y.host, y.gpu, y.key);
    };
    // Ranks are usually in that order already: checking costs one comparison per GPU, sorting ~20.
    if (!std::is_sorted(devices.begin(), devices.end(), by_host_then_gpu))
      std::sort(devices.begin(), devices.end(), by_host_then_gpu);
    return devices;
  }

  const std::vector<device_identity>& entries() const { return m_entries; }

  // Positions in table order (detail::table_order): order()[i] is the entry written at i.
  std::vector<std::size_t> order() const {
    std::vector<std::size_t> order(m_entries.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return detail::table_order(m_entries[a], m_entries[b]); });
    return order;
  }

 private:
  static std::string_view text_of(const json& value) {
    return value.is_string() ? std::string_view(value.get_ref<const std::string&>()) : std::string_view();
  }

  // Identity keys are numbered as met: a rank's key is looked up once, never copied after its first time.
  std::size_t key_id_of(const std::string& key) {
    if (const auto found = m_key_ids.find(key); found != m_key_ids.end()) return found->second;
    m_key_ids.emplace(key, m_key_entries.size());
    m_key_entries.emplace_back();
    m_key_seen_at.push_back(0);
    m_key_position.push_back(0);
    return m_key_entries.size() - 1;
  }

  // The table entry of a GPU as this rank describes it: the same GPU described differently by another point
  // (another index, say) is another entry, so that every point's GPUs read back as that point saw them.
  std::size_t entry_for(std::size_t key, std::string_view host, std::string_view kind, std::string_view uuid,
                        std::string_view serial, std::string_view name, int index) {
    for (const std::size_t e : m_key_entries[key]) {
      const device_identity& known = m_entries[e];
      if (known.host == host && known.gpu == index && known.kind == kind && known.uuid == uuid &&
          known.serial == serial && known.name == name)
        return e;
    }
    m_key_entries[key].push_back(m_entries.size());
    m_entries.push_back({m_key, std::string(host), std::string(uuid), std::string(serial), std::string(name),
                         std::string(kind), index});
    return m_entries.size() - 1;
  }

  const json& m_run;
  std::vector<device_identity> m_entries;
  std::unordered_map<std::string, std::size_t> m_key_ids;  // identity key → key id
  std::vector<std::vector<std::size_t>> m_key_entries;  // key id → its entries (one unless described apart)
  std::vector<std::size_t> m_key_seen_at;               // key id → the last point (m_point) it was on
  std::vector<std::size_t> m_key_position;              // key id → its position in that point's devices
  std::size_t m_point = 0;
  std::string m_key;  // reused: no allocation per rank
};

using point_device = device_table::point_device;

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
std::optional<double> device_value_of(const point_device& id, const metric_column& column, bool rate) {
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
  analyser(json& run, const outlier_rules& rules) : m_run(run), m_rules(rules), m_table(run) {
    m_size = detail::system_size_json(field(run, "system"));
  }

  void analyse() {
    json& cases = m_run["cases"];
    if (!cases.is_array()) cases = json::array();
    for (std::size_t i = 0; i < cases.size(); ++i) analyse_case(i, cases[i]);
    const auto order = m_table.order();
    number_devices(order);
    std::vector<const device_identity*> table;
    table.reserve(order.size());
    for (const std::size_t i : order) table.push_back(&m_table.entries()[i]);
    json analysis = {{"rules", to_json(m_rules)},
                     {"system_size", m_size},
                     {"measured", measured_json()},
                     {"devices", detail::device_table_json(m_table.entries(), order)},
                     {"metrics", std::move(m_metrics)},
                     {"collectives", collectives_json()},
                     {"device_verdicts", m_verdicts.to_json(table, field(m_run, "provenance"))}};
    // Only in runs with grouped collectives: every other run.json stays as it was.
    if (!m_groups.empty()) analysis["groups"] = std::move(m_groups);
    m_run["analysis"] = std::move(analysis);
    const bool interrupted = field(m_run, "interrupted") == true;
    const json& complete = field(m_run, "complete");
    update_summary(m_run, interrupted, complete.is_boolean() ? complete.get<bool>() : !interrupted);
  }

 private:
  void analyse_case(std::size_t case_index, json& test_case) {
    // Each (metric, point)'s own checks (reference, fail-closed) before this analysis replaces the fleet
    // ones; what an earlier analysis said of their devices goes, and is said again below.
    std::unordered_map<std::string, json*> metric_checks;
    bool had_fleet_checks = false;
    if (json* checks = mutable_list(test_case, "checks"))
      for (auto& check : *checks) {
        if (text_field(check, "aggregation") == "fleet") {
          had_fleet_checks = true;
          continue;
        }
        for (const char* annotation : {"devices", "device_count", "slowest_rank"}) check.erase(annotation);
        metric_checks.emplace(check_key(text_field(check, "metric"), field(check, "params")), &check);
      }
    detail::fleet_checks found;
    const int ranks_expected = integer_or(field(test_case, "ranks"), 0);
    std::unordered_map<std::string, json> slowest_ranks;  // global points: params → their slowest rank
    bool devices_listed = false;
    for (const auto& point : list_field(test_case, "results")) {
      const json& ranks = list_field(point, "ranks");
      if (text_field(point, "scope") == "global") {
        // A group's copy is not the case's number at its scale; its groups are compared below instead.
        const bool grouped = field(point, "group").is_object();
        if (!grouped) consider_collective(case_index, test_case, point);
        // Every point of a case ran on the same ranks: one of them lists its GPUs (a run of collectives
        // alone has GPUs too, and they reported); each group's points on its own ranks.
        if (!devices_listed || grouped) m_table.devices_of(ranks);
        devices_listed = true;
        if (const json* slowest = slowest_rank_of(ranks))
          slowest_ranks.emplace(field(point, "params").dump(), *slowest);
        continue;
      }
      const auto columns = columns_of(point);
      if (columns.empty() && devices_listed) continue;
      const auto devices = m_table.devices_of(ranks);
      devices_listed = true;
      for (const auto& column : columns) {
        const std::string key = check_key(column.name, field(point, "params"));
        const auto own = metric_checks.find(key);
        analyse_metric(test_case, point, column, devices, own == metric_checks.end() ? nullptr : own->second,
                       ranks_expected > 0 ? ranks_expected : static_cast<int>(ranks.size()), key, found);
      }
    }
    if (json* checks = mutable_list(test_case, "checks"))
      for (auto& check : *checks) detail::attribute_described(test_case, check, m_verdicts);
    detail::compare_groups(test_case, m_rules, found, m_verdicts, m_groups);
    if (had_fleet_checks || !found.empty()) {
      detail::replace_fleet_checks(test_case["checks"], std::move(found));
      test_case["outcome"] = std::string(to_string(case_outcome(test_case["checks"])));
    }
    if (json* checks = mutable_list(test_case, "checks"))
      for (auto& check : *checks) detail::list_if_untied(test_case, check, slowest_ranks, m_verdicts);
    detail::attribute_missing_hosts(test_case, m_verdicts);
  }

  static json* mutable_list(json& object, const char* key) {
    const auto found = object.find(key);
    return found != object.end() && found->is_array() ? &*found : nullptr;
  }

  // {rank, host, ratio} of the slowest rank a collective point names, or nullptr.
  static const json* slowest_rank_of(const json& ranks) {
    for (const auto& rank : ranks) {
      const json& slowest = field(rank, "slowest_rank");
      if (slowest.is_object()) return &slowest;
    }
    return nullptr;
  }

  void analyse_metric(const json& test_case, const json& point, const metric_column& column,
                      const std::vector<point_device>& devices, json* own_check, int ranks_expected,
                      const std::string& key, detail::fleet_checks& found) {
    metric_fleet fleet;
    fleet.benchmark = text_field(test_case, "benchmark");
    fleet.metric = column.name;
    fleet.unit = column.unit;
    fleet.higher_is_better = column.higher_is_better;
    fleet.rate = is_rate_unit(column.unit);
    fleet.node_scoped = text_field(point, "scope") == "node";
    fleet.identities = &m_table.entries();
    fleet.devices.reserve(devices.size());
    m_measured.resize(m_table.entries().size(), false);
    for (const auto& d : devices) {
      detail::device_value device;
      device.identity = d.identity;
      device.rank = d.rank;
      device.value = device_value_of(d, column, fleet.rate);
      if (device.value) m_measured[d.identity] = true;
      fleet.devices.push_back(device);
    }
    score_fleet(fleet, m_rules);
    const auto outliers = find_outliers(fleet, m_rules);
    const detail::metric_context context{
        test_case, point, column.statistic, column.ranks_reported, ranks_expected, own_check, m_size};
    std::vector<json> outlier_checks;
    outlier_checks.reserve(outliers.size());
    for (const auto& outlier : outliers)
      outlier_checks.push_back(detail::outlier_check(fleet, outlier, context));
    detail::metric_attribution attribution{fleet,     test_case, field(point, "params"), fleet.node_scoped,
                                           own_check, {}};
    // Every GPU's own ranks are read again only when the point's check failed: the usual run pays nothing.
    if (own_check && text_field(*own_check, "outcome") == to_string(outcome::fail)) {
      const json& ranks = list_field(point, "ranks");
      attribution.rank_values.resize(devices.size());
      for (std::size_t d = 0; d < devices.size(); ++d)
        for (const std::size_t r : devices[d].ranks)
          attribution.rank_values[d].push_back(
              {integer_or(field(ranks[r], "rank"), static_cast<int>(r)), column.per_rank[r]});
    }
    detail::attribute_metric(attribution, outliers, outlier_checks, m_verdicts);
    for (auto& check : outlier_checks) found.add(key, std::move(check));
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

  // Distinct GPUs (by what tells them apart) and hosts with at least one valid value.
  json measured_json() const {
    std::unordered_set<std::string_view> gpus, hosts;
    const auto& entries = m_table.entries();
    for (std::size_t i = 0; i < m_measured.size(); ++i)
      if (m_measured[i]) {
        gpus.insert(entries[i].key);
        hosts.insert(entries[i].host);
      }
    return {{"gpus", gpus.size()}, {"nodes", hosts.size()}};
  }

  // The metrics' devices.index were written as entries of the table as it grew: now positions in
  // analysis.devices, which is in table order.
  void number_devices(const std::vector<std::size_t>& order) {
    std::vector<std::size_t> position(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
    for (auto& metric : m_metrics)
      for (auto& index : metric["devices"]["index"]) index = position[index.get<std::size_t>()];
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
  json m_groups = json::array();  // analysis.groups: grouped collectives compared (group_comparison.hpp)
  device_table m_table;
  std::vector<bool> m_measured;  // per table entry: has a valid value somewhere
  std::vector<collective_pick> m_collectives;
  std::unordered_map<std::string, std::size_t> m_collective_index;
  detail::device_verdicts m_verdicts;
};

}  // namespace

void analyse_run(nlohmann::json& run, const outlier_rules& rules) {
  if (!run.is_object()) throw std::invalid_argument("analyse_run: run.json is not an object");
  analyser(run, rules).analyse();
}

}  // namespace exacheck::reports
