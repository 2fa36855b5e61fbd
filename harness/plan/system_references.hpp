#pragma once
// A system file's references against a plan. A system file is shared by the plans of a machine (quick,
// nightly, acceptance), so a reference for a benchmark the plan does not run is not an error; a reference for
// a benchmark it runs must match at least one point the plan can produce, or it is a typo that would make a
// commitment silently go unjudged.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/metric_spec.hpp"
#include "harness/plan/plan.hpp"

namespace exacheck {

class registry;

// How many of a system file's references a plan's launches can judge.
struct reference_coverage {
  std::size_t total = 0;
  std::size_t apply = 0;                 // for a benchmark the plan runs, matching some point of it
  std::size_t for_other_benchmarks = 0;  // for benchmarks the plan does not run (not an error)
};

// The parameter values a point must have for `ref` to judge it: its `where`, and those its metric is reported
// at (metric_spec::only_where; `metric` may be null); nullopt when the two contradict (no point has both).
std::optional<nlohmann::json> required_values(const reference& ref, const metric_spec* metric);

// Whether `ref` applies to a point of a launch: its `where` and the metric's reporting condition
// (metric_spec::only_where; `metric` may be null) name values that one point of the launch has. `params` is
// the launch's (expanded_case::params): a parameter swept inside the worker is a list, any of whose values a
// point can have. The benchmark is the caller's to compare.
bool reference_applies_to_launch(const reference& ref, const metric_spec* metric,
                                 const nlohmann::json& params);

// A `where` as a reader writes it: {dtype: bf16, bytes: 8}.
std::string where_text(const nlohmann::json& where);

// Checks every reference of `system` (loaded with the registry) against `launches`, every launch of the plan
// (expand() without a filter): one whose benchmark the plan runs but whose `where` matches none of its points
// is reported at its file:line:column with the values the plan has and a did-you-mean. Throws
// validation_error with every such reference; otherwise returns the coverage.
reference_coverage check_references_against_plan(const system_spec& system,
                                                 const std::vector<expanded_case>& launches,
                                                 const registry& suites);

// load_system with the registry, then check_references_against_plan over every launch of `p`: what `run` and
// `validate` do before anything runs.
struct checked_system {
  system_spec system;
  reference_coverage references;
};
checked_system load_system_for_plan(const std::string& path, const plan& p, const registry& suites);

}  // namespace exacheck
