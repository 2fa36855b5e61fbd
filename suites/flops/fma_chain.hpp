#pragma once
// The dependent chains the peak-FLOPS kernels run, and their scalar oracle. Shared by every backend so that
// the correctness check is backend-independent: a backend says which recurrence it ran (chain_recurrence),
// takes its chains' start values from here, and the suite replays the recurrence on scalars.
//
// fma (CUDA cores, CPU vector units): every accumulator runs x ← fma(x, a, b) with a = −1, b = 1, i.e.
// x ↦ 1 − x, an involution. For a start in [0.5, 1) that is a multiple of 2^−(p−1) in a format of p
// significand bits, both 1 − x and 1 − (1 − x) are exact (Sterbenz), so fused and unfused evaluation agree
// bit for bit and the chain never grows, underflows or overflows however long it runs. fp64, fp32 and fp16 (p
// ≥ 11) start at multiples of 2^−9, bf16 (p = 8) at multiples of 2^−8. The multiplier is a run-time value:
// the compiler cannot see that it is −1, so it must issue the full FMA.
//
// dot2_bf16 (x86 vdpbf16ps): an fp32 accumulator takes two bf16 products per step, acc += 1.5·0.75 +
// 1.5·(−0.75) (exact in fp32 in either order), so the chain holds its start value. Counted as 2 flops per
// bf16 multiply-accumulate (4 per fp32 lane per step), the convention of vendor bf16 peak figures.
//
// mma (tensor cores): each step is one matrix multiply-accumulate D ← A·B + D on an accumulator tile, the
// steps alternating B and −B, so that an even number of steps returns every element to its start and an odd
// number leaves start + K·α·β. A's row i holds α[i mod 8] in every column, B's column j holds β[j mod 8] in
// every row: (A·B)(i, j) = K·α[i mod 8]·β[j mod 8] whichever way the instruction walks K, and in every
// mma.sync and wgmma fragment layout the accumulator register r of lane ℓ of a warp is in a row ≡ ℓ/4 (mod 8)
// and a column ≡ 2·(ℓ mod 4) + (r mod 2) (mod 8). α, β and the starts are small integers: every partial sum
// is an integer under 2^12, exact even where the tensor cores accumulate with fewer bits than fp32 has (fp8).
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "harness/core/enum_names.hpp"

