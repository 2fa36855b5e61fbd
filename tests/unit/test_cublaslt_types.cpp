// The host-side table of the cuBLASLt gemm backend (kernels/cuda/gemm_types.hpp), which needs neither CUDA
// nor a GPU: every dtype the gemm suite offers has an entry the oracle knows, FP8 and INT8 run as TN with the
// request mapped onto transposed uploads, compute capabilities gate the dtypes with a sentence naming both,
// and the input rounding (tf32, int8) is what the GPU multiplies.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "harness/param_spec.hpp"
#include "kernels/cuda/gemm_types.hpp"
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

TEST(cublaslt_types, tn_only_dtypes_run_every_request_as_tn_on_transposed_uploads) {
  for (const std::string name : {"fp8_e4m3", "fp8_e5m2", "int8"}) {
    const dtype_info& info = *find_dtype(name);
    ASSERT_TRUE(info.requires_tn) << name;
    for (const bool transa : {false, true})
      for (const bool transb : {false, true}) {
        const executed_layout layout = executed_layout_for(info, transa, transb);
        EXPECT_TRUE(layout.transa) << name;
        EXPECT_FALSE(layout.transb) << name;
        // A is uploaded as Aᵀ (k × m) when the request stores it m × k; B as k × n when stored n × k.
        EXPECT_EQ(layout.transpose_a_on_upload, !transa) << name;
        EXPECT_EQ(layout.transpose_b_on_upload, transb) << name;
      }
  }
  for (const std::string name : {"fp64", "fp32", "tf32", "fp16", "bf16"}) {
    const dtype_info& info = *find_dtype(name);
    EXPECT_FALSE(info.requires_tn) << name;
    const executed_layout layout = executed_layout_for(info, true, false);
    EXPECT_TRUE(layout.transa);
    EXPECT_FALSE(layout.transb);
    EXPECT_FALSE(layout.transpose_a_on_upload || layout.transpose_b_on_upload) << name;
  }
}

TEST(cublaslt_types, tf32_rounding_keeps_ten_mantissa_bits_to_nearest_even) {
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
}

TEST(cublaslt_types, int8_inputs_cover_every_int8_value_and_k_is_capped_before_int32_overflow) {
  EXPECT_EQ(quantize_int8(-1.0), -128);
  EXPECT_EQ(quantize_int8(std::nextafter(1.0, 0.0)), 127);
  EXPECT_EQ(quantize_int8(0.0), 0);
  EXPECT_EQ(quantize_int8(-0.001), -1);
  EXPECT_EQ(quantize_int8(0.5), 64);
  EXPECT_LE(int8_max_k * 128 * 128, std::int64_t{std::numeric_limits<std::int32_t>::max()});
  EXPECT_GT((int8_max_k + 1) * 128 * 128, std::int64_t{std::numeric_limits<std::int32_t>::max()});
}
