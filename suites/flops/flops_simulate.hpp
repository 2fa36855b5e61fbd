#pragma once
// flops in `exacheck simulate` (suite::simulate).
#include <vector>

#include "harness/core/simulation.hpp"

namespace exacheck::flops {

// One point per GPU: the flops of one run / median time, at 88–95 % (one draw per run and dtype) of the
// dtype's peak (fp8_*: fp8) times the GPU's speed; what the suite would size or find on the node (inner
// iterations, ISA, threads) is derived. SKIPPED without that peak.
std::vector<point_result> simulate_flops(const simulation_input& in);

}  // namespace exacheck::flops
