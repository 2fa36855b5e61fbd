#include "kernels/cpu/cpu_stream.hpp"

#include <fmt/core.h>
#include <omp.h>
#include <pthread.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <thread>

#include "kernels/cpu/host_memory.hpp"

namespace exacheck::membw {
namespace {

// 2 MiB: the x86-64 huge page, so that MADV_HUGEPAGE can back the whole array with huge pages (and every
// array starts on a cache line, which vectorised loops want).
constexpr std::size_t k_alignment = std::size_t{2} << 20;

// The kernels, written like STREAM's: one OpenMP static partition of [0, n), shared by first touch, so each
// thread streams through the pages it placed. __restrict and the alignment promise let the compiler emit
// aligned vector loads and stores without run-time alias checks.
template <class T>
T* aligned(void* pointer) {
  return static_cast<T*>(__builtin_assume_aligned(pointer, 64));
}

template <class T>
void first_touch(void* a_raw, void* b_raw, void* c_raw, std::size_t n, T a0, T b0, T c0, int threads,
                 cpu::thread_pinning& pinning) {
  T* __restrict a = aligned<T>(a_raw);
  T* __restrict b = aligned<T>(b_raw);
  T* __restrict c = aligned<T>(c_raw);
#pragma omp parallel num_threads(threads)
  {
    pinning.pin_calling_thread(omp_get_thread_num());
#pragma omp for schedule(static)
    for (std::size_t i = 0; i < n; ++i) {
      a[i] = a0;
      b[i] = b0;
      c[i] = c0;
    }
  }
}

template <class T>
void copy_kernel(void* a_raw, void* c_raw, std::size_t n, int threads) {
  const T* __restrict a = aligned<T>(a_raw);
  T* __restrict c = aligned<T>(c_raw);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::size_t i = 0; i < n; ++i) c[i] = a[i];
}

template <class T>
void scale_kernel(void* b_raw, void* c_raw, T scalar, std::size_t n, int threads) {
  T* __restrict b = aligned<T>(b_raw);
  const T* __restrict c = aligned<T>(c_raw);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::size_t i = 0; i < n; ++i) b[i] = scalar * c[i];
}

template <class T>
void add_kernel(void* a_raw, void* b_raw, void* c_raw, std::size_t n, int threads) {
  const T* __restrict a = aligned<T>(a_raw);
  const T* __restrict b = aligned<T>(b_raw);
  T* __restrict c = aligned<T>(c_raw);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::size_t i = 0; i < n; ++i) c[i] = a[i] + b[i];
}

template <class T>
void triad_kernel(void* a_raw, void* b_raw, void* c_raw, T scalar, std::size_t n, int threads) {
  T* __restrict a = aligned<T>(a_raw);
  const T* __restrict b = aligned<T>(b_raw);
  const T* __restrict c = aligned<T>(c_raw);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + scalar * c[i];
}

// Products in T (as the replay computes them), summed in double: an fp32 sum of millions of terms would
// stagnate and fail verification for a reason that is not the memory's.
template <class T>
double dot_kernel(void* a_raw, void* b_raw, std::size_t n, int threads) {
  const T* __restrict a = aligned<T>(a_raw);
  const T* __restrict b = aligned<T>(b_raw);
  double sum = 0;
#pragma omp parallel for schedule(static) num_threads(threads) reduction(+ : sum)
  for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(a[i] * b[i]);
  return sum;
}

template <class T>
void widen(const void* raw, std::size_t n, std::vector<double>& out) {
  const T* data = static_cast<const T*>(raw);
  out.assign(data, data + n);
}

}  // namespace

void cpu_stream_backend::free_deleter::operator()(void* pointer) const noexcept {
  std::free(pointer);
}

cpu_stream_backend::cpu_stream_backend(int threads, int local_rank)
    : m_threads(std::max(threads, 1)), m_pinning(m_threads, local_rank) {}

std::optional<std::string> cpu_stream_backend::unsupported_reason(std::string_view dtype) const {
  if (dtype == "fp64" || dtype == "fp32") return std::nullopt;
  return fmt::format("dtype {} is not supported by the cpu STREAM backend (fp64 and fp32 only)", dtype);
}

