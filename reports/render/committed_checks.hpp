#pragma once
// The Commitments tables of report.md and report.html: every check of run.json that judged a metric against
// a reference (per-GPU metrics and collectives alike) and every reference that was committed but not
// measured (aggregation "commitment"), in case and check order, each beside its analysis.metrics entry when
// it has one (a per-GPU metric: fleet median, worst GPU and node). Rendered only: nothing is computed.
#include <nlohmann/json.hpp>
#include <vector>

namespace exacheck::reports {

struct committed_check {
  const nlohmann::json& test_case;  // cases[i]
  const nlohmann::json& check;      // cases[i].checks[j]: reference is an object
  const nlohmann::json* metric;     // analysis.metrics[k] of the same case, point and metric; nullptr if none
  bool measured() const;            // false for a "committed, not measured" check
};

std::vector<committed_check> committed_checks(const nlohmann::json& run);

}  // namespace exacheck::reports
