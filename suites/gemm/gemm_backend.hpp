#pragma once
// The GEMM kernel interface, implemented per backend (kernels/cpu/cpu_gemm: OpenBLAS; later cuBLASLt).
// Timing contract in one sentence: run() is blocking — when it returns, C = op(A)·op(B) is complete in memory
// the backend owns, and run() does nothing else (no allocation, no copies), so a steady clock around it times
// exactly one GEMM.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "harness/result.hpp"
#include "harness/suite.hpp"

namespace exacheck::gemm {

// C (m × n) = op(A) (m × k) · op(B) (k × n), every matrix column-major (BLAS convention). transa: op(A) = Aᵀ,
// so A is stored k × m; transb likewise. Leading dimensions are the stored row counts (no padding).
struct gemm_shape {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  bool transa = false;
  bool transb = false;
};

class gemm_backend {
 public:
  virtual ~gemm_backend() = default;

  // Why this backend cannot multiply `dtype` matrices here (a sentence naming the dtype, the backend and the
  // library that lacks it), nullopt when it can.
  virtual std::optional<std::string> unsupported_reason(std::string_view dtype) const = 0;
  // Allocates A, B, C for `shape` and fills A and B with values uniform in [-1, 1) from
  // std::mt19937_64(seed) — never zeros or constants, which would let a wrong kernel look right.
  // Throws std::invalid_argument for an unsupported dtype.
  virtual void prepare(const gemm_shape& shape, std::string_view dtype, std::uint64_t seed) = 0;
  // What runs, e.g. "OpenBLAS 0.3.21 cblas_dgemm, 2 threads" (recorded in the metric's description).
  virtual std::string implementation() const = 0;
  // One GEMM, blocking (see the contract above).
  virtual void run() = 0;
  // Checks C of the last run() on `samples` entries (every entry when samples ≥ m·n) against a long double
  // reference recomputed from the stored inputs (gemm_oracle.hpp). `seed` picks the entries.
  virtual correctness verify(int samples, std::uint64_t seed) const = 0;
};

// The backend for ctx.backend: "cpu" → OpenBLAS (kernels/cpu/cpu_gemm); anything else throws
// std::runtime_error("backend '<name>' is not available for gemm in this build").
std::unique_ptr<gemm_backend> make_gemm_backend(const run_context& ctx);

}  // namespace exacheck::gemm
