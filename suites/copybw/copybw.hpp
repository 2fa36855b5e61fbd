#pragma once
// The `copybw` benchmark (copybw_suite.hpp): copy bandwidth through the copy engines — pinned host → GPU
// (h2d), GPU → pinned host (d2h), within a GPU (d2d) and between every ordered pair of a node's GPUs (p2p) —
// one copy of `bytes` bytes at a time, back to back, timed by CUDA events, every byte of the destination
// compared with an index-hash pattern afterwards (copy_pattern.hpp). Formulas: docs/formulas.md "copybw".
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/suite.hpp"
#include "suites/copybw/copy_backend.hpp"

namespace exacheck::membw {

inline constexpr std::uint64_t copybw_default_bytes = std::uint64_t{1} << 30;  // 1 GiB

std::string copybw_description();
std::vector<param_spec> copybw_parameters();

// One metric of a direction: GB/s = bytes_factor × bytes / median time per copy / 1e9. d2d has two: the
// bytes copied, and read + write (2×) to compare with STREAM copy, which counts both.
struct copy_metric_spec {
  std::string name;  // "h2d_bandwidth", "d2d_read_write_bandwidth", ...
  int bytes_factor = 1;
  std::string meaning;
};
std::vector<copy_metric_spec> copy_metrics(copy_direction direction);
// Every direction's metrics as the suite declares them: each reported only where `direction` is its own.
std::vector<metric_spec> copybw_metrics();

// The pattern seed of one copy: from the run's seed, the rank, the size and the GPU pair (0, 0 outside p2p),
// so that no two points share a pattern and a stale destination from an earlier point never passes. Never 0.
std::uint64_t copy_seed(std::uint64_t run_seed, int rank, std::uint64_t bytes, int src_device,
                        int dst_device);

// The correctness record of comparing a destination of `bytes` bytes with its pattern.
correctness copy_correctness(const pattern_check& check, std::uint64_t bytes);

// Why there is no p2p matrix on a node whose local rank 0 sees `gpus` GPUs (nullopt from 2 up);
// names CUDA_VISIBLE_DEVICES when it is set, as it may be what hides the node's other GPUs.
std::optional<std::string> p2p_skip_reason(int gpus, const std::optional<std::string>& cuda_visible_devices);

// Runs one copybw case on this rank (collectively over ctx.comm): one point per size for h2d, d2h and d2d;
// for p2p one point per size and ordered GPU pair (src_gpu ≠ dst_gpu), measured by local rank 0 of each node
// and reported by every rank of that node.
std::vector<point_result> run_copybw(const run_context& ctx, const param_values& params,
                                     copy_backend& backend);

}  // namespace exacheck::membw
