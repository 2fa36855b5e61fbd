#pragma once
// The CPU backend of the gemm suite: OpenBLAS cblas_dgemm (fp64) and cblas_sgemm (fp32) on column-major
// matrices, with openblas_set_num_threads(threads); a batched shape is one call per product (OpenBLAS 0.3.21
// has no cblas_?gemm_batch, which came with 0.3.27). Host-timed (gemm_backend.hpp's contract). Every other
// dtype is unsupported: Debian's OpenBLAS
// 0.3.21 is built without BUILD_BFLOAT16 (no cblas_sbgemm symbol) and OpenBLAS has no fp16, tf32, fp8 or int8
// GEMM.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "suites/gemm/gemm_backend.hpp"

namespace exacheck::gemm {

class cpu_gemm_backend final : public gemm_backend {
 public:
  explicit cpu_gemm_backend(int threads);
  // Owns the matrices (possibly gigabytes): a copy would be an accident, not a feature.
  cpu_gemm_backend(const cpu_gemm_backend&) = delete;
  cpu_gemm_backend& operator=(const cpu_gemm_backend&) = delete;

  std::optional<std::string> unsupported_reason(std::string_view dtype) const override;
  void prepare(const gemm_shape& shape, std::string_view dtype, std::uint64_t seed,
               const gemm_options& options) override;
  std::string implementation() const override;
  std::vector<std::string> warnings() const override;
  void run() override;
  batch_time time_batch(int calls) override;
  correctness verify(int samples, std::uint64_t seed) const override;

  // Test hook: adds `delta` to C(i, j) of batch entry `batch` after a run, so that tests can show a wrong
  // answer is detected.
  void corrupt_output_for_testing(std::int64_t i, std::int64_t j, double delta, std::int64_t batch = 0);

 private:
  struct free_deleter {
    void operator()(void* pointer) const noexcept { std::free(pointer); }
  };
  using buffer = std::unique_ptr<void, free_deleter>;

  template <class T>
  void fill(std::uint64_t seed);
  template <class T>
  correctness verify_as(int samples, std::uint64_t seed) const;

  int m_threads = 1;
  gemm_shape m_shape;
  std::string m_dtype;
  bool m_single = false;  // fp32 (cblas_sgemm) rather than fp64
  bool m_autotune = false;
  buffer m_a, m_b, m_c;  // 64-byte aligned, column-major, leading dimension = stored rows
};

// "OpenBLAS 0.3.21" from openblas_get_config(), "OpenBLAS" when it says nothing useful.
std::string openblas_version();
// OpenBLAS starts its thread pool when the library is loaded, and each pool thread then spins (sched_yield)
// for about 2^28 cycles before it sleeps: in a command that never calls BLAS (report, compare, simulate...)
// that is CPU time for nothing — 0.11 s of `exacheck report`'s 1.5 s at 2,100 GPUs on 2 cores. Stops the pool
// (OpenBLAS's own blas_thread_shutdown_, which it uses around fork); its next threaded call starts it again.
void release_blas_threads();

}  // namespace exacheck::gemm
