#pragma once
// The system-wide analysis of a run (docs/run-json.md "analysis"): every rank-scoped metric aggregated
// rank → GPU → node → system (distribution, worst GPU and node, totals of rates, projection to the system's
// size) and the fleet outliers, which become OUTLIER checks. Renderers only render what this writes.
#include <nlohmann/json.hpp>

#include "harness/plan/outlier_rules.hpp"

namespace exacheck::reports {

// Computes run["analysis"], replaces every check with "aggregation": "fleet" in run["cases"][*]["checks"] by
// the fleet outlier checks found now, recomputes each such case's outcome and the run's summary, verdict and
// exit code. Idempotent: analysing an analysed run with the same rules changes nothing. Cost: linear in the
// number of (rank, metric) values, one sort per metric and fleet.
void analyse_run(nlohmann::json& run, const outlier_rules& rules);
}  // namespace exacheck::reports
