// upgrade_analysis_v1: an analysis with one object per GPU per metric (exacheck/run/v1 before the compact
// form) as analyse_run writes it today (docs/run-json.md "analysis").
#include "harness/results/analysis_upgrade.hpp"

#include <algorithm>
#include <initializer_list>
#include <string>
#include <unordered_map>
#include <vector>

#include "harness/results/device_identity.hpp"
#include "harness/results/run_fields.hpp"

namespace exacheck {
namespace {

using nlohmann::json;

bool old_form(const json& metrics) {
  for (const auto& metric : metrics)
    if (field(metric, "devices").is_array() || field(metric, "nodes").is_array()) return true;
  return false;
}

// One object per entry → one array per member (`members`, in that order), entries aligned.
json columns_of(const json& objects, std::initializer_list<const char*> members) {
  json columns = json::object();
  for (const char* member : members) {
    json column = json::array();
    for (const auto& object : objects) column.push_back(field(object, member));
    columns[member] = std::move(column);
  }
  return columns;
}

}  // namespace

void upgrade_analysis_v1(json& analysis) {
  if (!analysis.is_object()) return;
  const auto metrics = analysis.find("metrics");
  if (metrics == analysis.end() || !metrics->is_array() || !old_form(*metrics)) return;
  std::vector<device_identity> table;
  std::unordered_map<std::string, std::size_t> entry_of;  // identity_description → table entry
  std::vector<std::vector<std::size_t>> entries(metrics->size());
  std::string key, description;
  for (std::size_t m = 0; m < metrics->size(); ++m) {
    const json& devices = field((*metrics)[m], "devices");
    if (!devices.is_array()) continue;
    // The old form named a GPU's kind only in worst_gpu: one metric's GPUs are all of one backend.
    const std::string kind = text_field(field((*metrics)[m], "worst_gpu"), "kind");
    for (const auto& device : devices) {
      const std::string host = text_field(device, "host");
      const std::string uuid = text_field(device, "uuid");
      const std::string serial = text_field(device, "serial");
      std::string name = text_field(device, "name");
      if (name.empty()) name = "unknown device";
      const json& gpu = field(device, "gpu");
      const int index = gpu.is_number_integer() ? gpu.get<int>() : 0;
      identity_key(key, host, kind, uuid, "", index);
      identity_description(description, key, host, kind, serial, name, index);
      const auto [found, inserted] = entry_of.emplace(description, table.size());
      if (inserted) table.push_back({key, host, uuid, serial, name, kind, index});
      entries[m].push_back(found->second);
    }
  }
  std::vector<std::size_t> order(table.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return table_order(table[a], table[b]); });
  std::vector<std::size_t> position(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
  bool converted_devices = false;
  for (std::size_t m = 0; m < metrics->size(); ++m) {
    json& metric = (*metrics)[m];
    if (field(metric, "nodes").is_array())
      metric["nodes"] = columns_of(metric["nodes"], {"host", "gpus", "invalid", "value", "sum", "robust_z"});
    if (!metric.is_object() || !field(metric, "devices").is_array()) continue;
    json index = json::array(), rank = json::array(), value = json::array(), robust_z = json::array();
    const json& devices = metric["devices"];
    for (std::size_t d = 0; d < devices.size(); ++d) {
      index.push_back(position[entries[m][d]]);
      rank.push_back(field(devices[d], "rank"));
      value.push_back(field(devices[d], "value"));
      robust_z.push_back(field(devices[d], "robust_z"));
    }
    converted_devices = true;
    metric["devices"] = {{"index", std::move(index)},
                         {"rank", std::move(rank)},
                         {"value", std::move(value)},
                         {"robust_z", std::move(robust_z)}};
  }
  if (converted_devices) analysis["devices"] = device_table_json(table, order);
}

}  // namespace exacheck
