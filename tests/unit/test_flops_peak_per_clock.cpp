// The flops suite's device-side facts that need no device: the per-clock peak table reproduces NVIDIA's
// datasheet figures at the clocks they assume, pct_of_peak_at_clock is achieved over SMs × per-clock × clock,
// the CUDA backend resolves engines and picks kernels and paths per compute capability, knows which
// instruction family each kernel must report and which one Hopper's peak needs, and the tensor-core
// chain oracle (fma_chain.hpp, "mma") and the 16-bit FMA chains are exact.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/cuda/flops_types.hpp"
#include "suites/flops/fma_chain.hpp"
#include "suites/flops/peak_per_clock.hpp"

using namespace exacheck::flops;
namespace ft = exacheck::cuda::flops_types;

namespace {

// TFLOP/s of the table's row for `sms` SMs at `mhz`.
double table_tflops(int capability, const char* dtype, const char* engine, int sms, double mhz) {
  const auto per_clock = peak_ops_per_clock_per_sm(capability, dtype, engine);
  EXPECT_TRUE(per_clock) << capability << " " << dtype << " " << engine;
  return per_clock ? peak_ops_per_s_at_clock(sms, *per_clock, mhz) / 1e12 : 0.0;
}

}  // namespace

TEST(peak_per_clock, h100_sxm_rows_reproduce_the_datasheet_at_its_clocks) {
  // H100 SXM5: 132 SMs; CUDA-core and FP64-tensor figures at 1980 MHz, the other tensor figures at 1830 MHz.
  EXPECT_NEAR(table_tflops(90, "fp64", "cuda_core", 132, 1980), 34, 0.6);
  EXPECT_NEAR(table_tflops(90, "fp32", "cuda_core", 132, 1980), 67, 0.2);
  EXPECT_NEAR(table_tflops(90, "fp64", "tensor_core", 132, 1980), 67, 0.2);
  EXPECT_NEAR(table_tflops(90, "fp16", "cuda_core", 132, 1980), 133.8, 0.1);
  EXPECT_NEAR(table_tflops(90, "tf32", "tensor_core", 132, 1830), 494.7, 0.1);
  EXPECT_NEAR(table_tflops(90, "bf16", "tensor_core", 132, 1830), 989.5, 0.2);
  EXPECT_NEAR(table_tflops(90, "fp16", "tensor_core", 132, 1830), 989.5, 0.2);
  EXPECT_NEAR(table_tflops(90, "fp8_e4m3", "tensor_core", 132, 1830), 1979, 0.5);
  EXPECT_NEAR(table_tflops(90, "int8", "tensor_core", 132, 1830), 1979, 0.5);
}

TEST(peak_per_clock, a100_rows_reproduce_the_datasheet_at_1410_mhz) {
  EXPECT_NEAR(table_tflops(80, "fp64", "cuda_core", 108, 1410), 9.7, 0.05);
  EXPECT_NEAR(table_tflops(80, "fp64", "tensor_core", 108, 1410), 19.5, 0.05);
  EXPECT_NEAR(table_tflops(80, "fp32", "cuda_core", 108, 1410), 19.5, 0.05);
  EXPECT_NEAR(table_tflops(80, "tf32", "tensor_core", 108, 1410), 156, 0.5);
  EXPECT_NEAR(table_tflops(80, "bf16", "tensor_core", 108, 1410), 312, 0.5);
  EXPECT_NEAR(table_tflops(80, "int8", "tensor_core", 108, 1410), 624, 1);
  EXPECT_NEAR(table_tflops(80, "bf16", "cuda_core", 108, 1410), 39, 0.1);
}

TEST(peak_per_clock, b200_tensor_rows_are_twice_hopper_per_sm_and_clock) {
  for (const char* dtype : {"tf32", "fp16", "bf16", "fp8_e4m3", "int8"})
    EXPECT_EQ(*peak_ops_per_clock_per_sm(100, dtype, "tensor_core"),
              2 * *peak_ops_per_clock_per_sm(90, dtype, "tensor_core"))
        << dtype;
  EXPECT_NEAR(table_tflops(100, "bf16", "tensor_core", 148, 1856), 2250, 2);
}

