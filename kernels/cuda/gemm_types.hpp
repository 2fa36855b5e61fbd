#pragma once
// Host-side facts of the cuBLASLt gemm backend (kernels/cuda/cublaslt_gemm.cpp): which element formats,
// compute type and layout each gemm dtype runs with, from which compute capability, and the input rounding
// the oracle must reproduce. Plain C++ on purpose — no CUDA header — so unit tests include it in builds
// without CUDA; cublaslt_gemm.cpp maps the enums below to cudaDataType_t / cublasComputeType_t. Tolerances
// are not here: gemm::machine_epsilon (suites/gemm/gemm_oracle.hpp) is their one source.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/enum_names.hpp"

namespace exacheck::gemm {
class gemm_backend;
}

namespace exacheck::cuda::gemm_types {

// Storage formats of A, B and C (cudaDataType_t CUDA_R_*).
enum class element_format { fp64, fp32, fp16, bf16, fp8_e4m3, fp8_e5m2, int8, int32 };

// Accumulation (cublasComputeType_t CUBLAS_COMPUTE_*).
enum class compute_mode { fp64, fp32, fp32_fast_tf32, int32 };

constexpr std::size_t element_bytes(element_format format) {
  switch (format) {
    case element_format::fp64:
      return 8;
    case element_format::fp32:
    case element_format::int32:
      return 4;
    case element_format::fp16:
    case element_format::bf16:
      return 2;
    case element_format::fp8_e4m3:
    case element_format::fp8_e5m2:
    case element_format::int8:
      return 1;
  }
  return 0;
}

// The cudaDataType_t and cublasComputeType_t spellings, for implementation() and messages.
inline constexpr std::array<enum_name<element_format>, 8> element_format_names{{
    {element_format::fp64, "CUDA_R_64F"},
    {element_format::fp32, "CUDA_R_32F"},
    {element_format::fp16, "CUDA_R_16F"},
    {element_format::bf16, "CUDA_R_16BF"},
    {element_format::fp8_e4m3, "CUDA_R_8F_E4M3"},
    {element_format::fp8_e5m2, "CUDA_R_8F_E5M2"},
    {element_format::int8, "CUDA_R_8I"},
    {element_format::int32, "CUDA_R_32I"},
}};
inline constexpr std::array<enum_name<compute_mode>, 4> compute_mode_names{{
    {compute_mode::fp64, "CUBLAS_COMPUTE_64F"},
    {compute_mode::fp32, "CUBLAS_COMPUTE_32F"},
    {compute_mode::fp32_fast_tf32, "CUBLAS_COMPUTE_32F_FAST_TF32"},
    {compute_mode::int32, "CUBLAS_COMPUTE_32I"},
}};

constexpr std::string_view format_name(element_format format) {
  return name_of(element_format_names, format);
}

constexpr std::string_view compute_name(compute_mode mode) {
  return name_of(compute_mode_names, mode);
}

struct dtype_info {
  std::string_view dtype;  // the plan's name (suites/gemm parameter "dtype")
  element_format a, b, c;  // storage of A, B and C (D is C, in place)
  element_format scale;    // alpha and beta (and the FP8 scale factors' compute type)
  compute_mode compute;
  // Lowest compute capability (major·10 + minor) with tensor cores for the format: TF32 and BF16 came with
  // Ampere (8.0), FP8 with Ada and Hopper (8.9), INT8 IMMA with Turing (7.5), FP16 HMMA with Volta (7.0).
  int min_compute_capability;
  // cuBLASLt runs the dtype only as op(A) = Aᵀ, op(B) = B ("TN"): FP8 kernels always, INT8 IMMA kernels on
  // the regular column-major order. Other requests are run TN (executed_layout_for).
  bool requires_tn;
  // The input rounding that differs from the storage format: tf32 keeps fp32 storage but the tensor cores
  // read 10 mantissa bits, so the inputs are rounded to tf32 first (gemm::round_bits_to_tf32) and the oracle
  // sees exactly what is multiplied.
  bool round_inputs_to_tf32;
};

// FP8: cuBLASLt has E4M3×E4M3, E4M3×E5M2 and E5M2×E4M3 but no E5M2×E5M2, so fp8_e5m2 multiplies an E5M2 A by
// an E4M3 B (its tolerance is E5M2's, the coarser one). FP8 results are stored as BF16 (fp32 accumulation);
// INT8 results as exact INT32.
inline constexpr std::array<dtype_info, 8> dtype_table{{
    {"fp64", element_format::fp64, element_format::fp64, element_format::fp64, element_format::fp64,
     compute_mode::fp64, 0, false, false},
    {"fp32", element_format::fp32, element_format::fp32, element_format::fp32, element_format::fp32,
     compute_mode::fp32, 0, false, false},
    {"tf32", element_format::fp32, element_format::fp32, element_format::fp32, element_format::fp32,
     compute_mode::fp32_fast_tf32, 80, false, true},
    {"fp16", element_format::fp16, element_format::fp16, element_format::fp16, element_format::fp32,
     compute_mode::fp32, 70, false, false},
    {"bf16", element_format::bf16, element_format::bf16, element_format::bf16, element_format::fp32,
     compute_mode::fp32, 80, false, false},
    {"fp8_e4m3", element_format::fp8_e4m3, element_format::fp8_e4m3, element_format::bf16,
     element_format::fp32, compute_mode::fp32, 89, true, false},
    {"fp8_e5m2", element_format::fp8_e5m2, element_format::fp8_e4m3, element_format::bf16,
     element_format::fp32, compute_mode::fp32, 89, true, false},
    {"int8", element_format::int8, element_format::int8, element_format::int32, element_format::int32,
     compute_mode::int32, 75, true, false},
}};

// The table's entry for `dtype`, nullptr when there is none.
constexpr const dtype_info* find_dtype(std::string_view dtype) {
  for (const auto& info : dtype_table)
    if (info.dtype == dtype) return &info;
  return nullptr;
}

// Why the cuda backend cannot run `dtype` on a device of compute capability major.minor, nullopt when it can.
// `device` names the device in the sentence ("CUDA device 0 (NVIDIA A100-SXM4-80GB)").
inline std::optional<std::string> unsupported_reason(std::string_view dtype, int major, int minor,
                                                     std::string_view device) {
  const dtype_info* info = find_dtype(dtype);
  if (!info)
    return "dtype " + std::string(dtype) + " is not supported by the cuda backend (cuBLASLt has no " +
           std::string(dtype) + " GEMM)";
  const int capability = major * 10 + minor;
  if (capability >= info->min_compute_capability) return std::nullopt;
  return "dtype " + std::string(dtype) + " is not supported by the cuda backend on " + std::string(device) +
         ": cuBLASLt needs compute capability " + std::to_string(info->min_compute_capability / 10) + "." +
         std::to_string(info->min_compute_capability % 10) + " or newer for it, the device has " +
         std::to_string(major) + "." + std::to_string(minor);
}

// How the GEMM is run for a requested op(A), op(B): TN-only dtypes run op(A) = Aᵀ, op(B) = B whatever the
// request. The inputs are generated on the device in the executed layout (gemm_fill.cuh), so this changes
// which random matrices are multiplied, not what is measured; the backend says so in the point's warnings.
struct executed_layout {
  bool transa = false;  // op(A) given to cuBLASLt
  bool transb = false;  // op(B) given to cuBLASLt
};

constexpr executed_layout executed_layout_for(const dtype_info& info, bool transa, bool transb) {
  if (!info.requires_tn) return {transa, transb};
  return {true, false};
}

// Back-to-back calls per device-timed sample: enough that the sample holds at least `target_s` of work given
// one call's time (at least 2, so every sample times calls that follow each other with no gap), at most
// 10000 (a call faster than the launch rate measures launches whatever the count).
inline int calls_per_sample(double one_call_s, double target_s) {
  if (!(one_call_s > 0)) return 2;
  const double calls = std::ceil(target_s / one_call_s);
  return static_cast<int>(std::clamp(calls, 2.0, 10000.0));
}

// Largest K whose int32 accumulation of int8 products cannot overflow (each |a·b| ≤ 128·128; the inputs of
// gemm::int8_input stay within ±96, so this bound is conservative).
inline constexpr std::int64_t int8_max_k = std::numeric_limits<std::int32_t>::max() / (128 * 128);

}  // namespace exacheck::cuda::gemm_types

namespace exacheck::cuda {

// Test hook of the cuBLASLt gemm backend (a build without CUDA throws): adds `delta` to C(i, j) in
// device memory after a run, so that tests can show a wrong answer is detected. Throws std::invalid_argument
// when `backend` is not the cuBLASLt backend, std::out_of_range outside C.
void corrupt_gemm_output_for_testing(gemm::gemm_backend& backend, std::int64_t i, std::int64_t j,
                                     double delta);

// Test hook: every element of A (`matrix_b` false) or B in storage order (executed layout, batch entries back
// to back), widened to double: as the device kernel stored it, and as the oracle recomputes it on the host
// (gemm_fill::stored_input). They must be the same bits.
struct gemm_input_images {
  std::vector<double> device, host;
};
gemm_input_images gemm_inputs_for_testing(gemm::gemm_backend& backend, bool matrix_b);

}  // namespace exacheck::cuda
