// The CUDA backend of the membw suite: STREAM arrays in device memory, initialised on the device, the
// kernels of stream_kernels.cu launched on this backend's own stream and waited for (the interface's
// blocking contract). A batch (time_batch) is timed on the device: an event recorded on the stream before the
// kernel's first launch and one after its last (dot: both stages, not the copy of its sum to the host), never
// a host clock around the call — that clock would add the launch and the synchronisation (2–5% of a triad
// over 1 GiB arrays on an H200).
//
// Grid: block_threads-thread blocks, as many as the device keeps resident at once (multiprocessors ×
// resident blocks per multiprocessor, from the occupancy API), fewer when the arrays have fewer 16-byte packs
// than that grid has threads. Each thread strides over the arrays by the whole grid, with
// sk::packs_in_flight 16-byte packs per array in flight.
#include <cuda_runtime.h>
#include <fmt/core.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "kernels/cuda/cuda_backends.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/cuda_owners.hpp"
#include "kernels/cuda/stream_kernels.cuh"

namespace exacheck::cuda {
namespace {

namespace sk = stream_kernels;

struct device_free {
  void operator()(void* pointer) const noexcept { cudaFree(pointer); }  // no throwing from a destructor
};
struct host_free {
  void operator()(void* pointer) const noexcept { cudaFreeHost(pointer); }
};
struct stream_destroy {
  void operator()(cudaStream_t stream) const noexcept { cudaStreamDestroy(stream); }
};
using device_buffer = std::unique_ptr<void, device_free>;
using pinned_buffer = std::unique_ptr<void, host_free>;
using owned_stream = std::unique_ptr<std::remove_pointer_t<cudaStream_t>, stream_destroy>;

device_buffer allocate_device(std::size_t bytes) {
  void* pointer = nullptr;
  EXACHECK_CUDA(cudaMalloc(&pointer, bytes));
  return device_buffer(pointer);
}

template <class T>
void read_device_array(const void* device, std::size_t n, cudaStream_t stream, std::vector<double>& out) {
  if constexpr (std::is_same_v<T, double>) {
    out.resize(n);
    EXACHECK_CUDA(cudaMemcpyAsync(out.data(), device, n * sizeof(T), cudaMemcpyDeviceToHost, stream));
    EXACHECK_CUDA(cudaStreamSynchronize(stream));
  } else {
    std::vector<T> narrow(n);
    EXACHECK_CUDA(cudaMemcpyAsync(narrow.data(), device, n * sizeof(T), cudaMemcpyDeviceToHost, stream));
    EXACHECK_CUDA(cudaStreamSynchronize(stream));
    out.assign(narrow.begin(), narrow.end());
  }
}

class cuda_stream_backend final : public membw::stream_backend {
 public:
  // Runs on the calling thread's current device (the worker has selected it).
  cuda_stream_backend() {
    EXACHECK_CUDA(cudaGetDevice(&m_device));
    cudaDeviceProp properties{};
    EXACHECK_CUDA(cudaGetDeviceProperties(&properties, m_device));
    m_device_name = properties.name;
    m_multiprocessors = properties.multiProcessorCount;
    m_l2_bytes = properties.l2CacheSize;
    m_memory_bytes = properties.totalGlobalMem;
    cudaStream_t stream = nullptr;
    EXACHECK_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    m_stream.reset(stream);
    void* result = nullptr;
    EXACHECK_CUDA(cudaMallocHost(&result, sizeof(double)));
    m_dot_result_host.reset(result);
    m_start = owners::make_timing_event();
    m_stop = owners::make_timing_event();
  }
  // Members release the events, the device memory, the pinned result and the stream; every call has
  // synchronised the stream, so nothing is in flight by then.
  ~cuda_stream_backend() override = default;
  // Owns device memory and a stream: a copy would free them twice.
  cuda_stream_backend(const cuda_stream_backend&) = delete;
  cuda_stream_backend& operator=(const cuda_stream_backend&) = delete;

  // Each rank has a GPU of its own: 4 × its L2, but at least 1 GiB (a kernel then runs for hundreds of
  // microseconds: the events' ~0.5 us resolution stays under 0.2%), at most a quarter of device memory (three
  // arrays).
  std::optional<std::pair<std::uint64_t, std::string>> auto_array_bytes() const override {
    const std::uint64_t gib = std::uint64_t{1} << 30;
    const std::uint64_t wanted = std::max<std::uint64_t>(4 * static_cast<std::uint64_t>(m_l2_bytes), gib);
    const std::uint64_t bytes = std::min<std::uint64_t>(wanted, m_memory_bytes / 4);
    return std::pair{bytes,
                     fmt::format("auto: max(4 × GPU L2 {} MiB, 1 GiB), at most a quarter of {} GiB device "
                                 "memory",
                                 m_l2_bytes >> 20, m_memory_bytes >> 30)};
  }