TEST(peak_per_clock, missing_rows_are_nullopt_never_a_guess) {
  EXPECT_FALSE(peak_ops_per_clock_per_sm(80, "fp8_e4m3", "tensor_core"));  // A100 has no fp8
  EXPECT_FALSE(peak_ops_per_clock_per_sm(86, "fp32", "cuda_core"));        // no sm_86 row
  EXPECT_FALSE(peak_ops_per_clock_per_sm(100, "fp16", "cuda_core"));       // not published
  EXPECT_FALSE(peak_ops_per_clock_per_sm(90, "fp32", "tensor_core"));
  EXPECT_FALSE(peak_ops_per_clock_per_sm(90, "fp64", "cpu_simd"));
}

TEST(peak_per_clock, pct_is_achieved_over_sms_times_per_clock_times_measured_clock) {
  // 132 SMs × 4096 flop/clk × 1500 MHz = 811.0 TFLOP/s; 700 TFLOP/s achieved is 86.3% of that.
  EXPECT_NEAR(pct_of_peak_at_clock(700e12, 132, 4096, 1500), 100 * 700e12 / (132 * 4096 * 1500e6), 1e-9);
  EXPECT_NEAR(pct_of_peak_at_clock(700e12, 132, 4096, 1500), 86.31, 0.01);
  EXPECT_DOUBLE_EQ(pct_of_peak_at_clock(peak_ops_per_s_at_clock(108, 64, 1410), 108, 64, 1410), 100.0);
  // A lower measured clock raises the percentage: it is relative to what the clock allowed.
  EXPECT_GT(pct_of_peak_at_clock(30e12, 132, 128, 1600), pct_of_peak_at_clock(30e12, 132, 128, 1980));
}

TEST(cuda_flops_types, auto_engine_is_cuda_cores_for_fp64_fp32_and_tensor_cores_otherwise) {
  EXPECT_EQ(ft::resolve_engine("fp64", "auto"), "cuda_core");
  EXPECT_EQ(ft::resolve_engine("fp32", "auto"), "cuda_core");
  for (const char* dtype : {"tf32", "fp16", "bf16", "fp8_e4m3", "int8"})
    EXPECT_EQ(ft::resolve_engine(dtype, "auto"), "tensor_core") << dtype;
  EXPECT_EQ(ft::resolve_engine("fp64", "tensor_core"), "tensor_core");
}

TEST(cuda_flops_types, unsupported_pairs_name_the_reason) {
  const ft::compiled_features hopper{1, 1, 16}, ampere{0, 0, 4};
  EXPECT_FALSE(ft::unsupported_reason("bf16", "tensor_core", 90, hopper, "H100"));
  EXPECT_FALSE(ft::unsupported_reason("fp64", "tensor_core", 80, ampere, "A100"));
  EXPECT_FALSE(ft::unsupported_reason("fp16", "cuda_core", 80, ampere, "A100"));
  const auto fp8_on_a100 = ft::unsupported_reason("fp8_e4m3", "tensor_core", 80, ampere, "A100");
  ASSERT_TRUE(fp8_on_a100);
  EXPECT_NE(fp8_on_a100->find("8.9"), std::string::npos) << *fp8_on_a100;
  EXPECT_NE(fp8_on_a100->find("A100 has 8.0"), std::string::npos) << *fp8_on_a100;
  const auto fp32_tensor = ft::unsupported_reason("fp32", "tensor_core", 90, hopper, "H100");
  ASSERT_TRUE(fp32_tensor);
  EXPECT_NE(fp32_tensor->find("tf32"), std::string::npos);
  EXPECT_TRUE(ft::unsupported_reason("int8", "cuda_core", 90, hopper, "H100"));
  EXPECT_TRUE(ft::unsupported_reason("fp64", "cpu_simd", 90, hopper, "H100"));
  EXPECT_TRUE(ft::unsupported_reason("fp64", "cuda_core", 75, ampere, "T4"));
}

