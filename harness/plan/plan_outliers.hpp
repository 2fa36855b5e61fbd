#pragma once
// Reading a plan's `outliers:` key (docs/plan-schema.md): the fleet-outlier rules of the run's analysis.
// Internal to the plan loader.
#include <optional>

#include "harness/plan/outlier_rules.hpp"
#include "harness/plan/yaml_reader.hpp"

namespace exacheck {

class registry;

// Reports every problem to `reader` (file:line:column, expected, did-you-mean) and returns nullopt when any.
std::optional<reports::outlier_rules> read_outlier_rules(yaml_reader& reader, const yaml_entry& entry,
                                                         const registry& suites);

}  // namespace exacheck
