#pragma once
// Test fixtures of run.json points (schema exacheck/run/v2) written as a worker reports its ranks: each rank
// with its `metrics` list (name, value, unit, statistic, better, description). rank_point moves the
// descriptors to the point's `metrics` and the numbers to each rank's `values`, as harness/verdicts does.
#include <nlohmann/json.hpp>
#include <string>

#include "harness/results/run_document.hpp"

namespace exacheck::testing {

inline nlohmann::json rank_point(nlohmann::json params, const std::string& scope, nlohmann::json ranks) {
  nlohmann::json point = {
      {"params", std::move(params)}, {"scope", scope}, {"metrics", nlohmann::json::array()}, {"ranks", {}}};
  point["ranks"] = nlohmann::json::array();
  for (auto& rank : ranks) {
    nlohmann::json metrics = nlohmann::json::array();
    if (rank.contains("metrics")) {
      metrics = std::move(rank["metrics"]);
      rank.erase("metrics");
    }
    add_rank_metrics(point, rank, metrics);
    point["ranks"].push_back(std::move(rank));
  }
  return point;
}

}  // namespace exacheck::testing
