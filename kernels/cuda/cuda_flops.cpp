// The CUDA backend of the flops suite: the chains of flops_kernels.cu on this backend's own stream, timed
// with events around a batch's kernel launches (time_batch) and waited for (the interface's blocking
// contract). The chains' start values come from fma_chain.hpp (uploaded once per prepare, read by the kernel
// before its timed loop) and their final values go back to the suite's scalar replay.
//
// Grid: SMs × blocks_per_sm blocks (fewer per SM if the occupancy API says fewer fit), so every SM runs the
// same number of blocks with the same work, all resident at once: the kernel ends when the slowest SM does.
#include <cuda_runtime.h>
#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "harness/core/statistics.hpp"
#include "kernels/cuda/cuda_backends.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/flops_kernels.cuh"
#include "kernels/cuda/flops_types.hpp"
#include "suites/flops/fma_chain.hpp"

namespace exacheck::cuda {
namespace {

namespace fk = flops_kernels;
namespace ft = flops_types;

struct device_free {
  void operator()(void* pointer) const noexcept { cudaFree(pointer); }
};
struct host_free {
  void operator()(void* pointer) const noexcept { cudaFreeHost(pointer); }
};
struct stream_destroy {
  void operator()(cudaStream_t stream) const noexcept { cudaStreamDestroy(stream); }
};
struct event_destroy {
  void operator()(cudaEvent_t event) const noexcept { cudaEventDestroy(event); }
};
using device_buffer = std::unique_ptr<void, device_free>;
using pinned_buffer = std::unique_ptr<void, host_free>;
using owned_stream = std::unique_ptr<std::remove_pointer_t<cudaStream_t>, stream_destroy>;
using owned_event = std::unique_ptr<std::remove_pointer_t<cudaEvent_t>, event_destroy>;

device_buffer allocate_device(std::size_t bytes) {
  void* pointer = nullptr;
  EXACHECK_CUDA(cudaMalloc(&pointer, bytes));
  return device_buffer(pointer);
}

owned_event create_event() {
  cudaEvent_t event = nullptr;
  EXACHECK_CUDA(cudaEventCreate(&event));
  return owned_event(event);
}

std::size_t value_bytes(ft::value_type type) {
  return type == ft::value_type::fp64 ? sizeof(double) : 4;
}

std::string_view value_name(ft::value_type type) {
  return type == ft::value_type::fp64 ? "fp64" : type == ft::value_type::fp32 ? "fp32" : "int32";
}

// Host values in the device's layout and type: doubles narrowed to float or int (exact: the starts are
// chosen representable).
std::vector<unsigned char> to_device_bytes(const std::vector<double>& values, ft::value_type type) {
  std::vector<unsigned char> bytes(values.size() * value_bytes(type));
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (type == ft::value_type::fp64) {
      std::memcpy(bytes.data() + i * 8, &values[i], 8);
    } else if (type == ft::value_type::fp32) {
      const auto narrow = static_cast<float>(values[i]);
      std::memcpy(bytes.data() + i * 4, &narrow, 4);
    } else {
      const auto narrow = static_cast<std::int32_t>(values[i]);
      std::memcpy(bytes.data() + i * 4, &narrow, 4);
    }
  }
  return bytes;
}

double from_device_bytes(const unsigned char* bytes, ft::value_type type) {
  if (type == ft::value_type::fp64) {
    double value;
    std::memcpy(&value, bytes, 8);
    return value;
  }
  if (type == ft::value_type::fp32) {
    float value;
    std::memcpy(&value, bytes, 4);
    return value;
  }
  std::int32_t value;
  std::memcpy(&value, bytes, 4);
  return value;
}

void to_device_value(double value, ft::value_type type, unsigned char* bytes) {
  std::vector<unsigned char> one = to_device_bytes({value}, type);
  std::memcpy(bytes, one.data(), one.size());
}

class cuda_flops_backend final : public flops::flops_backend {
 public:
  // Runs on the calling thread's current device (the worker has selected it).
  explicit cuda_flops_backend(bool allow_wgmma) : m_allow_wgmma(allow_wgmma) {
    EXACHECK_CUDA(cudaGetDevice(&m_device));
    cudaDeviceProp properties{};
    EXACHECK_CUDA(cudaGetDeviceProperties(&properties, m_device));
    m_device_name = properties.name;
    m_multiprocessors = properties.multiProcessorCount;
    m_capability = properties.major * 10 + properties.minor;
    EXACHECK_CUDA(fk::probe_features(&m_features));
    cudaStream_t stream = nullptr;
    EXACHECK_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    m_stream.reset(stream);
    m_start = create_event();
    m_stop = create_event();
  }
  // Members release device memory, pinned memory, events and the stream; every run has synchronised.
  ~cuda_flops_backend() override = default;
  // Owns device memory, events and a stream: a copy would free them twice.
  cuda_flops_backend(const cuda_flops_backend&) = delete;
  cuda_flops_backend& operator=(const cuda_flops_backend&) = delete;

