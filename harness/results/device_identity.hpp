#pragma once
// The run's GPUs, each once: what tells two apart (UUID, else host and PCI bus id, else host and index) and
// the table run.json's analysis.devices lists (docs/run-json.md "analysis"). Written by the analysis
// (reports/analysis) and by the upgrade of an older analysis (harness/results/analysis_upgrade.hpp).
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace exacheck {

// One GPU of the run: one entry of analysis.devices, the table every metric's devices point into. On the CPU
// backend every rank is its own "GPU": host and local rank.
struct device_identity {
  std::string key;  // what tells two GPUs apart: the UUID, else host and PCI bus id, index or local rank
  std::string host, uuid, serial, name, kind;
  int gpu = 0;  // index on its host (CUDA ordinal; local rank on the CPU backend)
};

// Sets `key` to what tells two GPUs apart (device_identity::key): the UUID, else host and PCI bus id (GPUs
// only), else host and index (GPUs) or local rank (CPU ranks).
void identity_key(std::string& key, std::string_view host, std::string_view kind, std::string_view uuid,
                  std::string_view pci_bus_id, int index);
// Sets `description` to everything analysis.devices writes of a GPU besides its key: one table entry each.
void identity_description(std::string& description, const std::string& key, std::string_view host,
                          std::string_view kind, std::string_view serial, std::string_view name, int index);

// The order of analysis.devices: by host, then gpu, then what tells them apart.
bool table_order(const device_identity& a, const device_identity& b);
// analysis.devices from the table and the table's positions in that order (`order[i]` = the entry at i).
nlohmann::json device_table_json(const std::vector<device_identity>& table,
                                 const std::vector<std::size_t>& order);

}  // namespace exacheck
