#include "suites/copybw/copybw_simulate.hpp"

#include <cstdint>
#include <string>

#include "harness/core/statistics.hpp"

namespace exacheck::membw {

std::vector<point_result> simulate_copybw(const simulation_input& in) {
  const std::string direction = in.params.value("direction", std::string("d2d"));
  const nlohmann::json& sizes = in.params.contains("bytes") ? in.params.at("bytes") : nlohmann::json(1 << 30);
  const auto bytes = (sizes.is_array() ? sizes.back() : sizes).get<std::uint64_t>();
  if (direction == "p2p")
    return {simulated_skip({{"direction", direction}, {"bytes", bytes}},
                           "simulate: the p2p matrix is not simulated (it depends on the node's topology)")};
  double gbps = direction == "h2d" ? 55.0 : direction == "d2h" ? 53.0 : 0.0;
  if (direction == "d2d") {
    const auto hbm_gbps = in.peak("hbm", "GB/s");
    if (!hbm_gbps) return {in.missing_peak(in.params, "hbm")};
    gbps = *hbm_gbps * 0.45;
  }
  gbps *= in.speed;  // speed only: planted GPUs are slow at gemm, membw or flops
  point_result point;
  point.params = {{"direction", direction}, {"bytes", bytes}};
  const auto times = simulated_times(in.stream, static_cast<double>(bytes) / (gbps * 1e9), simulated_samples);
  const double time_s = median(times);
  point.metrics.push_back({direction + "_bandwidth", static_cast<double>(bytes) / time_s / 1e9, "GB/s",
                           "median", better::higher, "bytes copied / median time per copy (simulated)"});
  if (direction == "d2d")
    point.metrics.push_back({"d2d_read_write_bandwidth", 2.0 * static_cast<double>(bytes) / time_s / 1e9,
                             "GB/s", "median", better::higher,
                             "2 × bytes copied / median time per copy (simulated)"});
  point.samples.push_back({"time", "s", times});
  point.check = simulated_answer();
  return {point};
}

}  // namespace exacheck::membw
