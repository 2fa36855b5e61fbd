#pragma once
// The STREAM kernel interface (after BabelStream), implemented per backend (kernels/cpu/cpu_stream: OpenMP;
// kernels/cuda/cuda_stream: CUDA). Timing contract: every call is blocking — when copy/scale/add/triad/dot
// and time_batch return, every element has been read and written. time_batch times a batch of one kernel:
// events on a device backend's stream around the kernel's launches (launch and synchronisation latency stay
// out of the bandwidth), the host clock around the blocking calls on a host backend.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/core/batch_time.hpp"
#include "harness/core/suite.hpp"

namespace exacheck::membw {

enum class stream_kernel { copy, scale, add, triad, dot };

// The kernels as data: the order STREAM runs them in, and the arrays each one moves per element (the bytes
// STREAM counts; a write-allocate read of the destination is not counted — McCalpin's STREAM FAQ).
struct stream_kernel_info {
  stream_kernel kernel;
  std::string_view label;  // metric prefix: "<label>_bandwidth"
  int arrays_moved;
  std::string_view formula;
};

inline constexpr std::array<stream_kernel_info, 5> stream_kernels{{
    {stream_kernel::copy, "copy", 2, "c[i] = a[i]"},
    {stream_kernel::scale, "scale", 2, "b[i] = scalar * c[i]"},
    {stream_kernel::add, "add", 3, "c[i] = a[i] + b[i]"},
    {stream_kernel::triad, "triad", 3, "a[i] = b[i] + scalar * c[i]"},
    {stream_kernel::dot, "dot", 2, "sum += a[i] * b[i]"},
}};

const stream_kernel_info& kernel_info(stream_kernel kernel);

// Bytes one kernel moves over arrays of `elements` elements of `element_bytes` each.
constexpr std::uint64_t stream_bytes(stream_kernel kernel, std::uint64_t elements,
                                     std::uint64_t element_bytes) {
  for (const auto& info : stream_kernels)
    if (info.kernel == kernel)
      return static_cast<std::uint64_t>(info.arrays_moved) * elements * element_bytes;
  return 0;
}

// What a batch of one kernel reports: its time, and dot's sum (0 for the other kernels).
struct stream_batch {
  batch_time time;
  double dot_sum = 0;
};

class stream_backend {
 public:
  virtual ~stream_backend() = default;

  // Why this backend cannot run `dtype` ("fp64", "fp32") here, nullopt when it can.
  virtual std::optional<std::string> unsupported_reason(std::string_view dtype) const = 0;
  // Allocates arrays a, b, c of `elements` elements of dtype and sets them to a0, b0, c0. Memory is first
  // touched by the threads (or device) that will run the kernels, in the kernels' own partition, so pages
  // land where they are used. Throws std::invalid_argument for an unsupported dtype.
  virtual void init_arrays(std::size_t elements, std::string_view dtype, double a0, double b0, double c0) = 0;
  virtual void copy() = 0;                // c[i] = a[i]
  virtual void scale(double scalar) = 0;  // b[i] = scalar * c[i]
  virtual void add() = 0;                 // c[i] = a[i] + b[i]
  virtual void triad(double scalar) = 0;  // a[i] = b[i] + scalar * c[i]
  virtual double dot() = 0;               // Σ a[i] * b[i]
  // The timed entry point: `kernel` (scale and triad with `scalar`) `calls` times back to back. A kernel
  // called again leaves the arrays as one call did, so a batch counts as one STREAM iteration of that kernel.
  virtual stream_batch time_batch(stream_kernel kernel, int calls, double scalar) = 0;
  // The arrays' current contents, widened to double (for verification; not timed).
  virtual void read_arrays(std::vector<double>& a, std::vector<double>& b, std::vector<double>& c) const = 0;
  // What runs, e.g. "OpenMP static schedule, 2 threads pinned to CPUs 0,1" (recorded in descriptions).
  virtual std::string implementation() const = 0;
  // The bytes per array this backend wants when the plan leaves the size to it (array_bytes: 0), and how they
  // were chosen; nullopt: the suite's host rule (4 × the node's last-level cache, split over its ranks).
  virtual std::optional<std::pair<std::uint64_t, std::string>> auto_array_bytes() const {
    return std::nullopt;
  }
};

}  // namespace exacheck::membw
