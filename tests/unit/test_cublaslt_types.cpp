// The host-side table of the cuBLASLt gemm backend (kernels/cuda/gemm_types.hpp), which needs neither CUDA
// nor a GPU: every dtype the gemm suite offers has an entry the oracle knows, FP8 and INT8 run as TN whatever
// the request, compute capabilities gate the dtypes with a sentence naming both, the input rounding (tf32,
// int8) is what the GPU multiplies, and device-timed samples hold enough back-to-back calls.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "harness/core/param_spec.hpp"
#include "kernels/cuda/gemm_types.hpp"
#include "suites/gemm/gemm_inputs.hpp"
#include "suites/gemm/gemm_oracle.hpp"
#include "suites/gemm/gemm_suite.hpp"

using namespace exacheck;
using namespace exacheck::cuda::gemm_types;

TEST(cublaslt_types, every_dtype_of_the_gemm_suite_has_a_table_entry_the_oracle_knows) {
  const auto suite = make_gemm_suite();
  const auto parameters = suite->parameters("gemm");
  const param_spec* dtype = find_param(parameters, "dtype");
  ASSERT_NE(dtype, nullptr);
  ASSERT_EQ(dtype->allowed.size(), dtype_table.size());
  for (const auto& name : dtype->allowed) {
    const dtype_info* info = find_dtype(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->dtype, name);
    EXPECT_NO_THROW(gemm::machine_epsilon(name)) << name;
  }
  EXPECT_EQ(find_dtype("fp4"), nullptr);
}

TEST(cublaslt_types, formats_and_compute_types_follow_the_precision) {
  EXPECT_EQ(find_dtype("fp64")->compute, compute_mode::fp64);
  EXPECT_EQ(find_dtype("fp32")->compute, compute_mode::fp32);
  const dtype_info& tf32 = *find_dtype("tf32");
  EXPECT_EQ(tf32.a, element_format::fp32);  // fp32 storage, tf32 tensor-core inputs
  EXPECT_EQ(tf32.compute, compute_mode::fp32_fast_tf32);
  EXPECT_TRUE(tf32.round_inputs_to_tf32);
  for (const std::string name : {"fp16", "bf16", "fp8_e4m3", "fp8_e5m2"}) {
    EXPECT_EQ(find_dtype(name)->compute, compute_mode::fp32) << name << " accumulates in fp32";
    EXPECT_EQ(find_dtype(name)->scale, element_format::fp32) << name;
  }
  EXPECT_EQ(find_dtype("fp8_e4m3")->c, element_format::bf16);
  // cuBLASLt has no E5M2 × E5M2 kernel: fp8_e5m2 pairs an E5M2 A with an E4M3 B.
  EXPECT_EQ(find_dtype("fp8_e5m2")->a, element_format::fp8_e5m2);
  EXPECT_EQ(find_dtype("fp8_e5m2")->b, element_format::fp8_e4m3);
  const dtype_info& int8 = *find_dtype("int8");
  EXPECT_EQ(int8.c, element_format::int32);
  EXPECT_EQ(int8.scale, element_format::int32);
  EXPECT_EQ(int8.compute, compute_mode::int32);
  EXPECT_EQ(compute_name(compute_mode::fp32_fast_tf32), "CUBLAS_COMPUTE_32F_FAST_TF32");
  EXPECT_EQ(format_name(element_format::fp8_e4m3), "CUDA_R_8F_E4M3");
}

TEST(cublaslt_types, element_bytes_are_the_storage_sizes) {
  EXPECT_EQ(element_bytes(element_format::fp64), 8u);
  EXPECT_EQ(element_bytes(element_format::fp32), 4u);
  EXPECT_EQ(element_bytes(element_format::int32), 4u);
  EXPECT_EQ(element_bytes(element_format::fp16), 2u);
  EXPECT_EQ(element_bytes(element_format::bf16), 2u);
  EXPECT_EQ(element_bytes(element_format::fp8_e4m3), 1u);
  EXPECT_EQ(element_bytes(element_format::fp8_e5m2), 1u);
  EXPECT_EQ(element_bytes(element_format::int8), 1u);
}

TEST(cublaslt_types, fp8_needs_compute_capability_8_9_and_the_reason_names_dtype_device_and_both_versions) {
  EXPECT_FALSE(unsupported_reason("fp8_e4m3", 9, 0, "CUDA device 0 (H100)").has_value());
  EXPECT_FALSE(unsupported_reason("fp8_e5m2", 8, 9, "CUDA device 0 (L40S)").has_value());
  const auto reason = unsupported_reason("fp8_e4m3", 8, 0, "CUDA device 0 (NVIDIA A100-SXM4-80GB)");
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("fp8_e4m3"), std::string::npos) << *reason;
  EXPECT_NE(reason->find("NVIDIA A100-SXM4-80GB"), std::string::npos) << *reason;
  EXPECT_NE(reason->find("8.9"), std::string::npos) << *reason;
  EXPECT_NE(reason->find("8.0"), std::string::npos) << *reason;
  EXPECT_TRUE(unsupported_reason("bf16", 7, 5, "T4").has_value());
  EXPECT_FALSE(unsupported_reason("int8", 7, 5, "T4").has_value());
  EXPECT_FALSE(unsupported_reason("fp64", 6, 0, "P100").has_value());
  EXPECT_FALSE(unsupported_reason("bf16", 10, 0, "B200").has_value());
  const auto unknown = unsupported_reason("fp4", 9, 0, "H100");
  ASSERT_TRUE(unknown.has_value());
  EXPECT_NE(unknown->find("fp4"), std::string::npos) << *unknown;
}

