#pragma once
// The rules that make a GPU or a node a fleet outlier (docs/plan-schema.md "outliers", docs/run-json.md
// "analysis"). Written in a plan's `outliers:` key, copied into run.json "analysis.rules", applied by
// analyse_run (reports/analysis/aggregate.hpp).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace exacheck::reports {

struct outlier_rules {
  // |robust z| past this, in the bad direction, is an OUTLIER. Robust z = (x − median) / (1.4826 · MAD).
  double z_threshold = 4.0;
  // A robust-z outlier must also be at least this many percent worse than the median: in a tight fleet (every
  // GPU within 1%) a 0.6% difference can be |z| > 4 without being a fault worth failing a run for.
  double min_deviation_pct = 5.0;
  // A GPU or node more than this many percent worse than its fleet's median is an OUTLIER (off when unset).
  std::optional<double> below_median_pct{};
  // Fewer valid same-model GPUs (or nodes) than this: no fleet rule applies (z, below_median nor spread).
  // On the cpu backend ranks share their node's memory and cores: only nodes are compared, never ranks.
  int min_fleet = 4;
  // (max − min) / mean × 100 over the GPUs of one benchmark's metric must stay within max_pct.
  struct spread_rule {
    std::string benchmark{}, metric{};
    double max_pct = 0;
    bool operator==(const spread_rule&) const = default;
  };
  std::vector<spread_rule> spread{};
  bool operator==(const outlier_rules&) const = default;
};

// Tolerant reader of run.json "analysis.rules": what is missing or null keeps its default; a value of the
// wrong type throws std::invalid_argument naming the key.
outlier_rules rules_from_json(const nlohmann::json& rules);
nlohmann::json to_json(const outlier_rules& rules);

}  // namespace exacheck::reports
