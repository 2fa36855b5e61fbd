#pragma once
// The copy interface behind the `copybw` benchmark, implemented per backend (kernels/cuda/
// cuda_copy.cpp: the GPU's copy engines; kernels/cpu/cpu_copy.cpp: memory to memory on the host). Timing
// contract in one sentence: every call is blocking, and time_batch(n) returns the time its n back-to-back
// copies took on the backend's own clock around them (CUDA events on the copy stream; the host clock on the
// host).
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "harness/core/batch_time.hpp"
#include "harness/core/enum_names.hpp"
#include "harness/core/suite.hpp"
#include "suites/copybw/copy_pattern.hpp"

namespace exacheck::membw {

// h2d: pinned host → this rank's GPU; d2h: the reverse; d2d: within this rank's GPU (within the rank's host
// memory on the cpu backend); p2p: GPU src → GPU dst of the same node.
enum class copy_direction { h2d, d2h, d2d, p2p };
inline constexpr std::array<enum_name<copy_direction>, 4> copy_direction_names{{
    {copy_direction::h2d, "h2d"},
    {copy_direction::d2h, "d2h"},
    {copy_direction::d2d, "d2d"},
    {copy_direction::p2p, "p2p"},
}};

std::string_view to_string(copy_direction direction);
std::optional<copy_direction> copy_direction_from_string(std::string_view text);

// Which buffers a copy connects. The devices are CUDA ordinals as this process sees them (p2p only; the other
// directions use the rank's current device).
struct copy_route {
  copy_direction direction = copy_direction::d2d;
  int src_device = 0;
  int dst_device = 0;
};

class copy_backend {
 public:
  virtual ~copy_backend() = default;

  // Why this backend cannot copy in `direction` here (e.g. "needs a GPU"), nullopt when it can.
  virtual std::optional<std::string> unsupported_reason(copy_direction direction) const = 0;
  // The GPUs a p2p matrix spans: every device this process sees (0 where there are none).
  virtual int peer_devices() const = 0;
  // Why GPU src cannot copy straight into GPU dst's memory (no peer access), nullopt when it can.
  virtual std::optional<std::string> peer_unavailable_reason(int src_device, int dst_device) const = 0;
  // Allocates the route's source and destination, `bytes` each (freeing earlier ones first), writes the
  // pattern of `seed` into the source and the pattern of poison_seed(seed) into the destination, where each
  // lives (host or device). Throws std::invalid_argument for 0 bytes or an unsupported route.
  virtual void prepare(const copy_route& route, std::uint64_t bytes, std::uint64_t seed) = 0;
  // The timed entry point: copies source → destination `copies` times back to back; returns their total time.
  virtual batch_time time_batch(int copies) = 0;
  // Compares every byte of the destination with the pattern of prepare's seed, where it lives (not timed).
  virtual pattern_check check_destination() = 0;
  // Test hook: inverts destination byte `offset`, so tests can show a wrong byte is caught.
  virtual void corrupt_destination_for_testing(std::uint64_t offset) = 0;
  // What runs, e.g. "cudaMemcpyAsync host→device, pinned host buffer (cudaHostAlloc) → CUDA device 0 …".
  virtual std::string implementation() const = 0;
};

}  // namespace exacheck::membw
