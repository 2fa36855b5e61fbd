#pragma once
// The dependent chains the peak-FLOPS kernels run, and their scalar oracle. Shared by every backend so that
// the correctness check is backend-independent.
//
// fp64/fp32: every accumulator runs x ← fma(x, a, b) with a = −1, b = 1, i.e. x ↦ 1 − x, an involution. For a
// start in [0.5, 1] that is a multiple of 2^−9, both 1 − x and 1 − (1 − x) are exact in every binary format
// with ≥ 10 significand bits (Sterbenz), so fused and unfused evaluation agree bit for bit and the chain
// never grows, underflows or overflows however long it runs. The multiplier is a run-time value: the compiler
// cannot see that it is −1, so it must issue the full FMA.
//
// bf16 (x86 vdpbf16ps): an fp32 accumulator takes two bf16 products per step, acc += 1.5·0.75 + 1.5·(−0.75)
// (exact in fp32 in either order), so the chain holds its start value. Counted as 2 flops per bf16
// multiply-accumulate (4 per fp32 lane per step), the convention of vendor bf16 peak figures.
#include <cmath>
#include <cstdint>
#include <string_view>

namespace exacheck::flops {

inline constexpr double chain_multiplier = -1.0;
inline constexpr double chain_addend = 1.0;
inline constexpr float bf16_chain_a = 1.5f;        // exactly representable in bf16
inline constexpr float bf16_chain_b_even = 0.75f;  // even bf16 element of each pair
inline constexpr float bf16_chain_b_odd = -0.75f;  // odd bf16 element of each pair

// Start value of one lane of one accumulator of one thread: distinct per lane so that a lane mix-up is
// caught, 0.5 + k / 512 with k in [0, 256): in [0.5, 1), exact in fp32 and fp64.
inline double chain_start(int thread, int accumulator, int lane) {
  const int k = (thread * 131 + accumulator * 17 + lane) % 256;
  return 0.5 + static_cast<double>(k) / 512.0;
}

// Scalar replay in the chain's own precision. The fma chains have period 2 (checked here on the scalar too),
// so replaying `steps mod 2` steps gives the value after `steps` steps exactly; a non-involutive start yields
// NaN.
template <typename T>
T replay_fma_chain(T start, std::uint64_t steps) {
  const T a = static_cast<T>(chain_multiplier), b = static_cast<T>(chain_addend);
  const T once = std::fma(start, a, b);
  const T twice = std::fma(once, a, b);
  if (twice != start) return static_cast<T>(NAN);
  return steps % 2 == 0 ? start : once;
}

// Scalar replay of one vdpbf16ps step on an fp32 lane (bf16 products are exact in fp32): the step is the
// identity (checked here), so the value after any number of steps is the start value.
inline float replay_bf16_chain(float start, std::uint64_t steps) {
  const float even = bf16_chain_a * bf16_chain_b_even, odd = bf16_chain_a * bf16_chain_b_odd;
  const float after_one = (start + even) + odd;
  if (after_one != start) return NAN;
  (void)steps;  // every step returns to the start value
  return start;
}

// Expected final value of a chain of `dtype` ("fp64", "fp32", "bf16") after `steps` steps.
inline double expected_chain_value(std::string_view dtype, double start, std::uint64_t steps) {
  if (dtype == "fp64") return replay_fma_chain<double>(start, steps);
  if (dtype == "fp32") return replay_fma_chain<float>(static_cast<float>(start), steps);
  if (dtype == "bf16") return replay_bf16_chain(static_cast<float>(start), steps);
  return NAN;
}

}  // namespace exacheck::flops
