#pragma once
// The collectives' parameters, metrics and texts as data: the parameter and metric tables (`exacheck list`,
// plan validation and docs read it), each benchmark's description, and the correctness method recorded with
// each point.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/core/metric_spec.hpp"
#include "harness/core/param_spec.hpp"
#include "suites/collectives/collective_formulas.hpp"

namespace exacheck::collectives {

// nccl-tests' default sweep (8 B doubling up to 1 MiB).
nlohmann::json default_sizes();
// Broadcast and reduce take a root.
bool has_root(collective op);
// nccl-tests' bus-bandwidth factor as text: "2(n−1)/n", "(n−1)/n" or "1".
std::string factor_formula(collective op);
std::string collective_description(collective op);
// bytes, dtype, in_place, cuda_graph (and root for broadcast and reduce).
std::vector<param_spec> collective_parameters(collective op);
// time, algbw, busbw (not on one rank where its factor is 0), latency_min/avg/max, slowest_rank_ratio: every
// one global (the same on every rank).
std::vector<metric_spec> collective_metrics(collective op);
// How a point's output was checked, for its correctness record.
std::string correctness_method(element_type dtype, bool in_place);

}  // namespace exacheck::collectives