TEST(cuda_flops_types, wgmma_only_on_hopper_with_an_sm90a_image_and_never_for_fp64) {
  const ft::compiled_features with_90a{1, 1, 16}, plain_90{0, 1, 16};
  EXPECT_EQ(ft::path_for(ft::kernel_id::mma_bf16, 90, with_90a, true), ft::tensor_path::wgmma);
  EXPECT_EQ(ft::path_for(ft::kernel_id::mma_bf16, 90, with_90a, false), ft::tensor_path::mma_sync);
  EXPECT_EQ(ft::path_for(ft::kernel_id::mma_bf16, 90, plain_90, true), ft::tensor_path::mma_sync);
  EXPECT_EQ(ft::path_for(ft::kernel_id::mma_bf16, 100, with_90a, true), ft::tensor_path::mma_sync);
  EXPECT_EQ(ft::path_for(ft::kernel_id::mma_fp64, 90, with_90a, true), ft::tensor_path::mma_sync);
  EXPECT_EQ(ft::path_for(ft::kernel_id::fma_fp32, 90, with_90a, true), ft::tensor_path::none);
}

TEST(cuda_flops_types, each_kernel_and_path_has_the_instruction_family_its_blocks_must_report) {
  EXPECT_EQ(ft::family_of(ft::kernel_id::fma_fp64, ft::tensor_path::none), ft::instruction_family::fma);
  EXPECT_EQ(ft::family_of(ft::kernel_id::fma_bf16x2, ft::tensor_path::none), ft::instruction_family::fma);
  EXPECT_EQ(ft::family_of(ft::kernel_id::mma_bf16, ft::tensor_path::mma_sync),
            ft::instruction_family::mma_sync);
  EXPECT_EQ(ft::family_of(ft::kernel_id::mma_fp64, ft::tensor_path::mma_sync),
            ft::instruction_family::mma_sync);
  EXPECT_EQ(ft::family_of(ft::kernel_id::mma_fp8, ft::tensor_path::wgmma), ft::instruction_family::wgmma);
  EXPECT_EQ(ft::family_name(ft::instruction_family::fma), "fma");
  EXPECT_EQ(ft::family_name(ft::instruction_family::mma_sync), "mma.sync");
  EXPECT_EQ(ft::family_name(ft::instruction_family::wgmma), "wgmma");
}

TEST(cuda_flops_types, the_reported_family_is_the_one_every_block_wrote_or_none) {
  const std::vector<unsigned> wgmma(264, 3), mixed = {3, 3, 2, 3}, unwritten = {3, 0, 3}, unknown = {7, 7};
  EXPECT_EQ(ft::reported_family(wgmma.data(), wgmma.size()), ft::instruction_family::wgmma);
  EXPECT_EQ(ft::reported_family(wgmma.data(), 1), ft::instruction_family::wgmma);
  EXPECT_FALSE(ft::reported_family(mixed.data(), mixed.size()));
  EXPECT_FALSE(ft::reported_family(unwritten.data(), unwritten.size()));  // a block that never wrote its slot
  EXPECT_FALSE(ft::reported_family(unknown.data(), unknown.size()));
  EXPECT_FALSE(ft::reported_family(wgmma.data(), 0));
}

TEST(peak_per_clock, hopper_tensor_cores_reach_the_table_only_with_wgmma) {
  for (const char* dtype : {"tf32", "fp16", "bf16", "fp8_e4m3", "int8"})
    EXPECT_EQ(peak_instruction(90, dtype, "tensor_core"), "wgmma") << dtype;
  EXPECT_FALSE(peak_instruction(90, "fp64", "tensor_core"));  // DMMA has no wgmma form
  EXPECT_FALSE(peak_instruction(90, "bf16", "cuda_core"));
  EXPECT_FALSE(peak_instruction(80, "bf16", "tensor_core"));  // Ampere has only mma.sync
  EXPECT_FALSE(peak_instruction(100, "bf16", "tensor_core"));
}

