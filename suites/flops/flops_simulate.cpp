#include "suites/flops/flops_simulate.hpp"

#include <string>

#include "harness/core/statistics.hpp"

namespace exacheck::flops {

std::vector<point_result> simulate_flops(const simulation_input& in) {
  const std::string dtype = in.params.value("dtype", std::string("fp64"));
  const std::string key = dtype.starts_with("fp8") ? "fp8" : dtype;
  const auto peak_tflops = in.peak(key, "TFLOP/s");
  if (!peak_tflops) return {in.missing_peak(in.params, key)};
  constexpr double flops_per_run = 1e13;  // a run of ~10–100 ms at these peaks, as the suite calibrates
  const double tflops = *peak_tflops * simulated_efficiency(in.seed, "flops:" + dtype, 0.88, 0.95) * in.speed;
  point_result point;
  // The plan's point, as the suite records it; what the suite would size or find on the node is derived.
  point.params = in.params;
  point.derived = {{"inner_iterations", 1 << 20}, {"isa", "simulated"}, {"threads", 1}};
  const auto times = simulated_times(in.stream, flops_per_run / (tflops * 1e12), simulated_samples);
  point.metrics.push_back({"tflops", flops_per_run / median(times) / 1e12, "TFLOP/s", "median",
                           better::higher, "flops of one run / median time (simulated)"});
  point.samples.push_back({"time", "s", times});
  point.check = simulated_answer();
  return {point};
}

}  // namespace exacheck::flops