  std::string resolve_engine(std::string_view dtype, std::string_view requested) const override {
    return ft::resolve_engine(dtype, requested);
  }

  std::optional<std::string> unsupported_reason(std::string_view dtype,
                                                std::string_view engine) const override {
    return ft::unsupported_reason(dtype, engine, m_capability, m_features, device_text());
  }

  void prepare(std::string_view dtype, std::string_view engine, std::uint64_t steps) override {
    if (const auto reason = unsupported_reason(dtype, engine)) throw std::invalid_argument(*reason);
    m_prepared = false;
    m_id = *ft::kernel_for(dtype, engine);
    m_path = ft::path_for(m_id, m_capability, m_features, m_allow_wgmma);
    m_shape = ft::shape_of(m_id, m_path, m_features.dmma_k);
    int resident = 0;
    EXACHECK_CUDA(fk::blocks_per_multiprocessor(m_id, m_path, &resident));
    if (resident < 1)
      throw device_error(fmt::format("cuda_flops: {} cannot keep one block of {} threads resident on {}",
                                     ft::instruction_name(m_id, m_path, m_features.dmma_k),
                                     m_shape.block_threads, device_text()));
    m_blocks_per_sm = std::min(m_shape.blocks_per_sm, resident);
    m_blocks = m_multiprocessors * m_blocks_per_sm;
    m_steps = steps;
    m_recurrence = ft::is_tensor(m_id)
                       ? flops::chain_recurrence{flops::chain_kind::mma,
                                                 std::string(value_name(m_shape.values)), m_shape.k}
                       : flops::chain_recurrence{flops::chain_kind::fma, std::string(dtype), 0};

    std::vector<double> starts(value_count());
    std::size_t i = 0;
    for (int t = 0; t < threads(); ++t)
      for (int j = 0; j < m_shape.accumulators; ++j)
        for (int l = 0; l < m_shape.lanes; ++l) starts[i++] = flops::chain_start(m_recurrence, t, j, l);
    const std::vector<unsigned char> bytes = to_device_bytes(starts, m_shape.values);
    if (bytes.size() != m_value_bytes) {  // reallocate only when the size changes (calibration re-prepares)
      m_starts.reset();
      m_finals.reset();
      m_starts = allocate_device(bytes.size());
      m_finals = allocate_device(bytes.size());
      m_value_bytes = bytes.size();
    }
    const std::size_t clock_bytes = static_cast<std::size_t>(m_blocks) * sizeof(fk::block_clock);
    if (clock_bytes != m_clock_bytes) {
      m_clocks.reset();
      m_clocks_host.reset();
      m_clocks = allocate_device(clock_bytes);
      void* host = nullptr;
      EXACHECK_CUDA(cudaMallocHost(&host, clock_bytes));
      m_clocks_host.reset(host);
      m_clock_bytes = clock_bytes;
    }
    EXACHECK_CUDA(
        cudaMemcpyAsync(m_starts.get(), bytes.data(), bytes.size(), cudaMemcpyHostToDevice, m_stream.get()));
    // Poisoned (NaN, or −1 for int32): a chain the kernel did not write fails the check.
    EXACHECK_CUDA(cudaMemsetAsync(m_finals.get(), 0xFF, bytes.size(), m_stream.get()));
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
    m_last_clock.reset();
    m_prepared = true;
  }

  std::string implementation() const override {
    if (!m_prepared) return device_text();
    std::string text = fmt::format(
        "{}: {}, {} blocks × {} threads ({} per SM), {} accumulator{} × {} values a thread", device_text(),
        ft::instruction_name(m_id, m_path, m_features.dmma_k), m_blocks, m_shape.block_threads,
        m_blocks_per_sm, m_shape.accumulators, m_shape.accumulators == 1 ? "" : "s", m_shape.lanes);
    if (m_path == ft::tensor_path::mma_sync && m_capability == 90 && m_id != ft::kernel_id::mma_fp64)
      text += m_features.wgmma
                  ? "; wgmma disabled by the caller"
                  : "; no wgmma: the loaded image was not built for sm_90a (mma.sync reaches well "
                    "under Hopper's tensor peak)";
    return text;
  }

