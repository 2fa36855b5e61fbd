#pragma once
// Verdicts: every measured metric against its reference, every answer's correctness, fail-closed rules.
// Produces the "results" and "checks" of a case in run.json (docs/run-json.md).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/units.hpp"
#include "harness/plan/plan.hpp"
#include "harness/results/outcome.hpp"

namespace exacheck {

// The worker writes results rank-major (rank → points); run.json keeps them point-major (point → ranks).
nlohmann::json results_by_point(const nlohmann::json& case_result);

// One check per (point, metric), plus correctness and skipped points. `system` may be null (no references:
// every metric is RECORDED). `requested`: the case's parameters as the plan gave them (matching_references).
nlohmann::json evaluate_checks(const nlohmann::json& results, const std::string& benchmark,
                               const system_spec* system, int ranks_expected,
                               const nlohmann::json& requested = nlohmann::json());

// A reference's acceptable range, in the reference's unit.
struct reference_bounds {
  std::optional<double> lower, upper;
};
reference_bounds bounds_of(const reference& ref);

// A check record with no measured value (correctness, run, skipped checks); metric checks fill in the rest.
nlohmann::json make_check(const std::string& metric_name, const nlohmann::json& params, outcome result,
                          std::string reason);

// One entry of a check's "failed_ranks" (docs/run-json.md "Checks"): the rank, its host and device (kind,
// gpu: its index, or the local rank on the cpu backend; uuid) and what went wrong there, from a run.json or
// worker rank record.
nlohmann::json failed_rank(const nlohmann::json& rank, const std::string& reason);

// Worst outcome over a list of checks; ERROR when there is none (no checks is not a pass).
outcome worst_check_outcome(const nlohmann::json& checks);

}  // namespace exacheck
