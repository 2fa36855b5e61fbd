#include "kernels/cpu/cpu_gemm.hpp"

#include <cblas.h>
#include <fmt/core.h>

#include <algorithm>
#include <limits>
#include <new>
#include <sstream>
#include <stdexcept>

#include "kernels/cpu/host_memory.hpp"
#include "suites/gemm/gemm_inputs.hpp"
#include "suites/gemm/gemm_oracle.hpp"

namespace exacheck::gemm {
namespace {

// 64 B: one cache line and one AVX-512 vector, so OpenBLAS's packing reads whole lines from the first
// element.
constexpr std::size_t k_alignment = 64;

// Stored rows × columns of op's operand: A is m × k, or k × m when transposed (column-major, BLAS
// convention).
std::int64_t stored_rows(bool transposed, std::int64_t rows, std::int64_t columns) {
  return transposed ? columns : rows;
}

CBLAS_TRANSPOSE cblas_op(bool transposed) {
  return transposed ? CblasTrans : CblasNoTrans;
}

}  // namespace

extern "C" int blas_thread_shutdown_(void);  // exported by libopenblas, not declared in cblas.h

void release_blas_threads() {
  blas_thread_shutdown_();
}

std::string openblas_version() {
  const char* config =
      openblas_get_config();  // "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64"
  std::istringstream words(config ? config : "");
  std::string name, version;
  words >> name >> version;
  return name == "OpenBLAS" && !version.empty() ? name + " " + version : "OpenBLAS";
}

cpu_gemm_backend::cpu_gemm_backend(int threads) : m_threads(std::max(threads, 1)) {}

std::optional<std::string> cpu_gemm_backend::unsupported_reason(std::string_view dtype) const {
  if (dtype == "fp64" || dtype == "fp32") return std::nullopt;
  if (dtype == "bf16")
    return fmt::format(
        "dtype bf16 is not supported by the cpu backend ({} has no bf16 GEMM: this build lacks cblas_sbgemm)",
        openblas_version());
  return fmt::format("dtype {} is not supported by the cpu backend ({} has no {} GEMM)", dtype,
                     openblas_version(), dtype);
}

template <class T>
void cpu_gemm_backend::fill(std::uint64_t seed) {
  const auto& s = m_shape;
  // Each product checked: m·k·batch of 2^32-sized dimensions wraps around 64 bits.
  const auto elements = [&](std::int64_t rows, std::int64_t columns, const char* matrix) {
    const std::string what =
        fmt::format("gemm matrix {} ({} × {} × batch {})", matrix, rows, columns, s.batch);
    const std::size_t count = cpu::checked_bytes(
        cpu::checked_bytes(static_cast<std::uint64_t>(rows), static_cast<std::uint64_t>(columns), what),
        static_cast<std::uint64_t>(s.batch), what);
    cpu::checked_bytes(count, sizeof(T), what);
    return static_cast<std::int64_t>(count);
  };
  const std::int64_t a_elements = elements(s.m, s.k, "A"), b_elements = elements(s.k, s.n, "B"),
                     c_elements = elements(s.m, s.n, "C");
  const auto bytes = [](std::int64_t count) { return static_cast<std::size_t>(count) * sizeof(T); };
  m_a.reset(cpu::allocate_aligned(bytes(a_elements), k_alignment, "gemm matrix A", false));
  m_b.reset(cpu::allocate_aligned(bytes(b_elements), k_alignment, "gemm matrix B", false));
  m_c.reset(cpu::allocate_aligned(bytes(c_elements), k_alignment, "gemm matrix C", false));
  T* a = static_cast<T*>(m_a.get());
  T* b = static_cast<T*>(m_b.get());
  T* c = static_cast<T*>(m_c.get());
  const std::uint64_t key_a = input_key(seed, input_matrix::a), key_b = input_key(seed, input_matrix::b);
  // Element values depend on their index only, so the threads that will run the GEMM fill (and first-touch)
  // the pages in parallel. C is written by every run (β = 0); touching it here keeps page faults out of the
  // first timed GEMM.
#pragma omp parallel num_threads(m_threads)
  {
#pragma omp for schedule(static) nowait
    for (std::int64_t e = 0; e < a_elements; ++e)
      a[e] = static_cast<T>(normal_input(key_a, static_cast<std::uint64_t>(e)));
#pragma omp for schedule(static) nowait
    for (std::int64_t e = 0; e < b_elements; ++e)
      b[e] = static_cast<T>(normal_input(key_b, static_cast<std::uint64_t>(e)));
#pragma omp for schedule(static)
    for (std::int64_t e = 0; e < c_elements; ++e) c[e] = T(0);
  }
}

void cpu_gemm_backend::prepare(const gemm_shape& shape, std::string_view dtype, std::uint64_t seed,
                               const gemm_options& options) {
  if (const auto reason = unsupported_reason(dtype)) throw std::invalid_argument(*reason);
  if (shape.m < 1 || shape.n < 1 || shape.k < 1 || shape.batch < 1)
    throw std::invalid_argument(fmt::format("gemm: m, n, k and batch must be ≥ 1 (got {}, {}, {}, {})",
                                            shape.m, shape.n, shape.k, shape.batch));
  // BLAS takes dimensions as its integer type (32-bit in this OpenBLAS build): a larger one would be cut
  // to another size, and a GEMM of another size would be reported as this one.
  constexpr std::int64_t blas_max = std::numeric_limits<blasint>::max();
  if (std::max({shape.m, shape.n, shape.k}) > blas_max)
    throw std::invalid_argument(
        fmt::format("gemm: m, n and k must be at most {} for OpenBLAS (got {}, {}, {})", blas_max, shape.m,
                    shape.n, shape.k));
  m_shape = shape;
  m_dtype = std::string(dtype);
  m_single = dtype == "fp32";
  m_autotune = options.autotune;
  // Process-wide in OpenBLAS; set here, never in the timed run().
  openblas_set_num_threads(m_threads);
  if (m_single)
    fill<float>(seed);
  else
    fill<double>(seed);
}

std::string cpu_gemm_backend::implementation() const {
  return fmt::format("{} cblas_{}gemm{}, {} threads", openblas_version(), m_single ? 's' : 'd',
                     m_shape.batch > 1 ? fmt::format(" called {} times (one per batch entry)", m_shape.batch)
                                       : std::string(),
                     m_threads);
}

std::vector<std::string> cpu_gemm_backend::warnings() const {
  if (!m_autotune) return {};
  return {fmt::format("autotune has no effect on the cpu backend: {} has one algorithm per call",
                      openblas_version())};
}

void cpu_gemm_backend::run() {
  if (!m_c) throw std::logic_error("cpu_gemm: run() before prepare()");
  const auto& s = m_shape;
  const auto lda = static_cast<blasint>(stored_rows(s.transa, s.m, s.k));
  const auto ldb = static_cast<blasint>(stored_rows(s.transb, s.k, s.n));
  const auto ldc = static_cast<blasint>(s.m);
  const auto m = static_cast<blasint>(s.m), n = static_cast<blasint>(s.n), k = static_cast<blasint>(s.k);
  const auto stride_a = static_cast<std::size_t>(s.m * s.k), stride_b = static_cast<std::size_t>(s.k * s.n),
             stride_c = static_cast<std::size_t>(s.m * s.n);
  for (std::int64_t entry = 0; entry < s.batch; ++entry) {
    const auto e = static_cast<std::size_t>(entry);
    if (m_single)
      cblas_sgemm(CblasColMajor, cblas_op(s.transa), cblas_op(s.transb), m, n, k, 1.0f,
                  static_cast<const float*>(m_a.get()) + e * stride_a, lda,
                  static_cast<const float*>(m_b.get()) + e * stride_b, ldb, 0.0f,
                  static_cast<float*>(m_c.get()) + e * stride_c, ldc);
    else
      cblas_dgemm(CblasColMajor, cblas_op(s.transa), cblas_op(s.transb), m, n, k, 1.0,
                  static_cast<const double*>(m_a.get()) + e * stride_a, lda,
                  static_cast<const double*>(m_b.get()) + e * stride_b, ldb, 0.0,
                  static_cast<double*>(m_c.get()) + e * stride_c, ldc);
  }
}

batch_time cpu_gemm_backend::time_batch(int calls) {
  return time_on_host(calls, [this] { run(); });
}

template <class T>
correctness cpu_gemm_backend::verify_as(int samples, std::uint64_t seed) const {
  const auto& s = m_shape;
  const T* a = static_cast<const T*>(m_a.get());
  const T* b = static_cast<const T*>(m_b.get());
  const T* c = static_cast<const T*>(m_c.get());
  const std::int64_t lda = stored_rows(s.transa, s.m, s.k), ldb = stored_rows(s.transb, s.k, s.n);
  const std::int64_t stride_a = s.m * s.k, stride_b = s.k * s.n, stride_c = s.m * s.n;
  const auto op_a = [&](std::int64_t batch, std::int64_t i, std::int64_t l) -> long double {
    return a[batch * stride_a + (s.transa ? l + i * lda : i + l * lda)];
  };
  const auto op_b = [&](std::int64_t batch, std::int64_t l, std::int64_t j) -> long double {
    return b[batch * stride_b + (s.transb ? j + l * ldb : l + j * ldb)];
  };
  const auto out_c = [&](std::int64_t batch, std::int64_t i, std::int64_t j) -> long double {
    return c[batch * stride_c + i + j * s.m];
  };
  return check_sampled_entries(s, m_dtype, samples, seed, op_a, op_b, out_c);
}

correctness cpu_gemm_backend::verify(int samples, std::uint64_t seed) const {
  if (!m_c) throw std::logic_error("cpu_gemm: verify() before prepare()");
  return m_single ? verify_as<float>(samples, seed) : verify_as<double>(samples, seed);
}

void cpu_gemm_backend::corrupt_output_for_testing(std::int64_t i, std::int64_t j, double delta,
                                                  std::int64_t batch) {
  if (!m_c || i < 0 || j < 0 || batch < 0 || i >= m_shape.m || j >= m_shape.n || batch >= m_shape.batch)
    throw std::out_of_range("cpu_gemm: corrupt_output_for_testing outside C");
  const auto index = static_cast<std::size_t>(batch * m_shape.m * m_shape.n + i + j * m_shape.m);
  if (m_single)
    static_cast<float*>(m_c.get())[index] += static_cast<float>(delta);
  else
    static_cast<double*>(m_c.get())[index] += delta;
}

}  // namespace exacheck::gemm
