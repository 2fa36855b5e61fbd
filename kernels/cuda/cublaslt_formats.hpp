#pragma once
// How the cuBLASLt gemm backend (cublaslt_gemm.cpp) spells gemm_types' formats for CUDA and cuBLASLt, and how
// it writes and reads them on the host: inputs through gemm_fill's codec (the one the device kernel uses),
// C's int32 directly.
#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "kernels/cuda/gemm_fill.cuh"
#include "kernels/cuda/gemm_types.hpp"

namespace exacheck::cuda::cublaslt_formats {

namespace gt = gemm_types;
using gemm_fill::input_format;

inline cudaDataType_t cuda_type(gt::element_format format) {
  switch (format) {
    case gt::element_format::fp64:
      return CUDA_R_64F;
    case gt::element_format::fp32:
      return CUDA_R_32F;
    case gt::element_format::fp16:
      return CUDA_R_16F;
    case gt::element_format::bf16:
      return CUDA_R_16BF;
    case gt::element_format::fp8_e4m3:
      return CUDA_R_8F_E4M3;
    case gt::element_format::fp8_e5m2:
      return CUDA_R_8F_E5M2;
    case gt::element_format::int8:
      return CUDA_R_8I;
    case gt::element_format::int32:
      return CUDA_R_32I;
  }
  throw std::logic_error("cublaslt_gemm: unknown element format");
}

inline cublasComputeType_t cublas_compute(gt::compute_mode mode) {
  switch (mode) {
    case gt::compute_mode::fp64:
      return CUBLAS_COMPUTE_64F;
    case gt::compute_mode::fp32:
      return CUBLAS_COMPUTE_32F;
    case gt::compute_mode::fp32_fast_tf32:
      return CUBLAS_COMPUTE_32F_FAST_TF32;
    case gt::compute_mode::int32:
      return CUBLAS_COMPUTE_32I;
  }
  throw std::logic_error("cublaslt_gemm: unknown compute mode");
}

// How an input of `format` is generated (tf32: fp32 storage holding tf32 values).
inline input_format input_format_of(gt::element_format format, bool tf32) {
  switch (format) {
    case gt::element_format::fp64:
      return input_format::fp64;
    case gt::element_format::fp32:
      return tf32 ? input_format::tf32 : input_format::fp32;
    case gt::element_format::fp16:
      return input_format::fp16;
    case gt::element_format::bf16:
      return input_format::bf16;
    case gt::element_format::fp8_e4m3:
      return input_format::fp8_e4m3;
    case gt::element_format::fp8_e5m2:
      return input_format::fp8_e5m2;
    case gt::element_format::int8:
      return input_format::int8;
    case gt::element_format::int32:
      break;
  }
  throw std::logic_error("cublaslt_gemm: int32 is never an input format");
}

// C's formats: fp64, fp32, fp16, bf16 (through the input codec, which rounds to nearest) and int32.
inline void encode_output(gt::element_format format, double value, std::byte* destination) {
  if (format == gt::element_format::int32) {
    const auto integer = static_cast<std::int32_t>(std::llround(value));
    std::memcpy(destination, &integer, sizeof integer);
    return;
  }
  gemm_fill::store_input(input_format_of(format, false), value, destination);
}

inline double decode_output(gt::element_format format, const std::byte* source) {
  if (format == gt::element_format::int32) {
    std::int32_t integer;
    std::memcpy(&integer, source, sizeof integer);
    return integer;
  }
  return gemm_fill::load_input(input_format_of(format, false), source);
}

}  // namespace exacheck::cuda::cublaslt_formats
