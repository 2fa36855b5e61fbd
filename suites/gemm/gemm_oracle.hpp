#pragma once
// GEMM accounting and correctness oracle, shared by every backend: flop count, dtype-aware tolerance and the
// sampled-entry check against a long double reference.
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/result.hpp"
#include "suites/gemm/gemm_backend.hpp"

namespace exacheck::gemm {

// Floating-point operations of one call: batch·M·N·K multiply-adds, each counted as 2 flops (the convention
// of LINPACK, cuBLAS and every vendor datasheet; the β·C term is not counted, β = 0 here).
double gemm_flops(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch = 1);

// Machine epsilon (spacing of the format at 1.0, 2^-mantissa_bits) of the dtype's storage format:
// fp64 2^-52, fp32 2^-23, tf32 and fp16 2^-10, bf16 2^-7, fp8_e4m3 2^-3, fp8_e5m2 2^-2; int8 0 (exact, with
// int32 accumulation). Throws std::invalid_argument for an unknown dtype.
double machine_epsilon(std::string_view dtype);

// The tolerance constant c in |computed − exact| ≤ c · k · eps · Σ_l |a_il · b_lj|. The classic bound for a
// k-term dot product in floating point (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed.,
// eq. 3.5) is γ_k Σ|a·b| with γ_k = k·u / (1 − k·u) and unit roundoff u = eps/2; one more rounding stores C.
// Any summation order (blocked, FMA, tree) obeys it, so c = 2 (four times the bound's leading term) accepts
// every correct BLAS and still flags a wrong entry by orders of magnitude: a wrong product term changes an
// entry by ~|a·b| ≈ 0.25, while the bound for fp64 at k = 8192 is 3.6e-12 · Σ|a·b|.
inline constexpr double tolerance_constant = 2.0;
double entry_tolerance(std::string_view dtype, std::int64_t k, long double magnitude_sum);

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
  long double reference = 0;      // Σ_l op(A)(i,l) · op(B)(l,j), in long double
  long double magnitude_sum = 0;  // Σ_l |op(A)(i,l) · op(B)(l,j)|, the scale of the rounding bound
};

// PASS when every entry is within its tolerance (NaN and infinity never are); the detail names the largest
// error, where it is and its bound, or the first wrong entry and how many are wrong.
correctness judge_entries(std::string_view dtype, const gemm_shape& shape, std::int64_t total_entries,
                          const std::vector<entry_check>& entries);

// The oracle: recomputes the sampled entries of C from the inputs as the backend stores them (so rounding of
// the inputs to dtype is not an error) in long double. op_a(b, i, l), op_b(b, l, j) and c(b, i, j) return
// stored elements of op(A), op(B) and C of batch entry b widened to long double.
template <class OpA, class OpB, class OutC>
correctness check_sampled_entries(const gemm_shape& shape, std::string_view dtype, int samples,
                                  std::uint64_t seed, OpA op_a, OpB op_b, OutC c) {
  std::vector<entry_check> entries;
  for (const entry_position& at : sample_positions(shape, samples, seed)) {
    entry_check entry{at, c(at.batch, at.i, at.j), 0, 0};
    for (std::int64_t l = 0; l < shape.k; ++l) {
      const long double product = op_a(at.batch, at.i, l) * op_b(at.batch, l, at.j);
      entry.reference += product;
      entry.magnitude_sum += std::fabs(product);
    }
    entries.push_back(entry);
  }
  return judge_entries(dtype, shape, shape.batch * shape.m * shape.n, entries);
}

}  // namespace exacheck::gemm
