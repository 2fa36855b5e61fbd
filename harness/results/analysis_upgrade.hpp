#pragma once
// run.json's analysis as an older exacheck wrote it, brought to today's form for its readers.
#include <nlohmann/json.hpp>

namespace exacheck {

// Converts run["analysis"] as exacheck wrote it before the compact form (each analysis.metrics[].devices a
// list of objects with host, gpu, rank, uuid, serial, name, value, robust_z; each .nodes a list of objects)
// into today's: the run's GPUs once in analysis.devices, per metric parallel arrays into it, and the nodes as
// parallel arrays (docs/run-json.md "analysis"), exactly what analyse_run writes for the same run. A GPU's
// kind, which the old form did not list per GPU, is taken from its metric's worst_gpu. An analysis already in
// today's form (or without metrics) is left as it is. For readers of old files (a baseline of `exacheck
// compare`); `exacheck report` recomputes the analysis.
void upgrade_analysis_v1(nlohmann::json& analysis);

}  // namespace exacheck
