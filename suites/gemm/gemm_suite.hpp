#pragma once
// The `gemm` suite: dense matrix multiply C = op(A)·op(B) per rank, TFLOP/s = 2·M·N·K / median time, checked
// on sampled entries against a long double reference (gemm_oracle.hpp; kernels behind gemm_backend.hpp).
#include <functional>
#include <memory>

#include "harness/core/suite.hpp"
#include "suites/gemm/gemm_backend.hpp"

namespace exacheck {

// The suite with the backend chosen by ctx.backend (gemm::make_gemm_backend).
std::unique_ptr<suite> make_gemm_suite();

using gemm_backend_factory = std::function<std::unique_ptr<gemm::gemm_backend>(const run_context&)>;
// The same suite with another backend factory (tests: plant a wrong answer).
std::unique_ptr<suite> make_gemm_suite(gemm_backend_factory factory);

}  // namespace exacheck
