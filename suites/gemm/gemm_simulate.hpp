#pragma once
// gemm in `exacheck simulate` (suite::simulate).
#include <vector>

#include "harness/core/simulation.hpp"

namespace exacheck::gemm {

// One point per GPU: 2·M·N·K / median time, at 75–85 % (one draw per run and dtype) of the dtype's peak
// (fp64: fp64_tensor when the system file has it; fp8_*: fp8) times the GPU's speed. SKIPPED without that
// peak.
std::vector<point_result> simulate_gemm(const simulation_input& in);

}  // namespace exacheck::gemm
