#pragma once
// The gemm inputs on the device: fill_gemm_input() writes suites/gemm/gemm_inputs.hpp's normal values,
// rounded to the storage format, straight into device memory (an 8192 × 8192 matrix in well under a
// millisecond, no host draw and no upload), and stored_input() gives the host the very same stored value for
// the oracle. Both sides round with the same __host__ __device__ code below, from a double that is exact on
// both; the CUDA conversions round to nearest even on host and device alike (tests/gpu/test_cublaslt_gemm.cpp
// compares them bit for bit). A plain header for nvcc (C++17, gemm_fill.cu) and the C++20 backend
// (cublaslt_gemm.cpp).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>

#include "suites/gemm/gemm_inputs.hpp"

namespace exacheck::cuda::gemm_fill {

// What an input element is stored as: the storage format, with tf32 as fp32 holding tf32 values (the tensor
// cores read 10 mantissa bits, so the inputs are rounded to them and the oracle sees what is multiplied).
enum class input_format { fp64, fp32, tf32, fp16, bf16, fp8_e4m3, fp8_e5m2, int8 };

__host__ __device__ inline std::size_t input_bytes(input_format format) {
  switch (format) {
    case input_format::fp64:
      return 8;
    case input_format::fp32:
    case input_format::tf32:
      return 4;
    case input_format::fp16:
    case input_format::bf16:
      return 2;
    default:
      return 1;
  }
}

// Writes `value` rounded to `format` at `out` (input_bytes(format) bytes). Narrow formats go through fp32
// first (round to nearest both times): the same two steps on host and device give the same bits.
__host__ __device__ inline void store_input(input_format format, double value, void* out) {
  const float single = static_cast<float>(value);
  switch (format) {
    case input_format::fp64:
      std::memcpy(out, &value, 8);
      return;
    case input_format::fp32:
      std::memcpy(out, &single, 4);
      return;
    case input_format::tf32: {
      std::uint32_t bits;
      std::memcpy(&bits, &single, 4);
      bits = gemm::round_bits_to_tf32(bits);
      std::memcpy(out, &bits, 4);
      return;
    }
    case input_format::fp16: {
      const __half half = __float2half_rn(single);
      std::memcpy(out, &half, 2);
      return;
    }
    case input_format::bf16: {
      const __nv_bfloat16 bf = __float2bfloat16_rn(single);
      std::memcpy(out, &bf, 2);
      return;
    }
    case input_format::fp8_e4m3: {
      const __nv_fp8_storage_t fp8 = __nv_cvt_float_to_fp8(single, __NV_SATFINITE, __NV_E4M3);
      std::memcpy(out, &fp8, 1);
      return;
    }
    case input_format::fp8_e5m2: {
      const __nv_fp8_storage_t fp8 = __nv_cvt_float_to_fp8(single, __NV_SATFINITE, __NV_E5M2);
      std::memcpy(out, &fp8, 1);
      return;
    }
    case input_format::int8: {
      const std::int8_t integer = gemm::int8_input(value);
      std::memcpy(out, &integer, 1);
      return;
    }
  }
}

// The value stored at `in` in `format`, widened exactly to double.
__host__ __device__ inline double load_input(input_format format, const void* in) {
  switch (format) {
    case input_format::fp64: {
      double value;
      std::memcpy(&value, in, 8);
      return value;
    }
    case input_format::fp32:
    case input_format::tf32: {
      float value;
      std::memcpy(&value, in, 4);
      return value;
    }
    case input_format::fp16: {
      __half value;
      std::memcpy(&value, in, 2);
      return __half2float(value);
    }
    case input_format::bf16: {
      __nv_bfloat16 value;
      std::memcpy(&value, in, 2);
      return __bfloat162float(value);
    }
    case input_format::fp8_e4m3:
    case input_format::fp8_e5m2: {
      __nv_fp8_storage_t value;
      std::memcpy(&value, in, 1);
      const __half_raw half =
          __nv_cvt_fp8_to_halfraw(value, format == input_format::fp8_e4m3 ? __NV_E4M3 : __NV_E5M2);
      return __half2float(__half(half));
    }
    case input_format::int8: {
      std::int8_t value;
      std::memcpy(&value, in, 1);
      return value;
    }
  }
  const std::uint64_t quiet_nan = 0x7ff8000000000000ULL;  // unreachable: every format returned above
  double nan;
  std::memcpy(&nan, &quiet_nan, 8);
  return nan;
}

// Element `index` of the matrix with `key` as multiplied: gemm::normal_input rounded to `format`.
inline double stored_input(input_format format, std::uint64_t key, std::uint64_t index) {
  unsigned char bytes[8];
  store_input(format, gemm::normal_input(key, index), bytes);
  return load_input(format, bytes);
}

// Enqueues on `stream` a kernel that writes elements [0, elements) of the matrix with `key` to `out` in
// `format`; returns the launch's error. Does not synchronise.
cudaError_t fill_gemm_input(input_format format, std::uint64_t key, std::uint64_t elements, void* out,
                            cudaStream_t stream);

}  // namespace exacheck::cuda::gemm_fill