  std::optional<std::string> unsupported_reason(std::string_view dtype) const override {
    if (dtype == "fp64" || dtype == "fp32") return std::nullopt;
    return fmt::format("dtype {} is not supported by the cuda STREAM backend (fp64 and fp32 only)", dtype);
  }

  void init_arrays(std::size_t elements, std::string_view dtype, double a0, double b0, double c0) override {
    if (const auto reason = unsupported_reason(dtype)) throw std::invalid_argument(*reason);
    if (elements == 0) throw std::invalid_argument("cuda_stream: arrays need at least one element");
    const sk::element_type type = dtype == "fp32" ? sk::element_type::fp32 : sk::element_type::fp64;
    const std::size_t element_bytes = type == sk::element_type::fp32 ? sizeof(float) : sizeof(double);
    if (elements > std::numeric_limits<std::size_t>::max() / element_bytes)
      throw std::invalid_argument(fmt::format("cuda_stream: {} elements overflow the array size", elements));
    const std::size_t bytes = elements * element_bytes;
    // Release the old arrays first: peak device memory stays three arrays.
    m_elements = 0;
    m_a.reset();
    m_b.reset();
    m_c.reset();
    m_partials.reset();
    m_a = allocate_device(bytes);
    m_b = allocate_device(bytes);
    m_c = allocate_device(bytes);
    m_type = type;
    m_vector_width = sk::vector_width(type, m_a.get(), m_b.get(), m_c.get());

    int resident_blocks = 0;
    EXACHECK_CUDA(sk::blocks_per_multiprocessor(type, &resident_blocks));
    m_blocks_per_multiprocessor = std::max(resident_blocks, 1);
    const std::size_t full_grid =
        static_cast<std::size_t>(m_multiprocessors) * static_cast<std::size_t>(m_blocks_per_multiprocessor);
    const std::size_t packs = (elements + static_cast<std::size_t>(m_vector_width) - 1) / m_vector_width;
    const std::size_t covering_grid = (packs + sk::block_threads - 1) / sk::block_threads;
    m_shape.blocks = static_cast<int>(std::max<std::size_t>(std::min(full_grid, covering_grid), 1));
    m_shape.stream = m_stream.get();
    // The dot's per-block partial sums, and one more slot for the final sum.
    m_partials = allocate_device((static_cast<std::size_t>(m_shape.blocks) + 1) * sizeof(double));

    EXACHECK_CUDA(sk::launch_init(type, m_a.get(), m_b.get(), m_c.get(), elements, a0, b0, c0, m_shape));
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
    m_elements = elements;
  }

  void copy() override { run_once(membw::stream_kernel::copy, 0); }
  void scale(double scalar) override { run_once(membw::stream_kernel::scale, scalar); }
  void add() override { run_once(membw::stream_kernel::add, 0); }
  void triad(double scalar) override { run_once(membw::stream_kernel::triad, scalar); }
  double dot() override { return run_once(membw::stream_kernel::dot, 0); }

  membw::stream_batch time_batch(membw::stream_kernel kernel, int calls, double scalar) override {
    require_arrays();
    if (calls < 1) throw std::invalid_argument("cuda_stream: a batch needs at least one call");
    EXACHECK_CUDA(cudaEventRecord(m_start.get(), m_stream.get()));
    for (int call = 0; call < calls; ++call) enqueue(kernel, scalar);
    EXACHECK_CUDA(cudaEventRecord(m_stop.get(), m_stream.get()));
    membw::stream_batch batch;
    batch.dot_sum = finish(kernel);
    float milliseconds = 0;
    EXACHECK_CUDA(cudaEventElapsedTime(&milliseconds, m_start.get(), m_stop.get()));
    batch.time = {static_cast<double>(milliseconds) * 1e-3, batch_clock::device};
    return batch;
  }

  void read_arrays(std::vector<double>& a, std::vector<double>& b, std::vector<double>& c) const override {
    require_arrays();
    const auto read = m_type == sk::element_type::fp32 ? read_device_array<float> : read_device_array<double>;
    read(m_a.get(), m_elements, m_stream.get(), a);
    read(m_b.get(), m_elements, m_stream.get(), b);
    read(m_c.get(), m_elements, m_stream.get(), c);
  }

