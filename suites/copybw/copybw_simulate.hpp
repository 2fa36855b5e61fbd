#pragma once
// copybw in `exacheck simulate` (the suite that runs copybw calls it from its suite::simulate).
#include <vector>

#include "harness/core/simulation.hpp"

namespace exacheck::membw {

// One point per GPU, at the largest of the case's sizes: bytes copied / median time per copy at the
// copy-engine rates of a PCIe Gen5 x16 host link (h2d 55, d2h 53 GB/s) or 45 % of peak_per_gpu.hbm (d2d,
// which reads and writes every byte: about half the STREAM copy rate counted as read + write), times the
// GPU's speed. The p2p matrix is SKIPPED (it depends on the node's topology), as is d2d without
// peak_per_gpu.hbm.
std::vector<point_result> simulate_copybw(const simulation_input& in);

}  // namespace exacheck::membw
