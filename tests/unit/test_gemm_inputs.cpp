// The gemm inputs (suites/gemm/gemm_inputs.hpp) every backend multiplies: deterministic per key and index,
// different between keys, approximately standard normal, never constant, and exact (reproducible bit for bit,
// which is what lets the oracle recompute them instead of copying them).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "suites/gemm/gemm_inputs.hpp"

using namespace exacheck::gemm;

namespace {

std::vector<double> draw(std::uint64_t key, std::uint64_t count) {
  std::vector<double> values;
  for (std::uint64_t i = 0; i < count; ++i) values.push_back(normal_input(key, i));
  return values;
}

}  // namespace

TEST(gemm_inputs, are_a_function_of_key_and_index_and_differ_between_matrices_and_seeds) {
  const std::uint64_t a = input_key(42, input_matrix::a), b = input_key(42, input_matrix::b);
  EXPECT_NE(a, b);
  EXPECT_NE(a, input_key(43, input_matrix::a));
  EXPECT_EQ(draw(a, 1000), draw(a, 1000));
  EXPECT_NE(draw(a, 1000), draw(b, 1000));
  EXPECT_NE(draw(a, 1000), draw(input_key(43, input_matrix::a), 1000));
  static_assert(normal_input(1, 2) == normal_input(1, 2), "computable at compile time, hence exact");
}

TEST(gemm_inputs, are_approximately_standard_normal_and_never_constant) {
  const std::vector<double> values = draw(input_key(7, input_matrix::a), 200000);
  double sum = 0, squares = 0, fourth = 0, largest = 0;
  std::set<double> distinct;
  int within_one_sigma = 0;
  for (double v : values) {
    sum += v;
    squares += v * v;
    fourth += v * v * v * v;
    largest = std::max(largest, std::fabs(v));
    distinct.insert(v);
    within_one_sigma += std::fabs(v) < 1.0 ? 1 : 0;
  }
  const double n = static_cast<double>(values.size());
  const double mean = sum / n, variance = squares / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.01);       // standard error 1/sqrt(2e5) ≈ 0.0022
  EXPECT_NEAR(variance, 1.0, 0.02);   // standard error ≈ sqrt(2/n) ≈ 0.0032
  EXPECT_NEAR(fourth / n, 2.9, 0.1);  // sum of 12 uniforms: kurtosis 3 − 6/(5·12) = 2.9 (normal: 3)
  EXPECT_NEAR(within_one_sigma / n, 0.683, 0.01);
  EXPECT_LT(largest, 6.0);
  EXPECT_GT(largest, 3.5);
  EXPECT_GT(distinct.size(), values.size() - 10);  // continuous: practically no repeats
}

TEST(gemm_inputs, use_the_whole_fp64_mantissa_so_fp64_products_round) {
  // The 32 fine bits below the 16-bit uniforms reach into the low mantissa bits: most values need more than
  // 26 significant bits, so a product of two of them is not exact in fp64 and accumulation order matters.
  int wide = 0;
  for (const double v : draw(input_key(3, input_matrix::b), 1000)) {
    int exponent = 0;
    const double mantissa = std::frexp(v, &exponent);
    const double scaled = std::ldexp(mantissa, 26);
    wide += scaled != std::floor(scaled) ? 1 : 0;
  }
  EXPECT_GT(wide, 900);
}
