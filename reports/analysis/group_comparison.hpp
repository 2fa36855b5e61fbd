#pragma once
// Internal to the analysis (reports/analysis/aggregate.cpp): the groups of a collective case that ran as
// independent copies (`groups: per_node | node_pairs`, docs/run-json.md "Groups") compared with each other —
// the slowest group highlighted, outliers among them named by their hosts and made OUTLIER checks, a node
// whose every pair is slow named as the likely cause.
#include <nlohmann/json.hpp>

#include "harness/plan/outlier_rules.hpp"
#include "reports/analysis/aggregate_json.hpp"
#include "reports/analysis/device_verdicts.hpp"

namespace exacheck::reports::detail {

// Appends to `entries` (analysis.groups) one entry per series of `test_case`'s grouped points (the same
// params but group and bytes), compared at the series' largest bytes on busbw (algbw where a collective has
// none): small messages measure latency, whose noise between copies would pass the rules' few percent. Each
// outlier group becomes an OUTLIER check in `found` (beside its point's check of the metric) and a reason in
// `verdicts`: a per_node group's is its node's; a node pair's is the node in every one of its pairs that is
// an outlier (at least two), otherwise the pair is tied to no single device.
void compare_groups(const nlohmann::json& test_case, const outlier_rules& rules, fleet_checks& found,
                    device_verdicts& verdicts, nlohmann::json& entries);

}  // namespace exacheck::reports::detail
