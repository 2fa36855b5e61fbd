#pragma once
// The collectives' element types as NCCL and the CUDA host headers know them (for nccl_collectives.cpp):
// which ncclDataType_t each one is, whether this build's NCCL headers have it, from which NCCL version and
// compute capability the library runs it, and the host type that converts values to and from it.
//
// Availability, as nccl-tests decides it (src/common.cu, HAVE_BF16 / HAVE_FP8): ncclBfloat16 from NCCL 2.10
// with CUDA's bf16 types; ncclFloat8e4m3 / ncclFloat8e5m2 from NCCL 2.24 with CUDA's fp8 types, and only on
// devices of compute capability 9.0 or later (NCCL's documentation of ncclDataType_t). A type these headers
// lack is refused with that reason (SKIPPED), never mapped to another.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <nccl.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "suites/collectives/collective_formulas.hpp"

#if defined(NCCL_VERSION_CODE) && NCCL_VERSION_CODE >= NCCL_VERSION(2, 10, 0) && \
    defined(__CUDA_BF16_TYPES_EXIST__)
#define EXACHECK_NCCL_HAS_BF16 1
#else
#define EXACHECK_NCCL_HAS_BF16 0
#endif
#if EXACHECK_NCCL_HAS_BF16 && NCCL_VERSION_CODE >= NCCL_VERSION(2, 24, 0) && defined(__CUDA_FP8_TYPES_EXIST__)
#define EXACHECK_NCCL_HAS_FP8 1
#else
#define EXACHECK_NCCL_HAS_FP8 0
#endif

namespace exacheck::cuda::nccl_types {

using collectives::element_type;

// ncclGetVersion's code for a version: major·10000 + minor·100 + patch (NCCL ≥ 2.9).
constexpr int version_code(int major, int minor, int patch) {
  return major * 10000 + minor * 100 + patch;
}

// The NCCL type of `dtype`, or nullopt when these headers do not have it.
inline std::optional<ncclDataType_t> nccl_type(element_type dtype) {
  switch (dtype) {
    case element_type::int32:
      return ncclInt32;
    case element_type::fp32:
      return ncclFloat32;
    case element_type::fp64:
      return ncclFloat64;
    case element_type::fp16:
      return ncclFloat16;
#if EXACHECK_NCCL_HAS_BF16
    case element_type::bf16:
      return ncclBfloat16;
#endif
#if EXACHECK_NCCL_HAS_FP8
    case element_type::fp8_e4m3:
      return ncclFloat8e4m3;
    case element_type::fp8_e5m2:
      return ncclFloat8e5m2;
#endif
    default:
      return std::nullopt;
  }
}

// Why the NCCL loaded at run time (version `nccl_code`), on a device of compute capability `major`.`minor`,
// cannot run `dtype`; nullopt when it can.
inline std::optional<std::string> unsupported_reason(element_type dtype, int nccl_code, int major,
                                                     int minor) {
  const bool fp8 = dtype == element_type::fp8_e4m3 || dtype == element_type::fp8_e5m2;
  const std::string name(collectives::to_string(dtype));
  if (!nccl_type(dtype))
    return name + " is not in the NCCL headers this binary was built with (NCCL " +
           std::to_string(NCCL_MAJOR) + "." + std::to_string(NCCL_MINOR) + "; " +
           (fp8 ? "fp8 needs NCCL 2.24" : "bf16 needs NCCL 2.10") + " and CUDA's " + (fp8 ? "fp8" : "bf16") +
           " types)";
  if (dtype == element_type::bf16 && nccl_code < version_code(2, 10, 0))
    return "bf16 needs NCCL 2.10 or later; the NCCL loaded is older";
  if (fp8 && nccl_code < version_code(2, 24, 0))
    return name + " needs NCCL 2.24 or later; the NCCL loaded is older";
  if (fp8 && major < 9)
    return name + " collectives need a GPU of compute capability 9.0 or later (NCCL); this one is " +
           std::to_string(major) + "." + std::to_string(minor);
  return std::nullopt;
}

// Calls f(T{}) with the host type T that holds one element of `dtype` (CUDA's __nv_bfloat16, __half,
// __nv_fp8_e4m3, __nv_fp8_e5m2 for the narrow types). Throws for a type these headers do not have.
template <typename F>
decltype(auto) with_host_type(element_type dtype, F&& f) {
  switch (dtype) {
    case element_type::int32:
      return f(std::int32_t{});
    case element_type::fp32:
      return f(float{});
    case element_type::fp64:
      return f(double{});
    case element_type::fp16:
      return f(__half{});
#if EXACHECK_NCCL_HAS_BF16
    case element_type::bf16:
      return f(__nv_bfloat16{});
#endif
#if EXACHECK_NCCL_HAS_FP8
    case element_type::fp8_e4m3:
      return f(__nv_fp8_e4m3{});
    case element_type::fp8_e5m2:
      return f(__nv_fp8_e5m2{});
#endif
    default:
      break;
  }
  throw std::invalid_argument("nccl_collectives: dtype '" + std::string(collectives::to_string(dtype)) +
                              "' is not in this build's NCCL headers");
}

// Host conversions. The values the suite writes are integers exact in the type (collective_formulas.hpp), so
// CUDA's round-to-nearest conversions are exact here; they round like the device would for anything else.
template <typename T>
T from_double(double value) {
  if constexpr (std::is_same_v<T, __half>) return __float2half_rn(static_cast<float>(value));
#if EXACHECK_NCCL_HAS_BF16
  else if constexpr (std::is_same_v<T, __nv_bfloat16>)
    return __float2bfloat16_rn(static_cast<float>(value));
#endif
#if EXACHECK_NCCL_HAS_FP8
  else if constexpr (std::is_same_v<T, __nv_fp8_e4m3> || std::is_same_v<T, __nv_fp8_e5m2>)
    return T(static_cast<float>(value));  // round to nearest, saturating to the largest finite value
#endif
  else
    return static_cast<T>(value);
}

template <typename T>
double to_double(T value) {
  if constexpr (std::is_same_v<T, __half>) return __half2float(value);
#if EXACHECK_NCCL_HAS_BF16
  else if constexpr (std::is_same_v<T, __nv_bfloat16>)
    return __bfloat162float(value);
#endif
#if EXACHECK_NCCL_HAS_FP8
  else if constexpr (std::is_same_v<T, __nv_fp8_e4m3> || std::is_same_v<T, __nv_fp8_e5m2>)
    return static_cast<float>(value);
#endif
  else
    return static_cast<double>(value);
}

}  // namespace exacheck::cuda::nccl_types