TEST(cuda_flops_types, shapes_count_the_products_of_each_instruction) {
  // wgmma m64n256k16 over 128 threads: 128 accumulators a thread, 16 products each per step.
  const auto wgmma = ft::shape_of(ft::kernel_id::mma_bf16, ft::tensor_path::wgmma, 16);
  EXPECT_EQ(wgmma.accumulators * wgmma.lanes * wgmma.block_threads, 64 * 256);
  EXPECT_EQ(wgmma.k, 16);
  // mma.sync m16n8k32 int8 per warp: 16×8 accumulators over 32 lanes.
  const auto int8 = ft::shape_of(ft::kernel_id::mma_int8, ft::tensor_path::mma_sync, 16);
  EXPECT_EQ(int8.lanes * 32, 16 * 8);
  EXPECT_EQ(int8.k, 32);
  EXPECT_EQ(int8.values, ft::value_type::int32);
  EXPECT_EQ(ft::shape_of(ft::kernel_id::mma_fp64, ft::tensor_path::mma_sync, 4).lanes * 32, 8 * 8);
  EXPECT_EQ(ft::shape_of(ft::kernel_id::mma_fp64, ft::tensor_path::mma_sync, 16).lanes * 32, 16 * 8);
  EXPECT_EQ(ft::shape_of(ft::kernel_id::mma_tf32, ft::tensor_path::mma_sync, 16).k, 8);
  EXPECT_EQ(ft::shape_of(ft::kernel_id::fma_bf16x2, ft::tensor_path::none, 0).lanes, 2);
}

TEST(mma_chain, even_steps_return_to_the_start_and_odd_steps_add_k_alpha_beta) {
  const chain_recurrence recurrence{chain_kind::mma, "fp32", 16};
  for (int thread : {0, 5, 31, 37, 1000})
    for (int lane = 0; lane < 4; ++lane) {
      const double start = chain_start(recurrence, thread, 2, lane);
      EXPECT_EQ(start, std::floor(start));  // integers: exact in any accumulator
      EXPECT_GE(start, -128);
      EXPECT_LT(start, 128);
      EXPECT_EQ(expected_chain_value(recurrence, thread, 2, lane, 4000), start);
      const int lane_in_warp = thread % 32;
      const double product = 16.0 * mma_row_values[static_cast<std::size_t>(lane_in_warp / 4)] *
                             mma_column_values[static_cast<std::size_t>(2 * (lane_in_warp % 4) + lane % 2)];
      EXPECT_NE(product, 0);
      EXPECT_EQ(expected_chain_value(recurrence, thread, 2, lane, 4001), start + product);
    }
  // Every partial sum stays an integer under 2^12: K ≤ 32, |α·β| ≤ 64, |start| ≤ 128.
  for (int alpha : mma_row_values)
    for (int beta : mma_column_values) EXPECT_LT(128 + 32 * std::abs(alpha * beta), 1 << 12);
}

TEST(fma_chain, sixteen_bit_chains_are_exact_in_their_precision) {
  for (const char* precision : {"fp16", "bf16"}) {
    const chain_recurrence recurrence{chain_kind::fma, precision, 0};
    for (int thread = 0; thread < 8; ++thread)
      for (int accumulator = 0; accumulator < 8; ++accumulator)
        for (int lane = 0; lane < 2; ++lane) {
          const double start = chain_start(recurrence, thread, accumulator, lane);
          const double odd = expected_chain_value(recurrence, thread, accumulator, lane, 7);
          EXPECT_EQ(odd, 1.0 - start) << precision;
          EXPECT_EQ(expected_chain_value(recurrence, thread, accumulator, lane, 8), start) << precision;
        }
  }
  // An fp32 start of 2^−9 resolution is not a bf16 value: the replay refuses it rather than round.
  EXPECT_TRUE(std::isnan(replay_fma_chain_rounded(0.5 + 1.0 / 512, 8, 3)));
  EXPECT_EQ(round_to_bits(1.0 + 1.0 / 512, 8), 1.0);
  EXPECT_EQ(round_to_bits(1.0 + 3.0 / 256, 8), 1.0 + 2.0 / 128);  // a tie: to even
}
