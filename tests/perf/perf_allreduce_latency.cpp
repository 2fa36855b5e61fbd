// Small-message all-reduce latency through the collectives suite vs a bare MPI_Allreduce loop (the issue's
// target: within 10%). Run under MPI:
//   mpirun -np 2 build/tests/perf/perf_allreduce_latency [iterations=2000] [rounds=3]
// The bare loop is OSU-style (osu_allreduce): one barrier, then `iterations` back-to-back calls, each timed;
// latency = mean per call, averaged over ranks. The suite runs `iterations` timed samples (each an untimed
// barrier, then the harness's batch of back-to-back calls, at least 1 ms: harness/core/measure.hpp) and
// reports `time` (median over samples of the slowest rank's time per call) and `latency_avg` (each rank's
// median, averaged). Suite and bare loop alternate, `rounds` times per size; the median over rounds is
// printed, so drift on a shared machine hits both alike.
#include <fmt/core.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <numeric>
#include <vector>

#include "harness/core/statistics.hpp"
#include "kernels/register_backends.hpp"
#include "suites/collectives/collectives_suite.hpp"

namespace {

struct bare_figures {
  double mean_us = 0;    // OSU: mean per call, averaged over ranks
  double median_us = 0;  // median per call, averaged over ranks
};

bare_figures bare_allreduce(std::size_t bytes, int iterations, int warmup) {
  const std::size_t count = bytes / sizeof(float);
  std::vector<float> send(count, 1.0f), recv(count, 0.0f);
  for (int i = 0; i < warmup; ++i)
    MPI_Allreduce(send.data(), recv.data(), static_cast<int>(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  std::vector<double> samples(static_cast<std::size_t>(iterations));
  MPI_Barrier(MPI_COMM_WORLD);
  for (auto& sample : samples) {
    const auto start = std::chrono::steady_clock::now();
    MPI_Allreduce(send.data(), recv.data(), static_cast<int>(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    sample = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  double local[2] = {std::accumulate(samples.begin(), samples.end(), 0.0) / iterations,
                     exacheck::median(samples)};
  double sum[2] = {0, 0};
  MPI_Allreduce(local, sum, 2, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  return {sum[0] / ranks * 1e6, sum[1] / ranks * 1e6};
}

double metric_value(const exacheck::point_result& point, const std::string& name) {
  for (const auto& m : point.metrics)
    if (m.name == name) return m.value;
  return NAN;
}

double median_of(std::vector<double> values) {
  return exacheck::median(values);
}

}  // namespace

int main(int argc, char** argv) {
  exacheck::register_backends();  // as the CLI's entry does: the suites make their kernels from the table
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  exacheck::run_context ctx;
  MPI_Comm_rank(MPI_COMM_WORLD, &ctx.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ctx.ranks);
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  const int warmup = 100;
  // Exactly `iterations` timed calls in the suite too: no noise stop (cv target 0), no time stop.
  ctx.measurement.warmup_iterations = warmup;
  ctx.measurement.min_iterations = iterations;
  ctx.measurement.max_iterations = iterations;
  ctx.measurement.min_time_s = 0;
  ctx.measurement.max_time_s = 1e9;
  ctx.measurement.target_cv = 0;

  const auto suite = exacheck::make_collectives_suite();
  if (ctx.rank == 0) {
    fmt::print("all-reduce fp32 latency, {} ranks, {} iterations, median of {} rounds (us)\n", ctx.ranks,
               iterations, rounds);
    fmt::print("{:>6} {:>12} {:>12} {:>12} {:>12} {:>10} {:>10}\n", "bytes", "suite time", "suite lat_avg",
               "bare OSU", "bare median", "time/OSU", "lat/OSU");
  }
  double worst_ratio = 0;
  for (std::size_t bytes = 8; bytes <= 1024; bytes *= 2) {
    std::vector<double> suite_time, suite_latency, bare_mean, bare_median;
    bool correct = true;
    for (int round = 0; round < rounds; ++round) {
      const auto points =
          suite->run(ctx, "allreduce", {{"bytes", nlohmann::json::array({bytes})}, {"dtype", "fp32"}});
      correct = correct && points.at(0).check.passed;
      suite_time.push_back(metric_value(points.at(0), "time"));
      suite_latency.push_back(metric_value(points.at(0), "latency_avg"));
      const bare_figures bare = bare_allreduce(bytes, iterations, warmup);
      bare_mean.push_back(bare.mean_us);
      bare_median.push_back(bare.median_us);
    }
    const double time_us = median_of(suite_time), latency_us = median_of(suite_latency);
    const double osu_us = median_of(bare_mean), bare_median_us = median_of(bare_median);
    worst_ratio = std::max(worst_ratio, time_us / osu_us);
    if (ctx.rank == 0)
      fmt::print("{:>6} {:>12.3f} {:>12.3f} {:>12.3f} {:>12.3f} {:>10.3f} {:>10.3f}{}\n", bytes, time_us,
                 latency_us, osu_us, bare_median_us, time_us / osu_us, latency_us / osu_us,
                 correct ? "" : "  INCORRECT");
  }
  if (ctx.rank == 0) fmt::print("worst suite time / bare OSU latency: {:.3f} (target ≤ 1.10)\n", worst_ratio);
  MPI_Finalize();
  return 0;
}
