// The CUDA backend of copybw: copies through the copy engines, timed by CUDA events on this backend's own
// non-blocking stream, around `copies` back-to-back cudaMemcpyAsync (h2d, d2h, d2d) or cudaMemcpyPeerAsync
// (p2p) calls (time_batch), then waited for (the interface's blocking contract).
//
// Host buffers are pinned (cudaHostAlloc, portable), so h2d and d2h are true DMA transfers at the link's
// rate, not staged through a driver bounce buffer as pageable memory would be. p2p copies are issued on a
// stream of the source GPU, after enabling peer access both ways, so the source's copy engine writes into the
// peer's memory over NVLink or PCIe. The pattern is written and compared where each buffer lives: on the host
// by the rank's OpenMP threads, on a device by copy_pattern_kernels.cu — never through another copy.
#include <cuda_runtime.h>
#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "kernels/cuda/copy_pattern_kernels.cuh"
#include "kernels/cuda/cuda_backends.hpp"
#include "kernels/cuda/cuda_check.hpp"

namespace exacheck::cuda {
namespace {

namespace pk = copy_pattern_kernels;
using membw::copy_direction;

// Makes `device` current for the guard's scope and restores the previous one (never throws on the way out).
class device_guard {
 public:
  explicit device_guard(int device) {
    EXACHECK_CUDA(cudaGetDevice(&m_saved));
    EXACHECK_CUDA(cudaSetDevice(device));
  }
  ~device_guard() { cudaSetDevice(m_saved); }
  device_guard(const device_guard&) = delete;
  device_guard& operator=(const device_guard&) = delete;

 private:
  int m_saved = 0;
};

constexpr int k_host = -1;  // a buffer's "device" when it is pinned host memory

// Frees device memory on its own device, pinned host memory with cudaFreeHost.
struct buffer_free {
  int device = k_host;
  void operator()(void* pointer) const noexcept {
    if (device == k_host) {
      cudaFreeHost(pointer);
      return;
    }
    int saved = 0;
    cudaGetDevice(&saved);
    cudaSetDevice(device);
    cudaFree(pointer);
    cudaSetDevice(saved);
  }
};
using copy_buffer = std::unique_ptr<void, buffer_free>;

copy_buffer allocate(int device, std::size_t bytes) {
  void* pointer = nullptr;
  if (device == k_host) {
    EXACHECK_CUDA(cudaHostAlloc(&pointer, bytes, cudaHostAllocPortable));
  } else {
    const device_guard on(device);
    EXACHECK_CUDA(cudaMalloc(&pointer, bytes));
  }
  return copy_buffer(pointer, buffer_free{device});
}

struct stream_destroy {
  void operator()(cudaStream_t stream) const noexcept { cudaStreamDestroy(stream); }
};
struct event_destroy {
  void operator()(cudaEvent_t event) const noexcept { cudaEventDestroy(event); }
};
using owned_stream = std::unique_ptr<std::remove_pointer_t<cudaStream_t>, stream_destroy>;
using owned_event = std::unique_ptr<std::remove_pointer_t<cudaEvent_t>, event_destroy>;

// A stream of the current device.
owned_stream make_stream() {
  cudaStream_t stream = nullptr;
  EXACHECK_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  return owned_stream(stream);
}

// Blocks for the pattern kernels: enough to keep every multiprocessor busy (not timed, only not slow).
int pattern_blocks(int device) {
  int multiprocessors = 1;
  EXACHECK_CUDA(cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device));
  return std::max(multiprocessors, 1) * 8;
}

std::string describe_device(int device) {
  cudaDeviceProp properties{};
  EXACHECK_CUDA(cudaGetDeviceProperties(&properties, device));
  char bus_id[32] = {};
  EXACHECK_CUDA(cudaDeviceGetPCIBusId(bus_id, sizeof bus_id, device));
  return fmt::format("CUDA device {} {} ({})", device, properties.name, bus_id);
}

class cuda_copy_backend final : public membw::copy_backend {
 public:
  // h2d, d2h and d2d run on the calling thread's current device (the worker has selected it).
  cuda_copy_backend() {
    EXACHECK_CUDA(cudaGetDevice(&m_home));
    EXACHECK_CUDA(cudaGetDeviceCount(&m_devices));
  }
  // Every call has waited for its work, so nothing is in flight when the members are released (events, then
  // the stream, then the buffers, each freed on its own device).
  ~cuda_copy_backend() override = default;
  // Owns device and pinned memory, a stream and events: a copy would free them twice.
  cuda_copy_backend(const cuda_copy_backend&) = delete;
  cuda_copy_backend& operator=(const cuda_copy_backend&) = delete;

  std::optional<std::string> unsupported_reason(copy_direction) const override { return std::nullopt; }

  int peer_devices() const override { return m_devices; }