  int threads() const override { return m_blocks * m_shape.block_threads; }

  double flops_per_run() const override {
    return static_cast<double>(value_count()) * 2.0 * m_shape.k * static_cast<double>(m_steps);
  }

  void run() override { time_batch(1); }

  // Events around `runs` back-to-back launches; each run starts its chains again from the uploaded values, so
  // the results are those of one run.
  batch_time time_batch(int runs) override {
    if (!m_prepared) throw std::logic_error("cuda_flops: run() before prepare()");
    if (runs < 1) throw std::invalid_argument("cuda_flops: a batch needs at least one run");
    fk::operands values{};
    values.fma_multiplier = flops::chain_multiplier;
    values.fma_addend = flops::chain_addend;
    for (int i = 0; i < 8; ++i) {
      values.row_values[i] = flops::mma_row_values[static_cast<std::size_t>(i)];
      values.column_values[i] = flops::mma_column_values[static_cast<std::size_t>(i)];
    }
    auto* clocks = static_cast<fk::block_clock*>(m_clocks.get());
    // Cleared before the batch's first launch (outside the timed region): a block that did not write its
    // slot, or a kernel that did not run, reads as no instruction instead of the previous batch's.
    EXACHECK_CUDA(cudaMemsetAsync(clocks, 0, m_clock_bytes, m_stream.get()));
    m_last_clock.reset();
    m_last_instruction.reset();
    EXACHECK_CUDA(cudaEventRecord(m_start.get(), m_stream.get()));
    for (int index = 0; index < runs; ++index)
      EXACHECK_CUDA(fk::launch(m_id, m_path, m_starts.get(), m_finals.get(), m_steps, values, clocks,
                               {m_blocks, m_stream.get()}));
    EXACHECK_CUDA(cudaEventRecord(m_stop.get(), m_stream.get()));
    EXACHECK_CUDA(
        cudaMemcpyAsync(m_clocks_host.get(), clocks, m_clock_bytes, cudaMemcpyDeviceToHost, m_stream.get()));
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
    float elapsed_ms = 0;
    EXACHECK_CUDA(cudaEventElapsedTime(&elapsed_ms, m_start.get(), m_stop.get()));
    m_last_instruction = std::string(ft::family_name(reported_instruction()));
    m_last_clock = measured_clock();
    return {static_cast<double>(elapsed_ms) / 1e3, batch_clock::device};
  }

  std::optional<flops::run_clock> last_run_clock() const override { return m_last_clock; }
  std::optional<std::string> last_run_instruction() const override { return m_last_instruction; }

  flops::chain_results results() const override {
    flops::chain_results results;
    results.recurrence = m_recurrence;
    results.threads = threads();
    results.accumulators = m_shape.accumulators;
    results.lanes = m_shape.lanes;
    if (!m_prepared) return results;
    std::vector<unsigned char> bytes(m_value_bytes);
    EXACHECK_CUDA(
        cudaMemcpyAsync(bytes.data(), m_finals.get(), bytes.size(), cudaMemcpyDeviceToHost, m_stream.get()));
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
    const std::size_t size = value_bytes(m_shape.values);
    results.final_values.resize(value_count());
    for (std::size_t i = 0; i < results.final_values.size(); ++i)
      results.final_values[i] = from_device_bytes(bytes.data() + i * size, m_shape.values);
    return results;
  }

  // The test hook behind corrupt_flops_result_for_testing.
  void corrupt_result(std::size_t index, double delta) {
    if (!m_prepared || index >= value_count())
      throw std::out_of_range(
          fmt::format("corrupt_flops_result_for_testing: value {} of {}", index, value_count()));
    const std::size_t size = value_bytes(m_shape.values);
    unsigned char* element = static_cast<unsigned char*>(m_finals.get()) + index * size;
    unsigned char bytes[8] = {};
    EXACHECK_CUDA(cudaMemcpy(bytes, element, size, cudaMemcpyDeviceToHost));
    to_device_value(from_device_bytes(bytes, m_shape.values) + delta, m_shape.values, bytes);
    EXACHECK_CUDA(cudaMemcpy(element, bytes, size, cudaMemcpyHostToDevice));
  }