void cpu_stream_backend::init_arrays(std::size_t elements, std::string_view dtype, double a0, double b0,
                                     double c0) {
  if (const auto reason = unsupported_reason(dtype)) throw std::invalid_argument(*reason);
  if (elements == 0) throw std::invalid_argument("cpu_stream: arrays need at least one element");
  m_single = dtype == "fp32";
  m_elements = elements;
  const std::size_t bytes =
      cpu::checked_bytes(elements, m_single ? sizeof(float) : sizeof(double), "a STREAM array");
  m_a.reset();  // release the old arrays before allocating new ones: peak memory stays 3 arrays
  m_b.reset();
  m_c.reset();
  m_a.reset(cpu::allocate_aligned(bytes, k_alignment, "STREAM array a", true));
  m_b.reset(cpu::allocate_aligned(bytes, k_alignment, "STREAM array b", true));
  m_c.reset(cpu::allocate_aligned(bytes, k_alignment, "STREAM array c", true));
  if (m_single)
    first_touch<float>(m_a.get(), m_b.get(), m_c.get(), elements, static_cast<float>(a0),
                       static_cast<float>(b0), static_cast<float>(c0), m_threads, m_pinning);
  else
    first_touch<double>(m_a.get(), m_b.get(), m_c.get(), elements, a0, b0, c0, m_threads, m_pinning);
}

void cpu_stream_backend::require_arrays() const {
  if (!m_a) throw std::logic_error("cpu_stream: kernel called before init_arrays()");
}

void cpu_stream_backend::copy() {
  require_arrays();
  if (m_single)
    copy_kernel<float>(m_a.get(), m_c.get(), m_elements, m_threads);
  else
    copy_kernel<double>(m_a.get(), m_c.get(), m_elements, m_threads);
}

void cpu_stream_backend::scale(double scalar) {
  require_arrays();
  if (m_single)
    scale_kernel<float>(m_b.get(), m_c.get(), static_cast<float>(scalar), m_elements, m_threads);
  else
    scale_kernel<double>(m_b.get(), m_c.get(), scalar, m_elements, m_threads);
}

void cpu_stream_backend::add() {
  require_arrays();
  if (m_single)
    add_kernel<float>(m_a.get(), m_b.get(), m_c.get(), m_elements, m_threads);
  else
    add_kernel<double>(m_a.get(), m_b.get(), m_c.get(), m_elements, m_threads);
}

void cpu_stream_backend::triad(double scalar) {
  require_arrays();
  if (m_single)
    triad_kernel<float>(m_a.get(), m_b.get(), m_c.get(), static_cast<float>(scalar), m_elements, m_threads);
  else
    triad_kernel<double>(m_a.get(), m_b.get(), m_c.get(), scalar, m_elements, m_threads);
}

double cpu_stream_backend::dot() {
  require_arrays();
  return m_single ? dot_kernel<float>(m_a.get(), m_b.get(), m_elements, m_threads)
                  : dot_kernel<double>(m_a.get(), m_b.get(), m_elements, m_threads);
}

stream_batch cpu_stream_backend::time_batch(stream_kernel kernel, int calls, double scalar) {
  require_arrays();
  stream_batch batch;
  // One branch per call of a kernel that sweeps whole arrays: nothing next to the sweep itself.
  batch.time = time_on_host(calls, [this, kernel, scalar, &batch] {
    switch (kernel) {
      case stream_kernel::copy:
        return copy();
      case stream_kernel::scale:
        return scale(scalar);
      case stream_kernel::add:
        return add();
      case stream_kernel::triad:
        return triad(scalar);
      case stream_kernel::dot:
        batch.dot_sum = dot();
        return;
    }
    throw std::invalid_argument("cpu_stream: unknown STREAM kernel");
  });
  return batch;
}

void cpu_stream_backend::read_arrays(std::vector<double>& a, std::vector<double>& b,
                                     std::vector<double>& c) const {
  require_arrays();
  const auto read = m_single ? widen<float> : widen<double>;
  read(m_a.get(), m_elements, a);
  read(m_b.get(), m_elements, b);
  read(m_c.get(), m_elements, c);
}

std::string cpu_stream_backend::implementation() const {
  return fmt::format("OpenMP static schedule, {} {} thread(s) {}, 2 MiB-aligned arrays", m_threads,
                     m_single ? "fp32" : "fp64", m_pinning.describe());
}

void cpu_stream_backend::corrupt_array_for_testing(char array, std::size_t index, double delta) {
  require_arrays();
  if (index >= m_elements) throw std::out_of_range("cpu_stream: corrupt_array_for_testing outside the array");
  void* target = array == 'a' ? m_a.get() : array == 'b' ? m_b.get() : array == 'c' ? m_c.get() : nullptr;
  if (!target) throw std::invalid_argument("cpu_stream: array must be 'a', 'b' or 'c'");
  if (m_single)
    static_cast<float*>(target)[index] += static_cast<float>(delta);
  else
    static_cast<double*>(target)[index] += delta;
}

}  // namespace exacheck::membw
