#pragma once
// The system-wide analysis of a run (docs/run-json.md "analysis"): every rank-scoped metric aggregated
// rank → GPU → node → system (distribution, worst GPU and node, totals of rates, projection to the system's
// size) and the fleet outliers, which become OUTLIER checks. Renderers only render what this writes.
#include <nlohmann/json.hpp>

#include "reports/outlier_rules.hpp"

namespace exacheck::reports {

// Computes run["analysis"], replaces every check with "aggregation": "fleet" in run["cases"][*]["checks"] by
// the fleet outlier checks found now, recomputes each such case's outcome and the run's summary, verdict and
// exit code. Idempotent: analysing an analysed run with the same rules changes nothing. Cost: linear in the
// number of (rank, metric) values, one sort per metric and fleet.
void analyse_run(nlohmann::json& run, const outlier_rules& rules);

// Converts run["analysis"] as exacheck wrote it before the compact form (each analysis.metrics[].devices a
// list of objects with host, gpu, rank, uuid, serial, name, value, robust_z; each .nodes a list of objects)
// into today's: the run's GPUs once in analysis.devices, per metric parallel arrays into it, and the nodes as
// parallel arrays (docs/run-json.md "analysis"), exactly what analyse_run writes for the same run. A GPU's kind, which the old form did not list per GPU, is taken
// from its metric's worst_gpu. An analysis already in today's form (or without metrics) is left as it is.
// For readers of old files (a baseline of `exacheck compare`); `exacheck report` recomputes the analysis.
void upgrade_analysis_v1(nlohmann::json& analysis);

}  // namespace exacheck::reports
