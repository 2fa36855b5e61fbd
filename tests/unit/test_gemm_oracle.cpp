// The GEMM oracle must be able to fail: for every dtype, at the k the acceptance plans use (8192), a result
// with a plausible mistake (the transpose of A read as A, C scaled by 2 or 1/2, nothing written) is
// INCORRECT, while a result rounded as the hardware rounds (accumulator and output precision, fp8's
// reduced-precision steps) passes. The inputs are the suite's own (gemm_inputs.hpp), rounded to the dtype's
// significand.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "suites/gemm/gemm_inputs.hpp"
#include "suites/gemm/gemm_oracle.hpp"

namespace exacheck::gemm {
namespace {

// Round to nearest even with `bits` explicit significand bits (no exponent limits: the inputs are |x| < 6).
double round_to_bits(double x, int bits) {
  if (x == 0 || bits >= 52) return x;
  int exponent = 0;
  const double fraction = std::frexp(x, &exponent);  // x = fraction · 2^exponent, 0.5 ≤ |fraction| < 1
  return std::ldexp(std::nearbyint(std::ldexp(fraction, bits + 1)), exponent - bits - 1);
}

// Round toward zero to `bits` significant bits (a truncating adder).
double truncate_to_bits(double x, int bits) {
  if (x == 0) return x;
  int exponent = 0;
  const double fraction = std::frexp(x, &exponent);
  return std::ldexp(std::trunc(std::ldexp(fraction, bits)), exponent - bits);
}

struct dtype_case {
  std::string dtype;
  int input_bits;   // explicit significand bits of the stored inputs
  int output_bits;  // of C's storage
  bool fast_accumulation = false;
};

const std::vector<dtype_case> k_cases = {
    {"fp64", 52, 52},         {"fp32", 23, 23},   {"tf32", 10, 23},
    {"fp16", 10, 10},         {"bf16", 7, 7},     {"fp8_e4m3", 3, 7},
    {"fp8_e4m3", 3, 7, true}, {"fp8_e5m2", 2, 7}, {"fp8_e5m2", 2, 7, true},
};

constexpr std::int64_t k_size = 8192;  // square, so that a transposed read stays inside A
constexpr int k_samples = 48;

struct operands {
  int bits;
  std::uint64_t key_a = input_key(7, input_matrix::a), key_b = input_key(7, input_matrix::b);
  long double a(std::int64_t i, std::int64_t l) const {  // op(A) = A, column-major
    return round_to_bits(normal_input(key_a, static_cast<std::uint64_t>(i + l * k_size)), bits);
  }
  long double b(std::int64_t l, std::int64_t j) const {
    return round_to_bits(normal_input(key_b, static_cast<std::uint64_t>(l + j * k_size)), bits);
  }
};

// C(i, j) as the hardware computes it: fp64 in fp64; other floats in fp32, four interleaved partial sums (a
// blocked order); fp8 in 32-product steps truncated to 14 bits, promoted to fp32 every 128 products unless
// fast accumulation. Then one rounding to C's format.
double hardware_entry(const dtype_case& c, const operands& in, std::int64_t i, std::int64_t j) {
  double result = 0;
  if (c.dtype == "fp64") {
    for (std::int64_t l = 0; l < k_size; ++l) result += static_cast<double>(in.a(i, l) * in.b(l, j));
  } else if (c.dtype.starts_with("fp8")) {
    float promoted = 0;
    double narrow = 0;
    for (std::int64_t step = 0; step < k_size / 32; ++step) {
      double sum = narrow;
      for (std::int64_t l = step * 32; l < step * 32 + 32; ++l)
        sum += static_cast<double>(in.a(i, l) * in.b(l, j));
      narrow = truncate_to_bits(sum, 14);
      if (!c.fast_accumulation && (step + 1) % 4 == 0) {
        promoted += static_cast<float>(narrow);
        narrow = 0;
      }
    }
    result = static_cast<double>(promoted + static_cast<float>(narrow));
  } else {
    float partial[4] = {0, 0, 0, 0};
    for (std::int64_t l = 0; l < k_size; ++l)
      partial[l % 4] += static_cast<float>(static_cast<double>(in.a(i, l) * in.b(l, j)));
    result = static_cast<double>((partial[0] + partial[1]) + (partial[2] + partial[3]));
  }
  return round_to_bits(result, c.output_bits);
}

// The oracle's verdict on C whose entry (i, j) is `computed(i, j)`.
correctness judge(const dtype_case& c,
                  const std::function<long double(std::int64_t, std::int64_t)>& computed) {
  const operands in{c.input_bits};
  const gemm_shape shape{k_size, k_size, k_size};
  return check_sampled_entries(
      shape, c.dtype, k_samples, 3, [&](std::int64_t, std::int64_t i, std::int64_t l) { return in.a(i, l); },
      [&](std::int64_t, std::int64_t l, std::int64_t j) { return in.b(l, j); },
      [&](std::int64_t, std::int64_t i, std::int64_t j) { return computed(i, j); }, c.fast_accumulation);
}

std::string name(const dtype_case& c) {
  return c.dtype + (c.fast_accumulation ? " (fast accumulation)" : "");
}

TEST(gemm_oracle, a_result_rounded_as_the_hardware_rounds_passes_in_every_dtype) {
  for (const auto& c : k_cases) {
    const operands in{c.input_bits};
    const auto check = judge(c, [&](std::int64_t i, std::int64_t j) { return hardware_entry(c, in, i, j); });
    EXPECT_TRUE(check.checked && check.passed) << name(c) << ": " << check.detail;
  }
}

TEST(gemm_oracle, a_wrong_transpose_of_a_is_incorrect_in_every_dtype) {
  for (const auto& c : k_cases) {
    const operands in{c.input_bits};
    // Aᵀ·B where A·B was asked: element (l, i) of A read as (i, l).
    const auto check = judge(c, [&](std::int64_t i, std::int64_t j) {
      long double sum = 0;
      for (std::int64_t l = 0; l < k_size; ++l) sum += in.a(l, i) * in.b(l, j);
      return sum;
    });
    EXPECT_TRUE(check.checked) << name(c);
    EXPECT_FALSE(check.passed) << name(c) << " passed a wrong transpose: " << check.detail;
  }
}

TEST(gemm_oracle, a_wrong_scale_is_incorrect_in_every_dtype) {
  for (const auto& c : k_cases)
    for (const double scale : {2.0, 0.5}) {
      const operands in{c.input_bits};
      const auto check =
          judge(c, [&](std::int64_t i, std::int64_t j) { return scale * hardware_entry(c, in, i, j); });
      EXPECT_FALSE(check.passed) << name(c) << " passed C scaled by " << scale << ": " << check.detail;
    }
}

TEST(gemm_oracle, an_unwritten_output_is_incorrect_in_every_dtype) {
  for (const auto& c : k_cases) {
    const auto check = judge(c, [](std::int64_t, std::int64_t) { return 0.0L; });
    EXPECT_FALSE(check.passed) << name(c) << " passed an all-zero C: " << check.detail;
  }
}

TEST(gemm_oracle, a_bound_as_large_as_every_entry_is_not_verifiable_and_not_a_pass) {
  // Eight entries whose bound (fp8 with fast accumulation, step magnitudes as large as S) covers the entry:
  // zero would pass them all, so the check says it cannot tell.
  const gemm_shape shape{64, 64, 1 << 20};
  std::vector<entry_check> entries;
  for (std::int64_t i = 0; i < 8; ++i) entries.push_back({{0, i, 0}, 1.0L, 1.0L, {1000.0L, 0, 1e6L}});
  const auto check = judge_entries("fp8_e4m3", shape, 64 * 64, entries, true);
  EXPECT_TRUE(check.checked);
  EXPECT_FALSE(check.passed);
  EXPECT_NE(check.detail.find("not verifiable"), std::string::npos) << check.detail;
}

}  // namespace
}  // namespace exacheck::gemm
