#pragma once
// GEMM accounting and correctness oracle, shared by every backend: flop count, dtype-aware tolerance and the
// sampled-entry check against a long double reference.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/core/result.hpp"
#include "suites/gemm/gemm_backend.hpp"

namespace exacheck::gemm {

// Floating-point operations of one call: batch·M·N·K multiply-adds, each counted as 2 flops (the convention
// of LINPACK, cuBLAS and every vendor datasheet; the β·C term is not counted, β = 0 here).
double gemm_flops(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch = 1);

// Machine epsilon (spacing of the format at 1.0, 2^-mantissa_bits) of the dtype's storage format:
// fp64 2^-52, fp32 2^-23, tf32 and fp16 2^-10, bf16 2^-7, fp8_e4m3 2^-3, fp8_e5m2 2^-2; int8 0 (exact, with
// int32 accumulation). Throws std::invalid_argument for an unknown dtype.
double machine_epsilon(std::string_view dtype);

// How a backend accumulates a dtype: what the error bound assumes (docs/formulas.md, "gemm").
//   accumulator_eps  spacing at 1.0 of the format the k-term sum is kept in: fp64 2^-52; every other floating
//                    dtype 2^-23, since cuBLASLt and OpenBLAS accumulate them in fp32 and their products are
//                    exact in fp32 (at most 11 + 11 significant bits). The spacing, not the unit roundoff,
//                    because tensor cores truncate (round toward zero) when they add: an error of up to one
//                    spacing per addition, twice round-to-nearest's.
//   output_eps       one rounding of C to its storage format (bf16 for bf16 and fp8, fp16, fp32, fp64).
//   narrow_eps       fp8 only: Hopper's fp8 tensor-core path adds the 32 products of one MMA k-step and its
//                    accumulator with about 14 significant bits (DeepSeek-V3 technical report, 2024, §3.3.2:
//                    "limited to retaining around 14 bits"), i.e. each of those 33 terms may lose up to 2^-13
//                    of the step's largest magnitude. Without fast accumulation cuBLASLt promotes the partial
//                    sum to fp32 periodically; the interval is not documented, and 128 products (4 k-steps,
//                    the interval of CUTLASS's and DeepSeek's two-level accumulation) is assumed. With fast
//                    accumulation there is no promotion: the reduced-precision sum runs over the whole k.
// int8 is exact (int32 accumulation of products below 2^14): every eps is 0.
struct accumulation_model {
  double accumulator_eps = 0;
  double output_eps = 0;
  double narrow_eps = 0;             // 0: no reduced-precision steps
  int narrow_step = 32;              // products per reduced-precision step (one fp8 MMA k-step)
  std::int64_t promotion_every = 0;  // products between promotions to fp32; 0: never (fast accumulation)
};
// Throws std::invalid_argument for an unknown dtype.
accumulation_model accumulation_for(std::string_view dtype, bool fast_accumulation = false);

// Factor on the reduced-precision term. 1: the term already assumes every one of a step's 33 terms loses a
// whole unit of the 14th bit in the same direction, the worst case; a typical step loses about sqrt(33)/3 of
// that. A factor of 2 (for "around 14 bits" meaning 13) would let C scaled by 1/2 pass with fast
// accumulation at k = 8192 (tests/unit/test_gemm_oracle.cpp).
inline constexpr double narrow_safety = 1.0;

// The per-entry bound, with S = Σ_l |a_il · b_lj|:
//   |computed − exact| ≤ k · accumulator_eps · S + output_eps · |exact| + narrow term (fp8),
//   narrow term = narrow_safety · (narrow_step + 1) · narrow_eps · Σ_steps max(|P_t|, max_{l∈t} |a_il ·
//   b_lj|),
// where P_t is the exact partial sum after step t since the last promotion. The first term is the classic
// bound for a k-term dot product in any summation order (Higham, "Accuracy and Stability of Numerical
// Algorithms", 2nd ed., §3.1: γ_k ≈ k·u with u = eps/2, so k·eps is twice it, or exactly it for truncating
// adders). Bounding by the accumulator rather than the input format is what lets a wrong answer fail: at
// k = 8192 the bound is 0.001·S for bf16, while a wrong transpose or scale moves an entry by about |C| ≈
// 0.014·S on these inputs; the input format's eps gave 128·S.
// The magnitudes of one entry that the bound is made of (filled by check_sampled_entries).
struct entry_magnitudes {
  long double products = 0;           // S = Σ_l |op(A)(i,l) · op(B)(l,j)|
  long double narrow_promoted = 0;    // Σ_steps max(|P_t|, step max), P_t reset every promotion interval
  long double narrow_unpromoted = 0;  // the same with P_t never reset (fast accumulation)
};
double entry_tolerance(const accumulation_model& model, std::int64_t k, long double reference,
                       const entry_magnitudes& magnitudes);
// The bound with the largest narrow term that S allows (each |P_t| ≤ S): for tests that plant an error
// larger than any correct entry's tolerance.
double entry_tolerance_at_most(std::string_view dtype, std::int64_t k, long double magnitude_sum);

// An entry of C: row i, column j of batch entry `batch` (0 when the shape has one).
struct entry_position {
  std::int64_t batch = 0, i = 0, j = 0;
  friend bool operator==(const entry_position&, const entry_position&) = default;
};

// Entries of C to check: C[0](0, 0) and C[batch−1](m−1, n−1) first (the corners catch off-by-one tiling and
// batch strides), then uniformly random ones over every batch entry; every entry, in storage order, when
// samples ≥ batch·m·n. Deterministic for a seed.
std::vector<entry_position> sample_positions(const gemm_shape& shape, int samples, std::uint64_t seed);

// "C(i, j)", or "C[b](i, j)" when the shape is batched: how details name an entry.
std::string entry_name(const gemm_shape& shape, const entry_position& position);

// One checked entry of C.
struct entry_check {
  entry_position at;
  long double computed = 0;
  long double reference = 0;    // Σ_l op(A)(i,l) · op(B)(l,j), in long double
  entry_magnitudes magnitudes;  // the scale of the rounding bound
};

// PASS when every entry is within its tolerance (NaN and infinity never are); the detail names the largest
// error, where it is and its bound, or the first wrong entry and how many are wrong. An oracle too loose to
// fail is not a pass: when every one of 8 or more checked entries has a tolerance at least as large as the
// entry itself (an all-zero C would pass), the check fails and says why.
correctness judge_entries(std::string_view dtype, const gemm_shape& shape, std::int64_t total_entries,
                          const std::vector<entry_check>& entries, bool fast_accumulation = false);

// The oracle: recomputes the sampled entries of C from the inputs as the backend stores them (so rounding of
// the inputs to dtype is not an error) in long double. op_a(b, i, l), op_b(b, l, j) and c(b, i, j) return
// stored elements of op(A), op(B) and C of batch entry b widened to long double.
template <class OpA, class OpB, class OutC>
correctness check_sampled_entries(const gemm_shape& shape, std::string_view dtype, int samples,
                                  std::uint64_t seed, OpA op_a, OpB op_b, OutC c,
                                  bool fast_accumulation = false) {
  const accumulation_model model = accumulation_for(dtype, fast_accumulation);
  std::vector<entry_check> entries;
  for (const entry_position& at : sample_positions(shape, samples, seed)) {
    entry_check entry{at, c(at.batch, at.i, at.j), 0, {}};
    long double promoted = 0, unpromoted = 0, step_max = 0;
    for (std::int64_t l = 0; l < shape.k; ++l) {
      const long double product = op_a(at.batch, at.i, l) * op_b(at.batch, l, at.j);
      entry.reference += product;
      entry.magnitudes.products += std::fabs(product);
      if (model.narrow_eps == 0) continue;
      promoted += product;
      unpromoted += product;
      step_max = std::max(step_max, std::fabs(product));
      const std::int64_t done = l + 1;
      if (done % model.narrow_step != 0 && done != shape.k) continue;
      entry.magnitudes.narrow_promoted += std::max(std::fabs(promoted), step_max);
      entry.magnitudes.narrow_unpromoted += std::max(std::fabs(unpromoted), step_max);
      step_max = 0;
      if (model.promotion_every > 0 && done % model.promotion_every == 0) promoted = 0;
    }
    entries.push_back(entry);
  }
  return judge_entries(dtype, shape, shape.batch * shape.m * shape.n, entries, fast_accumulation);
}

}  // namespace exacheck::gemm