namespace exacheck::flops {

inline constexpr double chain_multiplier = -1.0;
inline constexpr double chain_addend = 1.0;
inline constexpr float bf16_chain_a = 1.5f;        // exactly representable in bf16
inline constexpr float bf16_chain_b_even = 0.75f;  // even bf16 element of each pair
inline constexpr float bf16_chain_b_odd = -0.75f;  // odd bf16 element of each pair

// A's value in rows ≡ r (mod 8) and B's in columns ≡ c (mod 8): integers of magnitude ≤ 8, exact in every
// input format (fp8 e4m3 included), none zero (a zero product would let a dropped instruction pass).
inline constexpr std::array<int, 8> mma_row_values{1, -3, 2, -5, 7, -4, 6, -8};
inline constexpr std::array<int, 8> mma_column_values{3, -1, -6, 4, 5, -7, 8, -2};

enum class chain_kind { fma, dot2_bf16, mma };
inline constexpr std::array<enum_name<chain_kind>, 3> chain_kind_names{
    {{chain_kind::fma, "fma"}, {chain_kind::dot2_bf16, "dot2_bf16"}, {chain_kind::mma, "mma"}}};

// Which recurrence a backend's chains ran.
struct chain_recurrence {
  chain_kind kind = chain_kind::fma;
  // fma: the arithmetic's precision ("fp64", "fp32", "fp16", "bf16"); dot2_bf16: "fp32" (the accumulator);
  // mma: the accumulator ("fp64", "fp32", "int32").
  std::string precision = "fp64";
  int mma_k = 0;  // mma: products summed into each accumulator element by one instruction
};

// Index of one start value in [0, 256): distinct per lane so that a lane mix-up is caught.
inline int chain_index(int thread, int accumulator, int lane) {
  return (thread * 131 + accumulator * 17 + lane) % 256;
}

// Start value of an fp64/fp32 fma chain (and of the dot2_bf16 chain): 0.5 + k / 512 with k in [0, 256), in
// [0.5, 1), exact in fp32 and fp64.
inline double chain_start(int thread, int accumulator, int lane) {
  return 0.5 + static_cast<double>(chain_index(thread, accumulator, lane)) / 512.0;
}

// Start value of one element of one accumulator of one thread for the recurrence.
inline double chain_start(const chain_recurrence& recurrence, int thread, int accumulator, int lane) {
  const int k = chain_index(thread, accumulator, lane);
  if (recurrence.kind == chain_kind::mma) return static_cast<double>(k - 128);
  if (recurrence.kind == chain_kind::fma && recurrence.precision == "bf16")
    return 0.5 + static_cast<double>(k / 2) / 256.0;
  return chain_start(thread, accumulator, lane);
}

// Round-to-nearest-even of a finite double to `significand_bits` bits (the 16-bit formats' rounding; their
// exponent range is never approached by the chains).
inline double round_to_bits(double value, int significand_bits) {
  if (value == 0 || !std::isfinite(value)) return value;
  int exponent = 0;
  const double mantissa = std::frexp(value, &exponent);  // in [0.5, 1)
  const double scaled = std::nearbyint(std::ldexp(mantissa, significand_bits));
  return std::ldexp(scaled, exponent - significand_bits);
}

// Significand bits of an fma chain's precision (0 for an unknown one).
inline int significand_bits(std::string_view precision) {
  if (precision == "fp64") return 53;
  if (precision == "fp32") return 24;
  if (precision == "fp16") return 11;
  if (precision == "bf16") return 8;
  return 0;
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

// The same replay for a precision of `bits` significand bits, every step rounded to it (fp16, bf16): the
// start must be representable, and the chain must return to it after two steps.
inline double replay_fma_chain_rounded(double start, int bits, std::uint64_t steps) {
  if (round_to_bits(start, bits) != start) return NAN;
  const double once = round_to_bits(std::fma(start, chain_multiplier, chain_addend), bits);
  const double twice = round_to_bits(std::fma(once, chain_multiplier, chain_addend), bits);
  if (twice != start) return NAN;
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

// What an mma step adds to accumulator register `lane` of `thread` (a thread of a warp-aligned block):
// K·α[row mod 8]·β[column mod 8] with row ≡ (thread mod 32) / 4 and column ≡ 2·(thread mod 4) + lane mod 2.
inline double mma_product(int mma_k, int thread, int lane) {
  const int lane_in_warp = thread % 32;
  return static_cast<double>(mma_k) * mma_row_values[static_cast<std::size_t>(lane_in_warp / 4)] *
         mma_column_values[static_cast<std::size_t>(2 * (lane_in_warp % 4) + lane % 2)];
}

// Expected final value of element (thread, accumulator, lane) of the recurrence after `steps` steps.
inline double expected_chain_value(const chain_recurrence& recurrence, int thread, int accumulator, int lane,
                                   std::uint64_t steps) {
  const double start = chain_start(recurrence, thread, accumulator, lane);
  switch (recurrence.kind) {
    case chain_kind::fma:
      if (recurrence.precision == "fp64") return replay_fma_chain<double>(start, steps);
      if (recurrence.precision == "fp32") return replay_fma_chain<float>(static_cast<float>(start), steps);
      if (const int bits = significand_bits(recurrence.precision); bits > 0)
        return replay_fma_chain_rounded(start, bits, steps);
      return NAN;
    case chain_kind::dot2_bf16:
      return replay_bf16_chain(static_cast<float>(start), steps);
    case chain_kind::mma:
      if (recurrence.mma_k <= 0) return NAN;
      return steps % 2 == 0 ? start : start + mma_product(recurrence.mma_k, thread, lane);
  }
  return NAN;
}

// The cpu backend's fp64/fp32 fma chains and its bf16 dot chain, by dtype ("fp64", "fp32", "bf16").
inline double expected_chain_value(std::string_view dtype, double start, std::uint64_t steps) {
  if (dtype == "fp64") return replay_fma_chain<double>(start, steps);
  if (dtype == "fp32") return replay_fma_chain<float>(static_cast<float>(start), steps);
  if (dtype == "bf16") return replay_bf16_chain(static_cast<float>(start), steps);
  return NAN;
}

inline std::string_view to_string(chain_kind kind) {
  return name_of(chain_kind_names, kind);
}

}  // namespace exacheck::flops