  std::string implementation() const override {
    const std::string device = fmt::format("CUDA device {} {} ({} SMs, {} MiB L2)", m_device, m_device_name,
                                           m_multiprocessors, m_l2_bytes >> 20);
    if (m_elements == 0) return device + ", arrays not allocated yet";
    const bool single = m_type == sk::element_type::fp32;
    const char* vector =
        m_vector_width == 1 ? (single ? "float" : "double") : (single ? "float4" : "double2");
    return fmt::format(
        "{}: grid-stride kernels, {} blocks × {} threads ({} resident per SM × {} SMs), {}-byte {} accesses, "
        "{} packs in flight per thread; dot: per-block fp64 partial sums, then one block sums them; each "
        "kernel timed by CUDA events on its stream around its launches, then waited for",
        device, m_shape.blocks, sk::block_threads, m_blocks_per_multiprocessor, m_multiprocessors,
        m_vector_width * (single ? 4 : 8), vector, sk::packs_in_flight);
  }

 private:
  void require_arrays() const {
    if (m_elements == 0) throw std::logic_error("cuda_stream: kernel called before init_arrays()");
  }

  // One kernel's launches on the stream (dot: both stages, its sum left in the last slot of m_partials).
  void enqueue(membw::stream_kernel kernel, double scalar) {
    switch (kernel) {
      case membw::stream_kernel::copy:
        EXACHECK_CUDA(sk::launch_copy(m_type, m_a.get(), m_c.get(), m_elements, m_shape));
        return;
      case membw::stream_kernel::scale:
        EXACHECK_CUDA(sk::launch_scale(m_type, m_b.get(), m_c.get(), scalar, m_elements, m_shape));
        return;
      case membw::stream_kernel::add:
        EXACHECK_CUDA(sk::launch_add(m_type, m_a.get(), m_b.get(), m_c.get(), m_elements, m_shape));
        return;
      case membw::stream_kernel::triad:
        EXACHECK_CUDA(sk::launch_triad(m_type, m_a.get(), m_b.get(), m_c.get(), scalar, m_elements, m_shape));
        return;
      case membw::stream_kernel::dot: {
        double* partials = static_cast<double*>(m_partials.get());
        EXACHECK_CUDA(sk::launch_dot(m_type, m_a.get(), m_b.get(), m_elements, partials,
                                     partials + m_shape.blocks, m_shape));
        return;
      }
    }
    throw std::invalid_argument("cuda_stream: unknown STREAM kernel");
  }

  // Waits for the stream; returns dot's sum (0 for the other kernels). The sum's trip to the host is not the
  // kernel's work: enqueued after the stop event, as STREAM's host loop would read a sum it already holds.
  double finish(membw::stream_kernel kernel) {
    if (kernel == membw::stream_kernel::dot) {
      const double* sum = static_cast<const double*>(m_partials.get()) + m_shape.blocks;
      EXACHECK_CUDA(cudaMemcpyAsync(m_dot_result_host.get(), sum, sizeof(double), cudaMemcpyDeviceToHost,
                                    m_stream.get()));
    }
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
    return kernel == membw::stream_kernel::dot ? *static_cast<const double*>(m_dot_result_host.get()) : 0;
  }

  // One blocking call of `kernel`, untimed.
  double run_once(membw::stream_kernel kernel, double scalar) {
    require_arrays();
    enqueue(kernel, scalar);
    return finish(kernel);
  }

  int m_device = 0;
  std::string m_device_name;
  int m_multiprocessors = 1;
  int m_l2_bytes = 0;
  std::uint64_t m_memory_bytes = 0;
  owned_stream m_stream;
  pinned_buffer m_dot_result_host;  // dot's sum lands here (pinned: a true asynchronous copy)
  std::size_t m_elements = 0;       // 0 until init_arrays succeeds
  sk::element_type m_type = sk::element_type::fp64;
  int m_vector_width = 1;
  int m_blocks_per_multiprocessor = 1;
  sk::launch_shape m_shape;
  device_buffer m_a, m_b, m_c, m_partials;
  owners::owned_event m_start, m_stop;  // after the stream: destroyed first
};

}  // namespace

std::unique_ptr<membw::stream_backend> make_stream_backend(const run_context&) {
  std::string why_not;
  if (device_count(&why_not) == 0)
    throw std::runtime_error("backend 'cuda' needs a CUDA device for membw: " + why_not);
  return std::make_unique<cuda_stream_backend>();
}

}  // namespace exacheck::cuda
