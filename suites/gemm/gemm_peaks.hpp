#pragma once
// The datasheet peaks gemm's TFLOP/s are a fraction of (suite::peak_rules: pct_of_peak, and the physical
// ceiling of 2 × the peak).
#include <vector>

#include "harness/core/peak_rules.hpp"

namespace exacheck::gemm {

// By dtype: fp64 → fp64_tensor, then fp64 (cuBLAS runs DGEMM on the FP64 tensor cores where they exist);
// fp32, tf32, fp16, bf16 and int8 → the same name; fp8_e4m3 and fp8_e5m2 → fp8.
std::vector<peak_rule> gemm_peak_rules();

}  // namespace exacheck::gemm
