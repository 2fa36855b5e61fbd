#include "suites/membw/membw_simulate.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "harness/core/statistics.hpp"
#include "suites/membw/stream_backend.hpp"

namespace exacheck::membw {

std::vector<point_result> simulate_membw(const simulation_input& in) {
  const auto hbm_gbps = in.peak("hbm", "GB/s");
  if (!hbm_gbps) return {in.missing_peak(in.params, "hbm")};
  const std::string dtype = in.params.value("dtype", std::string("fp64"));
  const std::uint64_t element_bytes = dtype == "fp32" ? 4 : 8;
  const std::uint64_t array_bytes = std::uint64_t{1} << 30;  // the cuda backend's auto size on an H100
  const std::uint64_t elements = array_bytes / element_bytes;
  // The worker records ntimes iterations of each kernel; the simulated one the first few.
  const int iterations = std::clamp(in.params.value("ntimes", 20), 2, simulated_samples);
  // Share of the HBM peak each kernel reaches on Hopper-class GPUs (the reductions of dot cost a little).
  static constexpr std::array<double, 5> kernel_efficiency{0.89, 0.89, 0.91, 0.91, 0.86};
  point_result point;
  point.params = in.params;
  point.derived["array_bytes_used"] = array_bytes;
  for (std::size_t i = 0; i < stream_kernels.size(); ++i) {
    const auto& info = stream_kernels[i];
    const auto bytes = stream_bytes(info.kernel, elements, element_bytes);
    const double gbps = *hbm_gbps * kernel_efficiency[i] * in.speed;
    auto times = simulated_times(in.stream, static_cast<double>(bytes) / (gbps * 1e9), iterations);
    times.front() *= 1.05;  // the first iteration warms up; STREAM excludes it
    point.metrics.push_back({fmt::format("{}_bandwidth", info.label),
                             static_cast<double>(bytes) / min_excluding_first(times) / 1e9, "GB/s",
                             "best_excluding_first", better::higher,
                             fmt::format("{}: {} arrays × {} B / best time excluding the first (simulated)",
                                         info.label, info.arrays_moved, elements * element_bytes)});
    point.samples.push_back({fmt::format("{}_time", info.label), "s", std::move(times)});
  }
  point.check = simulated_answer();
  return {point};
}

}  // namespace exacheck::membw
