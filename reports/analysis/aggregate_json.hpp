#pragma once
// Internal to analyse_run (reports/analysis/aggregate.cpp): a scored fleet as run.json "analysis" entries and
// as fleet checks (docs/run-json.md).
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "reports/analysis/metric_fleet.hpp"

namespace exacheck::reports::detail {

// Where a metric was measured and what was already judged about it.
struct metric_context {
  const nlohmann::json& test_case;
  const nlohmann::json& point;
  const std::string& statistic;
  int ranks_reported = 0;
  int ranks_expected = 0;
  const nlohmann::json* own_check = nullptr;  // the point's check of this metric (reference, fail-closed)
  const nlohmann::json& system_size;          // analysis.system_size, null without one
};

// {"nodes", "gpus_per_node", "gpus", "source"} from run.json "system", or null when it states no GPU size.
nlohmann::json system_size_json(const nlohmann::json& system);

// Identifies a (metric, point) among a case's checks.
std::string check_key(const std::string& metric, const nlohmann::json& params);

// The fleet checks found in one case, in the order found, by the (metric, point) they belong beside.
class fleet_checks {
 public:
  void add(const std::string& key, nlohmann::json check);
  bool empty() const { return m_checks.empty(); }

 private:
  friend void replace_fleet_checks(nlohmann::json& checks, fleet_checks found);
  std::vector<std::pair<std::string, nlohmann::json>> m_checks;
};

// Drops every "aggregation": "fleet" check of `checks` and puts each of `found` right after its metric's own
// check (at the end when it has none).
void replace_fleet_checks(nlohmann::json& checks, fleet_checks found);

nlohmann::json outlier_check(const metric_fleet& fleet, const fleet_outlier& outlier,
                             const metric_context& context);
nlohmann::json metric_json(const metric_fleet& fleet, const std::vector<fleet_outlier>& outliers,
                           const metric_context& context);
// A collective's point: its busbw, algbw and time (rank 0's: global metrics are the same on every rank).
nlohmann::json collective_json(const nlohmann::json& test_case, const nlohmann::json& point, int ranks);

}  // namespace exacheck::reports::detail
