// Peak FLOPS from the flops suite vs the machine's DGEMM rate (the targets: fp64 peak above DGEMM — a
// GEMM cannot beat peak — and fp32 about twice fp64). One process, all cores:
//   build/tests/perf/perf_flops_vs_dgemm [threads=all cores] [n=2048]
#include <cblas.h>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

#include "harness/core/statistics.hpp"
#include "kernels/register_backends.hpp"
#include "suites/flops/flops_suite.hpp"

namespace {

double dgemm_gflops(int n, int repeats) {
  const auto size = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  std::vector<double> a(size), b(size), c(size, 0.0);
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  for (auto& x : a) x = uniform(random);
  for (auto& x : b) x = uniform(random);
  std::vector<double> seconds;
  for (int r = 0; r < repeats + 1; ++r) {  // the first call warms up (threads, pages) and is dropped
    const auto start = std::chrono::steady_clock::now();
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a.data(), n, b.data(), n, 0.0,
                c.data(), n);
    if (r > 0)
      seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  const double best_s = *std::min_element(seconds.begin(), seconds.end());
  return 2.0 * n * static_cast<double>(n) * n / best_s / 1e9;
}

double peak_gflops(exacheck::suite& suite, const exacheck::run_context& ctx, const std::string& dtype,
                   std::string& isa) {
  const auto points = suite.run(ctx, "flops", {{"dtype", dtype}, {"inner_iterations", 0}});
  const auto& point = points.at(0);
  if (point.skipped_reason) {
    isa = "skipped: " + *point.skipped_reason;
    return 0;
  }
  isa = point.derived.at("isa").get<std::string>() + (point.check.passed ? "" : " INCORRECT");
  return point.metrics.at(0).value * 1e3;
}

}  // namespace

int main(int argc, char** argv) {
  exacheck::register_backends();  // as the CLI's entry does: the suites make their kernels from the table
  const int threads = argc > 1 ? std::atoi(argv[1]) : static_cast<int>(std::thread::hardware_concurrency());
  const int n = argc > 2 ? std::atoi(argv[2]) : 2048;
  exacheck::run_context ctx;
  ctx.threads = threads;
  ctx.measurement.min_iterations = 10;
  ctx.measurement.min_time_s = 0.5;
  const auto suite = exacheck::make_flops_suite();
  std::string isa64, isa32, isa_bf16;
  const double fp64 = peak_gflops(*suite, ctx, "fp64", isa64);
  const double fp32 = peak_gflops(*suite, ctx, "fp32", isa32);
  const double bf16 = peak_gflops(*suite, ctx, "bf16", isa_bf16);
  openblas_set_num_threads(threads);
  const double dgemm = dgemm_gflops(n, 5);

  fmt::print("threads: {}\n", threads);
  fmt::print("flops fp64 peak: {:10.1f} GFLOP/s  ({})\n", fp64, isa64);
  fmt::print("flops fp32 peak: {:10.1f} GFLOP/s  ({})\n", fp32, isa32);
  fmt::print("flops bf16 peak: {:10.1f} GFLOP/s  ({})\n", bf16, isa_bf16);
  fmt::print("cblas_dgemm {}^3: {:10.1f} GFLOP/s  (OpenBLAS, best of 5)\n", n, dgemm);
  fmt::print("fp64 peak / DGEMM: {:.3f} (must be > 1)\n", fp64 / dgemm);
  fmt::print("fp32 / fp64 peak:  {:.3f} (expected ≈ 2)\n", fp32 / fp64);
  const bool ok = fp64 > dgemm && fp32 > 1.7 * fp64;
  fmt::print("{}\n", ok ? "OK" : "NOT MET");
  return ok ? 0 : 1;
}