  std::optional<std::string> peer_unavailable_reason(int src, int dst) const override {
    if (src < 0 || dst < 0 || src >= m_devices || dst >= m_devices)
      return fmt::format("GPU {} → GPU {}: not both among the {} GPUs this process sees", src, dst,
                         m_devices);
    if (src == dst) return fmt::format("GPU {} → GPU {}: the same GPU (that is d2d)", src, dst);
    int can_access = 0;
    EXACHECK_CUDA(cudaDeviceCanAccessPeer(&can_access, src, dst));
    if (can_access) return std::nullopt;
    return fmt::format("no peer access from GPU {} to GPU {} (cudaDeviceCanAccessPeer = 0)", src, dst);
  }

  void prepare(const membw::copy_route& route, std::uint64_t bytes, std::uint64_t seed) override {
    if (bytes == 0) throw std::invalid_argument("cuda_copy: a copy needs at least one byte");
    // Release the previous route first: peak memory stays one source and one destination.
    m_bytes = 0;
    m_start.reset();
    m_stop.reset();
    m_stream.reset();
    m_source.reset();
    m_destination.reset();

    int src = m_home, dst = m_home;
    switch (route.direction) {
      case copy_direction::h2d:
        src = k_host;
        break;
      case copy_direction::d2h:
        dst = k_host;
        break;
      case copy_direction::d2d:
        break;
      case copy_direction::p2p:
        if (const auto reason = peer_unavailable_reason(route.src_device, route.dst_device))
          throw std::invalid_argument("cuda_copy p2p: " + *reason);
        src = route.src_device;
        dst = route.dst_device;
        enable_peer_access(src, dst);
        enable_peer_access(dst, src);
        break;
    }
    m_route = route;
    m_source_device = src;
    m_destination_device = dst;
    m_source = allocate(src, bytes);
    m_destination = allocate(dst, bytes);
    write_pattern(src, m_source.get(), bytes, seed);
    write_pattern(dst, m_destination.get(), bytes, membw::poison_seed(seed));

    // The copies run on the source GPU's stream (the device's own GPU for h2d and d2h).
    m_stream_device = route.direction == copy_direction::p2p ? src : m_home;
    const device_guard on(m_stream_device);
    m_stream = make_stream();
    cudaEvent_t start = nullptr, stop = nullptr;
    EXACHECK_CUDA(cudaEventCreate(&start));
    m_start.reset(start);
    EXACHECK_CUDA(cudaEventCreate(&stop));
    m_stop.reset(stop);
    m_seed = seed;
    m_bytes = bytes;
  }

  batch_time time_batch(int copies) override {
    require_buffers();
    if (copies < 1) throw std::invalid_argument("cuda_copy: a batch needs at least one copy");
    const device_guard on(m_stream_device);
    cudaStream_t stream = m_stream.get();
    EXACHECK_CUDA(cudaEventRecord(m_start.get(), stream));
    for (int c = 0; c < copies; ++c) {
      if (m_route.direction == copy_direction::p2p) {
        EXACHECK_CUDA(cudaMemcpyPeerAsync(m_destination.get(), m_destination_device, m_source.get(),
                                          m_source_device, m_bytes, stream));
      } else {
        EXACHECK_CUDA(cudaMemcpyAsync(m_destination.get(), m_source.get(), m_bytes, memcpy_kind(), stream));
      }
    }
    EXACHECK_CUDA(cudaEventRecord(m_stop.get(), stream));
    EXACHECK_CUDA(cudaEventSynchronize(m_stop.get()));
    float milliseconds = 0;
    EXACHECK_CUDA(cudaEventElapsedTime(&milliseconds, m_start.get(), m_stop.get()));
    return {static_cast<double>(milliseconds) * 1e-3, batch_clock::device};
  }

  membw::pattern_check check_destination() override {
    require_buffers();
    if (m_destination_device == k_host)
      return membw::check_copy_pattern(m_destination.get(), m_bytes, m_seed);
    const device_guard on(m_destination_device);
    const copy_buffer result = allocate(m_destination_device, sizeof(pk::device_mismatch));
    auto* mismatch = static_cast<pk::device_mismatch*>(result.get());
    const owned_stream stream = make_stream();
    EXACHECK_CUDA(pk::launch_compare(m_destination.get(), m_bytes, m_seed, mismatch,
                                     pattern_blocks(m_destination_device), stream.get()));
    pk::device_mismatch found{};
    EXACHECK_CUDA(cudaMemcpyAsync(&found, mismatch, sizeof found, cudaMemcpyDeviceToHost, stream.get()));
    EXACHECK_CUDA(cudaStreamSynchronize(stream.get()));
    membw::pattern_check check;
    check.bytes_compared = m_bytes;
    check.wrong_bytes = found.wrong_bytes;
    if (found.wrong_bytes > 0) {
      check.first_wrong_offset = found.first_wrong_offset;
      check.expected = membw::copy_pattern_byte(check.first_wrong_offset, m_seed);
      check.got = read_destination_byte(check.first_wrong_offset);
    }
    return check;
  }