TEST(cublaslt_types, tn_only_dtypes_run_every_request_as_tn) {
  for (const std::string name : {"fp8_e4m3", "fp8_e5m2", "int8"}) {
    const dtype_info& info = *find_dtype(name);
    ASSERT_TRUE(info.requires_tn) << name;
    for (const bool transa : {false, true})
      for (const bool transb : {false, true}) {
        const executed_layout layout = executed_layout_for(info, transa, transb);
        EXPECT_TRUE(layout.transa) << name;
        EXPECT_FALSE(layout.transb) << name;
      }
  }
  for (const std::string name : {"fp64", "fp32", "tf32", "fp16", "bf16"}) {
    const dtype_info& info = *find_dtype(name);
    EXPECT_FALSE(info.requires_tn) << name;
    for (const bool transa : {false, true})
      for (const bool transb : {false, true}) {
        const executed_layout layout = executed_layout_for(info, transa, transb);
        EXPECT_EQ(layout.transa, transa) << name;
        EXPECT_EQ(layout.transb, transb) << name;
      }
  }
}

TEST(cublaslt_types, tf32_rounding_keeps_ten_mantissa_bits_to_nearest_even) {
  const auto round_to_tf32 = [](float value) {
    return std::bit_cast<float>(gemm::round_bits_to_tf32(std::bit_cast<std::uint32_t>(value)));
  };
  EXPECT_EQ(round_to_tf32(1.0f), 1.0f);
  EXPECT_EQ(round_to_tf32(1.0f + std::ldexp(1.0f, -10)), 1.0f + std::ldexp(1.0f, -10));  // representable
  EXPECT_EQ(round_to_tf32(1.0f + std::ldexp(1.0f, -11)), 1.0f);  // tie → even (down)
  EXPECT_EQ(round_to_tf32(1.0f + 3 * std::ldexp(1.0f, -11)), 1.0f + std::ldexp(1.0f, -9));  // tie → even (up)
  EXPECT_EQ(round_to_tf32(-0.3f), -round_to_tf32(0.3f));
  EXPECT_LE(std::fabs(round_to_tf32(0.3f) - 0.3f), 0.3f * std::ldexp(1.0f, -11));
  // Every rounded value has its 13 low mantissa bits clear: exactly a tf32.
  for (const float value : {0.3f, -0.7123f, 0.999999f, 1e-20f})
    EXPECT_EQ(std::bit_cast<std::uint32_t>(round_to_tf32(value)) & 0x1fffu, 0u) << value;
  EXPECT_TRUE(std::isnan(round_to_tf32(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(round_to_tf32(std::numeric_limits<float>::infinity()), std::numeric_limits<float>::infinity());
}

TEST(cublaslt_types, int8_inputs_are_sixteen_times_the_normal_value_rounded_and_k_is_capped) {
  EXPECT_EQ(gemm::int8_input(0.0), 0);
  EXPECT_EQ(gemm::int8_input(1.0), 16);
  EXPECT_EQ(gemm::int8_input(-1.0), -16);
  EXPECT_EQ(gemm::int8_input(0.03125), 1);    // 0.5 rounds away from zero
  EXPECT_EQ(gemm::int8_input(-0.03125), -1);  // symmetric
  EXPECT_EQ(gemm::int8_input(0.03), 0);
  EXPECT_EQ(gemm::int8_input(5.999), 96);   // |normal_input| < 6: the largest input
  EXPECT_EQ(gemm::int8_input(100.0), 127);  // the clamp guards the type only
  EXPECT_LE(int8_max_k * 128 * 128, std::int64_t{std::numeric_limits<std::int32_t>::max()});
  EXPECT_GT((int8_max_k + 1) * 128 * 128, std::int64_t{std::numeric_limits<std::int32_t>::max()});
}

TEST(cublaslt_types, calls_per_sample_fill_the_target_with_at_least_two_back_to_back_calls) {
  EXPECT_EQ(calls_per_sample(1e-3, 2e-3), 2);
  EXPECT_EQ(calls_per_sample(0.3e-3, 2e-3), 7);    // ceil(6.67)
  EXPECT_EQ(calls_per_sample(10e-3, 2e-3), 2);     // a long call still runs twice
  EXPECT_EQ(calls_per_sample(1e-9, 2e-3), 10000);  // capped
  EXPECT_EQ(calls_per_sample(0.0, 2e-3), 2);       // an unmeasurable call: the minimum, never a division by 0
  EXPECT_EQ(calls_per_sample(std::nan(""), 2e-3), 2);
}
