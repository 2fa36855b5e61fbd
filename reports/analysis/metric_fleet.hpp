#pragma once
// Internal to the analysis (reports/aggregate*.cpp, reports/analysis/fleet_outliers.cpp): one metric of one
// point of one case, seen as a fleet of GPUs and nodes. run.json "analysis" (docs/run-json.md) is written
// from these.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/plan/outlier_rules.hpp"
#include "harness/results/device_identity.hpp"
#include "reports/analysis/fleet_statistics.hpp"

namespace exacheck::reports::detail {

// The run's table of GPUs (harness/results/device_identity.hpp), named here as the analysis always has.
using exacheck::device_identity;
using exacheck::device_table_json;
using exacheck::identity_description;
using exacheck::identity_key;
using exacheck::table_order;

struct device_value {
  std::size_t identity = 0;  // into metric_fleet::identities (the run's table of GPUs)
  int rank = 0;              // the lowest rank on it at this point
  std::optional<double>
      value;  // unset: invalid (NaN, infinite, zero or negative, or missing on one of its ranks)
  std::optional<double> robust_z;         // unset when invalid or its fleet is smaller than min_fleet
  std::optional<double> pct_from_median;  // (value − fleet median) / fleet median × 100
  std::size_t fleet_size = 0;             // valid GPUs of its model
  double fleet_median = 0;
};

struct node_value {
  std::string host;
  std::string model;  // its GPUs' name ("A + B" when they differ): nodes are compared with same-model nodes
  int gpus = 0;       // GPUs with a valid value
  int invalid = 0;    // GPUs without one
  std::optional<double> value;  // mean over its valid GPUs
  std::optional<double> sum;    // only for rates
  std::optional<double> robust_z, pct_from_median;
  std::size_t fleet_size = 0;
  double fleet_median = 0;
  std::size_t worst_device = 0;  // into metric_fleet::devices: names the rank of a node check
};

struct metric_fleet {
  std::string benchmark, metric, unit;
  bool higher_is_better = true;
  bool rate = false;
  // The point's values are its nodes' (run.json scope "node": every rank of a node reports the node's
  // value, e.g. copybw's p2p matrix): only nodes are judged, never one GPU against another.
  bool node_scoped = false;
  const std::vector<device_identity>* identities = nullptr;
  std::vector<device_value> devices;  // ordered by host, then gpu
  std::vector<node_value> nodes;      // ordered by host
  distribution valid;                 // over the valid devices' values
  std::size_t invalid = 0;            // devices without a valid value
  std::optional<std::size_t> worst_device, worst_node;

  const device_identity& identity_of(const device_value& d) const { return (*identities)[d.identity]; }
};

struct fleet_outlier {
  std::string level;      // gpu | node | spread
  std::string rule;       // z | below_median | spread
  std::size_t index = 0;  // into devices (gpu, spread) or nodes (node)
  double value = 0;
  std::optional<double> robust_z;
  double pct_from_median = 0;
  std::optional<double> spread_pct, max_pct;
  std::string reason;
};

// Builds the nodes from the devices, computes the distribution, the worst GPU and node, and every robust z
// and distance from the median (per same-model fleet).
void score_fleet(metric_fleet& fleet, const outlier_rules& rules);
// What the rules flag, GPUs first, then nodes, then spread; within a level the worst first.
std::vector<fleet_outlier> find_outliers(const metric_fleet& fleet, const outlier_rules& rules);

// "node017 GPU 2 (GPU-8f…)", "node001 CPU 0".
std::string device_label(const device_identity& identity);

}  // namespace exacheck::reports::detail
