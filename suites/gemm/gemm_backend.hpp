#pragma once
// The GEMM kernel interface, implemented per backend (kernels/cpu/cpu_gemm: OpenBLAS;
// kernels/cuda/cublaslt_gemm: cuBLASLt). Timing contract in one sentence: run() and time_batch() are
// blocking — when they return, C = op(A)·op(B) (every batch entry) is complete in memory the backend owns,
// and they do nothing else (no allocation, no copies).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/batch_time.hpp"
#include "harness/core/result.hpp"
#include "harness/core/suite.hpp"

namespace exacheck::gemm {

// C (m × n) = op(A) (m × k) · op(B) (k × n), every matrix column-major (BLAS convention). transa: op(A) = Aᵀ,
// so A is stored k × m; transb likewise. Leading dimensions are the stored row counts (no padding).
// batch > 1: `batch` independent products of that shape in one call (strided batched GEMM), matrix b of each
// operand stored right after matrix b − 1 (stride = its element count).
struct gemm_shape {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  bool transa = false;
  bool transb = false;
  std::int64_t batch = 1;
};

// How the backend may choose its kernel.
struct gemm_options {
  // false: the library's heuristic choice. true: time the library's top candidates and keep the fastest (the
  // backend names the choice and the candidates' times in implementation()); a backend with no choice to make
  // says so in warnings().
  bool autotune = false;
  // fp8 dtypes: cuBLASLt's fast accumulation (CUBLASLT_MATMUL_DESC_FAST_ACCUM), faster and with fewer
  // accumulator bits kept between the tensor cores' partial sums; false: cuBLASLt's default accumulation. The
  // oracle's bound depends on it: a backend keeps the options of prepare() beside the shape for verify().
  bool fast_accum = false;
};

class gemm_backend {
 public:
  virtual ~gemm_backend() = default;

  // Why this backend cannot multiply `dtype` matrices here (a sentence naming the dtype, the backend and the
  // library that lacks it), nullopt when it can.
  virtual std::optional<std::string> unsupported_reason(std::string_view dtype) const = 0;
  // Allocates A, B, C for `shape` and fills A and B with gemm::normal_input (gemm_inputs.hpp) of keys from
  // `seed`, rounded to the dtype — never zeros or constants, which would let a wrong kernel look right.
  // Throws std::invalid_argument for an unsupported dtype or shape.
  virtual void prepare(const gemm_shape& shape, std::string_view dtype, std::uint64_t seed,
                       const gemm_options& options) = 0;
  // Why this backend cannot run `dtype` with fast accumulation (gemm_options::fast_accum), nullopt when it
  // can. The default: it cannot — a backend says so only when it has the mode, so none ignores it silently.
  virtual std::optional<std::string> fast_accum_unsupported_reason(std::string_view dtype) const;
  // What runs, e.g. "OpenBLAS 0.3.21 cblas_dgemm, 2 threads" (recorded in the metric's description).
  virtual std::string implementation() const = 0;
  // The library's kernel choice for the last prepare() in the library's own terms, e.g. cuBLASLt's "id 66,
  // tile 21, stages 35, split-K 1, cluster 2" (the point's derived `algorithm`); nullopt where there is no
  // choice.
  virtual std::optional<std::string> algorithm() const { return std::nullopt; }
  // What a reader of the result must know about how the last prepare() is run where it differs from the
  // request (a layout the library forces, an option with no effect); the suite adds them to the point's
  // warnings.
  virtual std::vector<std::string> warnings() const { return {}; }
  // One call (all `batch` GEMMs), blocking (see the contract above).
  virtual void run() = 0;
  // The timed entry point: `calls` back-to-back calls and their time — device events on the backend's stream
  // around them (cuda: the device never idles between the calls, and the launches stay out), the host clock
  // around the blocking calls (cpu).
  virtual batch_time time_batch(int calls) = 0;
  // Checks C of the last run() or time_batch() on `samples` entries, spread over the batch (every entry when
  // samples ≥ batch·m·n), against a long double reference recomputed from the stored inputs
  // (gemm_oracle.hpp). `seed` picks the entries.
  virtual correctness verify(int samples, std::uint64_t seed) const = 0;
};

}  // namespace exacheck::gemm
