// The gemm suite's TFLOP/s vs OpenBLAS called directly in a tight loop at the same size (the target:
// the suite reaches at least 95% — no harness overhead in the timed region). One process, all cores:
//   build/tests/perf/perf_gemm_vs_openblas [google-benchmark flags] [n=2048] [rounds=3]
// Benchmarks, per dtype (fp64, fp32) at n × n × n:
//   openblas_direct/<dtype>/<n>: Google Benchmark's own loop around cblas_?gemm (mean time per call);
//   suite_vs_direct/<dtype>/<n>: `rounds` alternations of (a) the same cblas_?gemm on the same inputs, timed
//     call by call with a steady clock, median of 10 calls after 2 warm-ups, and (b) the gemm suite (its
//     `tflops` metric: 2·n³ / median time, its default measurement settings). Counters: each side's median
//     over the rounds and suite / direct; alternating lets drift on a shared machine hit both alike.
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "harness/core/statistics.hpp"
#include "kernels/register_backends.hpp"
#include "suites/gemm/gemm_inputs.hpp"
#include "suites/gemm/gemm_oracle.hpp"
#include "suites/gemm/gemm_suite.hpp"

namespace {

int g_threads = 1;
int g_rounds = 3;

struct comparison {
  std::string dtype;
  int n = 0;
  double suite_tflops = 0, direct_tflops = 0;
  bool correct = false;
};
std::vector<comparison> g_results;

// A, B from the generator the suite uses (gemm_inputs.hpp: approximately standard normal), C written by every
// call: operands like those the suite multiplies.
template <class T>
struct operands {
  explicit operands(int n) : a(static_cast<std::size_t>(n) * n), b(a.size()), c(a.size()) {
    using namespace exacheck::gemm;
    const std::uint64_t key_a = input_key(42, input_matrix::a), key_b = input_key(42, input_matrix::b);
    for (std::size_t e = 0; e < a.size(); ++e) a[e] = static_cast<T>(normal_input(key_a, e));
    for (std::size_t e = 0; e < b.size(); ++e) b[e] = static_cast<T>(normal_input(key_b, e));
  }
  std::vector<T> a, b, c;
};

void gemm_call(operands<double>& m, int n) {
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, m.a.data(), n, m.b.data(), n, 0.0,
              m.c.data(), n);
}
void gemm_call(operands<float>& m, int n) {
  cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, m.a.data(), n, m.b.data(), n, 0.0f,
              m.c.data(), n);
}

template <class T>
void openblas_direct(benchmark::State& state, int n) {
  openblas_set_num_threads(g_threads);
  operands<T> m(n);
  gemm_call(m, n);  // warm-up: OpenBLAS starts its threads, pages are touched
  for (auto _ : state) {
    gemm_call(m, n);
    benchmark::ClobberMemory();
  }
  state.counters["TFLOP"] = benchmark::Counter(exacheck::gemm::gemm_flops(n, n, n) / 1e12,
                                               benchmark::Counter::kIsIterationInvariantRate);
}

template <class T>
double direct_median_tflops(operands<T>& m, int n) {
  openblas_set_num_threads(g_threads);
  for (int i = 0; i < 2; ++i) gemm_call(m, n);
  std::vector<double> seconds;
  for (int i = 0; i < 10; ++i) {
    const auto start = std::chrono::steady_clock::now();
    gemm_call(m, n);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return exacheck::gemm::gemm_flops(n, n, n) / exacheck::median(seconds) / 1e12;
}

template <class T>
void suite_vs_direct(benchmark::State& state, std::string dtype, int n) {
  exacheck::run_context ctx;
  ctx.threads = g_threads;
  const auto suite = exacheck::make_gemm_suite();
  const exacheck::param_values params = {
      {"dtype", dtype},       {"m", n}, {"n", n}, {"k", n}, {"transa", "n"}, {"transb", "n"},
      {"verify_samples", 256}};
  operands<T> m(n);
  comparison result{dtype, n};
  result.correct = true;
  for (auto _ : state) {
    std::vector<double> suite_rounds, direct_rounds;
    for (int round = 0; round < g_rounds; ++round) {
      direct_rounds.push_back(direct_median_tflops(m, n));
      const auto point = suite->run(ctx, "gemm", params).at(0);
      result.correct = result.correct && point.check.passed;
      suite_rounds.push_back(point.metrics.at(0).value);
    }
    result.suite_tflops = exacheck::median(suite_rounds);
    result.direct_tflops = exacheck::median(direct_rounds);
  }
  state.counters["suite_TFLOP/s"] = result.suite_tflops;
  state.counters["direct_TFLOP/s"] = result.direct_tflops;
  state.counters["suite/direct"] = result.suite_tflops / result.direct_tflops;
  if (!result.correct) state.SkipWithError("the suite reported a wrong answer");
  g_results.push_back(result);
}

}  // namespace

int main(int argc, char** argv) {
  exacheck::register_backends();  // as the CLI's entry does: the suites make their kernels from the table
  benchmark::Initialize(&argc, argv);
  const int n = argc > 1 ? std::atoi(argv[1]) : 2048;
  g_rounds = argc > 2 ? std::max(std::atoi(argv[2]), 1) : 3;
  g_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::string size = std::to_string(n);
  benchmark::RegisterBenchmark(("openblas_direct/fp64/" + size).c_str(), openblas_direct<double>, n)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->MinTime(2.0);
  benchmark::RegisterBenchmark(("suite_vs_direct/fp64/" + size).c_str(), suite_vs_direct<double>, "fp64", n)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Iterations(1);
  benchmark::RegisterBenchmark(("openblas_direct/fp32/" + size).c_str(), openblas_direct<float>, n)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->MinTime(2.0);
  benchmark::RegisterBenchmark(("suite_vs_direct/fp32/" + size).c_str(), suite_vs_direct<float>, "fp32", n)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Iterations(1);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  bool met = !g_results.empty();
  fmt::print("\nthreads: {}, rounds: {} (median over rounds)\n", g_threads, g_rounds);
  for (const auto& r : g_results) {
    const double ratio = r.suite_tflops / r.direct_tflops;
    met = met && ratio >= 0.95 && r.correct;
    fmt::print(
        "gemm {} {}^3: suite {:.4f} TFLOP/s, OpenBLAS direct {:.4f} TFLOP/s, suite/direct {:.1f}% "
        "(target >= 95%){}\n",
        r.dtype, r.n, r.suite_tflops, r.direct_tflops, 100 * ratio, r.correct ? "" : " INCORRECT");
  }
  fmt::print("{}\n", met ? "OK" : "NOT MET");
  return met ? 0 : 1;
}
