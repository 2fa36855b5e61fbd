#pragma once
// membw (STREAM) in `exacheck simulate` (suite::simulate).
#include <vector>

#include "harness/core/simulation.hpp"

namespace exacheck::membw {

// One point per GPU: each kernel's STREAM bytes / best time excluding the first, at 86–91 % of
// peak_per_gpu.hbm per kernel times the GPU's speed, arrays of 1 GiB (the cuda backend's auto size on an
// H100). SKIPPED without peak_per_gpu.hbm.
std::vector<point_result> simulate_membw(const simulation_input& in);

}  // namespace exacheck::membw
