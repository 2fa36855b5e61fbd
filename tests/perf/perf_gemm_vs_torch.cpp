// The exacheck side of the GEMM speed target: the gemm suite on the cuda backend (cuBLASLt,
// CUDA-event timing of back-to-back calls, its default measurement settings), bf16 and fp8_e4m3 at n × n × n,
// with the heuristic's algorithm and with autotune. scripts/bench/gemm_vs_torch.py runs this program and
// torch.matmul on the same GPU back to back and prints the ratio (target: bf16 ≥ 97% of torch; fp8 ≥ 1.3
// PFLOP/s).
//   build/tests/perf/perf_gemm_vs_torch [google-benchmark flags] [n=8192]
// Benchmarks: suite/<dtype>/<heuristic|autotune>/<n>, one suite run each (Iterations(1)); counters TFLOP/s
// (the suite's tflops metric) and verified (1 when the sampled entries matched the reference). After the
// table, one line per point starting with "exacheck-gemm " and a JSON object, for the script. Runs without
// MPI_Init (no mpirun needed): the suite only uses MPI with more than one rank.
#include <benchmark/benchmark.h>
#include <fmt/core.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/node/gpu_runtime.hpp"
#include "kernels/register_backends.hpp"
#include "suites/gemm/gemm_suite.hpp"

namespace {

std::vector<nlohmann::json> g_points;

void suite_point(benchmark::State& state, std::string dtype, bool autotune, int n) {
  std::string why_not;
  if (exacheck::gpus().device_count(&why_not) == 0) {
    state.SkipWithError(("no CUDA device: " + why_not).c_str());
    return;
  }
  exacheck::gpus().select_device(0);
  const auto suite = exacheck::make_gemm_suite();
  exacheck::run_context ctx;
  ctx.backend = "cuda";
  const exacheck::param_values params = {{"dtype", dtype},
                                         {"m", n},
                                         {"n", n},
                                         {"k", n},
                                         {"transa", "n"},
                                         {"transb", "n"},
                                         {"verify_samples", 256},
                                         {"batch", 1},
                                         {"autotune", autotune}};
  exacheck::point_result point;
  for (auto _ : state) point = suite->run(ctx, "gemm", params).at(0);
  if (point.skipped_reason) {
    state.SkipWithError(point.skipped_reason->c_str());
    return;
  }
  const exacheck::metric& tflops = point.metrics.at(0);
  state.counters["TFLOP/s"] = tflops.value;
  state.counters["verified"] = point.check.passed ? 1 : 0;
  g_points.push_back({{"dtype", dtype},
                      {"autotune", autotune},
                      {"n", n},
                      {"tflops", tflops.value},
                      {"correct", point.check.passed},
                      {"check", point.check.detail},
                      {"description", tflops.description},
                      {"warnings", point.warnings}});
  if (!point.check.passed) state.SkipWithError(("wrong answer: " + point.check.detail).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  exacheck::register_backends();  // as the CLI's entry does: the suites make their kernels from the table
  benchmark::Initialize(&argc, argv);
  const int n = argc > 1 ? std::atoi(argv[1]) : 8192;
  for (const std::string dtype : {"bf16", "fp8_e4m3"})
    for (const bool autotune : {false, true})
      benchmark::RegisterBenchmark(
          fmt::format("suite/{}/{}/{}", dtype, autotune ? "autotune" : "heuristic", n).c_str(), suite_point,
          dtype, autotune, n)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->Iterations(1);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  for (const auto& point : g_points) fmt::print("exacheck-gemm {}\n", point.dump());
  return g_points.empty() ? 1 : 0;
}
