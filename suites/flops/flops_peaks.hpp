#pragma once
// The datasheet peaks flops' TFLOP/s are a fraction of (suite::peak_rules: pct_of_peak, and the physical
// ceiling of 2 × the peak).
#include <vector>

#include "harness/core/peak_rules.hpp"

namespace exacheck::flops {

// By `engine` and dtype: cuda_core fp64 → fp64, fp32 → fp32; tensor_core fp64 → fp64_tensor, tf32, fp16, bf16
// and int8 → the same name, fp8_e4m3 → fp8; cpu_simd (no datasheet figure per GPU) → none.
std::vector<peak_rule> flops_peak_rules();

}  // namespace exacheck::flops