  void corrupt_destination_for_testing(std::uint64_t offset) override {
    require_buffers();
    if (offset >= m_bytes) throw std::out_of_range("cuda_copy: corrupt offset past the destination");
    auto* byte = static_cast<unsigned char*>(m_destination.get()) + offset;
    const unsigned char flipped = static_cast<unsigned char>(read_destination_byte(offset) ^ 0xFF);
    if (m_destination_device == k_host) {
      *byte = flipped;
      return;
    }
    const device_guard on(m_destination_device);
    EXACHECK_CUDA(cudaMemcpy(byte, &flipped, 1, cudaMemcpyHostToDevice));
  }

  std::string implementation() const override {
    const std::string home = describe_device(m_home);
    if (m_bytes == 0) return home + ", no buffers yet";
    switch (m_route.direction) {
      case copy_direction::h2d:
        return fmt::format(
            "cudaMemcpyAsync pinned host buffer (cudaHostAlloc) → {}, on a non-blocking stream, "
            "timed by CUDA events",
            home);
      case copy_direction::d2h:
        return fmt::format(
            "cudaMemcpyAsync {} → pinned host buffer (cudaHostAlloc), on a non-blocking stream, "
            "timed by CUDA events",
            home);
      case copy_direction::d2d:
        return fmt::format(
            "cudaMemcpyAsync device → device within {}, on a non-blocking stream, timed by CUDA "
            "events",
            home);
      case copy_direction::p2p:
        return fmt::format(
            "cudaMemcpyPeerAsync {} → {}, peer access enabled both ways, on a non-blocking "
            "stream of the source GPU, timed by CUDA events",
            describe_device(m_source_device), describe_device(m_destination_device));
    }
    return home;
  }

 private:
  void require_buffers() const {
    if (m_bytes == 0) throw std::logic_error("cuda_copy: called before prepare()");
  }

  cudaMemcpyKind memcpy_kind() const {
    switch (m_route.direction) {
      case copy_direction::h2d:
        return cudaMemcpyHostToDevice;
      case copy_direction::d2h:
        return cudaMemcpyDeviceToHost;
      default:
        return cudaMemcpyDeviceToDevice;
    }
  }

  // Lets `from` access `to`'s memory; a second call answers "already enabled", which is what we want.
  static void enable_peer_access(int from, int to) {
    int can_access = 0;
    EXACHECK_CUDA(cudaDeviceCanAccessPeer(&can_access, from, to));
    if (!can_access) return;
    const device_guard on(from);
    const cudaError_t status = cudaDeviceEnablePeerAccess(to, 0);
    if (status == cudaErrorPeerAccessAlreadyEnabled) {
      cudaGetLastError();  // clear it: it is not an error here
      return;
    }
    EXACHECK_CUDA(status);
  }

  // The pattern of `seed` into a buffer where it lives: host threads, or a kernel on its device.
  static void write_pattern(int device, void* data, std::uint64_t bytes, std::uint64_t seed) {
    if (device == k_host) {
      membw::fill_copy_pattern(data, bytes, seed);
      return;
    }
    const device_guard on(device);
    const owned_stream stream = make_stream();
    EXACHECK_CUDA(pk::launch_fill(data, bytes, seed, pattern_blocks(device), stream.get()));
    EXACHECK_CUDA(cudaStreamSynchronize(stream.get()));
  }

  unsigned char read_destination_byte(std::uint64_t offset) const {
    const auto* byte = static_cast<const unsigned char*>(m_destination.get()) + offset;
    if (m_destination_device == k_host) return *byte;
    const device_guard on(m_destination_device);
    unsigned char value = 0;
    EXACHECK_CUDA(cudaMemcpy(&value, byte, 1, cudaMemcpyDeviceToHost));
    return value;
  }

  int m_home = 0;     // the rank's GPU
  int m_devices = 0;  // GPUs this process sees
  membw::copy_route m_route;
  int m_source_device = 0, m_destination_device = 0;  // k_host for pinned host memory
  int m_stream_device = 0;
  std::uint64_t m_bytes = 0;  // 0 until prepare succeeds
  std::uint64_t m_seed = 0;
  copy_buffer m_source{nullptr, buffer_free{}}, m_destination{nullptr, buffer_free{}};
  owned_stream m_stream;
  owned_event m_start, m_stop;
};

}  // namespace

std::unique_ptr<membw::copy_backend> make_copy_backend(const run_context&) {
  std::string why_not;
  if (device_count(&why_not) == 0)
    throw std::runtime_error("backend 'cuda' needs a CUDA device for copybw: " + why_not);
  return std::make_unique<cuda_copy_backend>();
}

}  // namespace exacheck::cuda