 private:
  std::string device_text() const {
    return fmt::format("CUDA device {} {} ({} SMs, compute capability {}.{})", m_device, m_device_name,
                       m_multiprocessors, m_capability / 10, m_capability % 10);
  }

  std::size_t value_count() const {
    return static_cast<std::size_t>(threads()) * static_cast<std::size_t>(m_shape.accumulators) *
           static_cast<std::size_t>(m_shape.lanes);
  }

  // The instruction family every block of the last run reported; the kernel launched must be the one the
  // host chose (family_of its path), or the run is an error, never a figure under another name.
  ft::instruction_family reported_instruction() const {
    const auto* clocks = static_cast<const fk::block_clock*>(m_clocks_host.get());
    std::vector<unsigned> codes(static_cast<std::size_t>(m_blocks));
    for (int b = 0; b < m_blocks; ++b) codes[static_cast<std::size_t>(b)] = clocks[b].instruction;
    const std::optional<ft::instruction_family> reported = ft::reported_family(codes.data(), codes.size());
    const ft::instruction_family launched = ft::family_of(m_id, m_path);
    if (!reported || *reported != launched)
      throw device_error(fmt::format(
          "cuda_flops: launched the {} kernel ({}) on {}, but its {} blocks report {}",
          ft::family_name(launched), ft::instruction_name(m_id, m_path, m_features.dmma_k), device_text(),
          m_blocks,
          reported ? std::string(ft::family_name(*reported))
                   : std::string("no single instruction family (a block wrote none, or they differ)")));
    return *reported;
  }

  // Median over blocks of cycles / ns of each block's timed loop; nullopt when no block saw time pass.
  std::optional<flops::run_clock> measured_clock() const {
    const auto* clocks = static_cast<const fk::block_clock*>(m_clocks_host.get());
    std::vector<double> mhz;
    mhz.reserve(static_cast<std::size_t>(m_blocks));
    for (int b = 0; b < m_blocks; ++b)
      if (clocks[b].ns > 0)
        mhz.push_back(static_cast<double>(clocks[b].cycles) / static_cast<double>(clocks[b].ns) * 1e3);
    if (mhz.empty()) return std::nullopt;
    return flops::run_clock{median(mhz), m_multiprocessors, m_capability};
  }

  bool m_allow_wgmma = true;
  int m_device = 0;
  std::string m_device_name;
  int m_multiprocessors = 1;
  int m_capability = 0;
  ft::compiled_features m_features;
  owned_stream m_stream;
  owned_event m_start, m_stop;

  bool m_prepared = false;
  ft::kernel_id m_id = ft::kernel_id::fma_fp64;
  ft::tensor_path m_path = ft::tensor_path::none;
  ft::kernel_shape m_shape;
  flops::chain_recurrence m_recurrence;
  int m_blocks_per_sm = 1;
  int m_blocks = 0;
  std::uint64_t m_steps = 0;
  device_buffer m_starts, m_finals, m_clocks;
  pinned_buffer m_clocks_host;
  std::size_t m_value_bytes = 0;
  std::size_t m_clock_bytes = 0;
  std::optional<flops::run_clock> m_last_clock;
  std::optional<std::string> m_last_instruction;  // ft::family_name of what the blocks reported
};

std::unique_ptr<flops::flops_backend> make_backend(bool allow_wgmma) {
  std::string why_not;
  if (device_count(&why_not) == 0)
    throw std::runtime_error("backend 'cuda' needs a CUDA device for flops: " + why_not);
  return std::make_unique<cuda_flops_backend>(allow_wgmma);
}

}  // namespace

std::unique_ptr<flops::flops_backend> make_flops_backend(const run_context&) {
  return make_backend(true);
}

std::unique_ptr<flops::flops_backend> make_flops_backend_for_testing(bool allow_wgmma) {
  return make_backend(allow_wgmma);
}

void corrupt_flops_result_for_testing(flops::flops_backend& backend, std::size_t index, double delta) {
  auto* cuda_backend = dynamic_cast<cuda_flops_backend*>(&backend);
  if (!cuda_backend)
    throw std::invalid_argument(
        "corrupt_flops_result_for_testing: the backend is not the CUDA flops backend");
  cuda_backend->corrupt_result(index, delta);
}

}  // namespace exacheck::cuda
