#pragma once
// The `gemm` suite: dense matrix multiply C = op(A)·op(B) per rank, TFLOP/s = 2·M·N·K / median time, checked
// on sampled entries against a long double reference (gemm_oracle.hpp; kernels behind gemm_backend.hpp).
#include <memory>

#include "harness/core/suite.hpp"
#include "suites/gemm/gemm_backend.hpp"

namespace exacheck {

// The suite; its kernels are the backend table's gemm::gemm_backend named by ctx.backend
// (harness/core/backends.hpp).
std::unique_ptr<suite> make_gemm_suite();

}  // namespace exacheck
