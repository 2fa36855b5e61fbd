#pragma once
// The collectives in `exacheck simulate` (suite::simulate).
#include <vector>

#include "harness/core/simulation.hpp"

namespace exacheck::collectives {

// Global points at in.ranks ranks, one per size (rank 0's record: the metrics are the same on every rank), on
// a plausible bus-bandwidth curve of a fat-tree of 400 Gb/s links (one NIC per GPU): a latency of
// (10 + 4·log2 n) µs, then each collective's large-message bus bandwidth (all-reduce 180, all-gather and
// reduce-scatter 170, broadcast and reduce 150, all-to-all and sendrecv 45 GB/s); algbw and busbw by
// nccl-tests' formulas. Sizes too small to give every rank one element are SKIPPED with the suite's reason.
std::vector<point_result> simulate_collective(const simulation_input& in);

}  // namespace exacheck::collectives
