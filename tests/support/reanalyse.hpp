#pragma once
// Tests that change a run's per-rank values must analyse it again, as `exacheck report` would: otherwise the
// run's "analysis" (which compare, export-reference and the renderers read first) still describes the old
// values.
#include <nlohmann/json.hpp>

#include "reports/analysis/aggregate.hpp"
#include "harness/plan/outlier_rules.hpp"

namespace exacheck::testing {

inline void reanalyse(nlohmann::json& run) {
  const nlohmann::json& rules = run.contains("analysis")
                                    ? run["analysis"].value("rules", nlohmann::json::object())
                                    : nlohmann::json::object();
  reports::analyse_run(run, reports::rules_from_json(rules));
}

}  // namespace exacheck::testing
