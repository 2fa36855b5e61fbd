#include "suites/gemm/gemm_simulate.hpp"

#include <cstdint>
#include <string>

#include "harness/core/statistics.hpp"

namespace exacheck::gemm {
namespace {

std::string simulated_peak_key(const std::string& dtype, const nlohmann::json& peak_per_gpu) {
  if (dtype == "fp64" && peak_per_gpu.contains("fp64_tensor")) return "fp64_tensor";
  if (dtype.starts_with("fp8")) return "fp8";
  return dtype;
}

}  // namespace

std::vector<point_result> simulate_gemm(const simulation_input& in) {
  const std::string dtype = in.params.value("dtype", std::string("fp64"));
  const std::string key = simulated_peak_key(dtype, in.peak_per_gpu);
  const auto peak_tflops = in.peak(key, "TFLOP/s");
  if (!peak_tflops) return {in.missing_peak(in.params, key)};
  const auto m = in.params.value("m", std::int64_t{1024}), n = in.params.value("n", std::int64_t{1024}),
             k = in.params.value("k", std::int64_t{1024});
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  const double tflops = *peak_tflops * simulated_efficiency(in.seed, "gemm:" + dtype, 0.75, 0.85) * in.speed;
  point_result point;
  point.params = in.params;
  const auto times = simulated_times(in.stream, flops / (tflops * 1e12), simulated_samples);
  const double median_s = median(times);
  point.metrics.push_back({"tflops", flops / median_s / 1e12, "TFLOP/s", "median", better::higher,
                           "2·M·N·K / median time (simulated)"});
  point.metrics.push_back(
      {"time", median_s, "s", "median", better::lower, "median time of one GEMM (simulated)"});
  point.samples.push_back({"time", "s", times});
  point.check = simulated_answer();
  return {point};
}

}  // namespace exacheck::gemm
