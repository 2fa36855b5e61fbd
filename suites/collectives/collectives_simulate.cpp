#include "suites/collectives/collectives_simulate.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "harness/core/statistics.hpp"
#include "suites/collectives/collective_formulas.hpp"

namespace exacheck::collectives {
namespace {

// The bus bandwidth the simulated fabric reaches with large messages, GB/s: ring collectives near an
// NVLink/NVSwitch node's figure, rooted ones lower, all-to-all and send/receive at a network's.
double peak_busbw_gbps(collective op) {
  if (op == collective::allreduce) return 180;
  if (op == collective::allgather || op == collective::reduce_scatter) return 170;
  if (op == collective::broadcast || op == collective::reduce) return 150;
  return 45;  // alltoall, sendrecv
}

point_result collective_point(collective op, element_type dtype, std::size_t requested_bytes, int root,
                              int ranks, random_stream& stream) {
  nlohmann::json params = {{"bytes", requested_bytes}, {"dtype", to_string(dtype)}};
  if (op == collective::broadcast || op == collective::reduce) params["root"] = root;
  std::string why_not;
  const auto layout = layout_for_bytes(op, dtype, requested_bytes, ranks, root, &why_not);
  if (!layout) {
    point_result skipped = simulated_skip(params, why_not);
    skipped.scope = metric_scope::global;  // as the suite marks it
    return skipped;
  }
  const double factor = bus_bandwidth_factor(op, ranks);
  const double latency_s = (10.0 + 4.0 * std::log2(static_cast<double>(ranks))) * 1e-6;
  const double model_s =
      latency_s + static_cast<double>(layout->bytes) * std::max(factor, 1.0) / (peak_busbw_gbps(op) * 1e9);
  const auto own = simulated_times(stream, model_s * 0.98, simulated_samples);
  auto slowest = own;
  for (auto& t : slowest) t = std::max(t, model_s * (1.0 + 0.01 * stream.uniform()));
  const double time_s = median(slowest);
  point_result point;
  point.scope = metric_scope::global;
  point.params = params;
  point.derived["bytes"] = layout->bytes;  // what a worker moves at this rank count; the point is the plan's
  const std::string statistic = "median of per-iteration max over ranks";
  point.metrics.push_back({"time", time_s * 1e6, "us", statistic, better::lower,
                           "slowest rank's time of one blocking call (simulated)"});
  point.metrics.push_back({"algbw", algorithm_bandwidth_gbps(layout->bytes, time_s), "GB/s", statistic,
                           better::higher, "algorithm bandwidth: bytes / time, GB = 1e9 B (nccl-tests)"});
  if (factor > 0)
    point.metrics.push_back(
        {"busbw", algorithm_bandwidth_gbps(layout->bytes, time_s) * factor, "GB/s", statistic, better::higher,
         fmt::format("bus bandwidth: algbw × {:.4g} for n = {} (nccl-tests)", factor, ranks)});
  point.metrics.push_back({"latency_min", median(own) * 0.99e6, "us", "min over ranks of each rank's median",
                           better::lower, "fastest rank's median time of one call"});
  point.metrics.push_back({"latency_avg", median(own) * 1e6, "us", "mean over ranks of each rank's median",
                           better::lower, "average over ranks of each rank's median time of one call"});
  point.metrics.push_back({"latency_max", time_s * 1e6, "us", "max over ranks of each rank's median",
                           better::lower, "slowest rank's median time of one call"});
  point.samples.push_back({"time", "s", own});
  point.samples.push_back({"time_max_over_ranks", "s", slowest});
  point.check = {true, true, "simulated: nothing was moved", "exacheck simulate draws the measurements"};
  return point;
}

}  // namespace

std::vector<point_result> simulate_collective(const simulation_input& in) {
  const auto op = collective_from_string(in.benchmark);
  if (!op) throw std::invalid_argument(fmt::format("{}: '{}' is no collective", in.case_id, in.benchmark));
  const auto dtype = element_type_from_string(in.params.value("dtype", std::string("fp32")));
  if (!dtype) throw std::invalid_argument(fmt::format("{}: unknown dtype", in.case_id));
  std::vector<point_result> points;
  const nlohmann::json& sizes = in.params.at("bytes");
  if (const std::string groups = in.params.value("groups", std::string("all")); groups != "all") {
    // One point per group would need the simulated machine's hosts grouped as a launch groups them.
    for (const auto& size : sizes.is_array() ? sizes : nlohmann::json::array({sizes})) {
      nlohmann::json params = {{"bytes", size}, {"dtype", to_string(*dtype)}, {"groups", groups}};
      points.push_back(simulated_skip(params, fmt::format("groups: {} is not simulated", groups)));
      points.back().scope = metric_scope::global;
    }
    return points;
  }
  for (const auto& size : sizes.is_array() ? sizes : nlohmann::json::array({sizes}))
    points.push_back(collective_point(*op, *dtype, size.get<std::size_t>(), in.params.value("root", 0),
                                      in.ranks, in.stream));
  return points;
}

}  // namespace exacheck::collectives
