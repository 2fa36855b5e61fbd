#pragma once
// STREAM's self-check (checkSTREAMresults in stream.c, BabelStream's check_solution): replay the kernel
// sequence on one scalar per array, in the arrays' precision, and compare every element with it.
#include <cstdint>
#include <string_view>
#include <vector>

#include "harness/core/result.hpp"

namespace exacheck::membw {

// BabelStream's starting values (a = 0.1, b = 0.2, c = 0): not exactly representable, so a kernel that
// skips work or writes the wrong array cannot match the replay by accident.
inline constexpr double initial_a = 0.1, initial_b = 0.2, initial_c = 0.0;

struct stream_expected {
  double a = initial_a, b = initial_b, c = initial_c;
  double dot = 0;  // of the last iteration: elements × (a·b in the arrays' precision), 0 before any iteration
};

// The values after `iterations` runs of copy → scale → add → triad → dot, computed in fp64 or fp32.
stream_expected replay_stream(std::string_view dtype, double scalar, int iterations, std::uint64_t elements);

// Relative tolerance per element: 1e-13 for fp64 and 1e-6 for fp32, STREAM's own epsilons (the replay does
// the same operations in the same precision, so only FMA contraction or a different rounding mode could
// differ at all).
double element_tolerance(std::string_view dtype);
// Relative tolerance of dot: its `elements` positive terms are summed in double in an order the backend
// chooses; the bound for any order is (n − 1)·u with u = 2^-53 (Higham, "Accuracy and Stability of Numerical
// Algorithms", 2nd ed., §4.2), floored at 1e-13.
double dot_tolerance(std::uint64_t elements);

// Checks every element of a, b, c and the dot value against the replay. The detail names the first wrong
// element (array, index, value, expected) and how many are wrong, or the largest relative error.
correctness check_stream_results(std::string_view dtype, const stream_expected& expected,
                                 const std::vector<double>& a, const std::vector<double>& b,
                                 const std::vector<double>& c, double dot_value);

}  // namespace exacheck::membw
