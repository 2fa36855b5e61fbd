// The analysis of a run at fleet scale (reports/analysis/aggregate.hpp): analyse_run on a run.json of N GPUs (4 per
// node) × 50 rank-scoped metrics (10 cases × 5 points), one GPU planted 25% slow. The target: well under a
// second at 2,100 GPUs, so that `exacheck report` stays interactive. Run:
//   build/tests/perf/perf_aggregation [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <memory>
#include <random>

#include "../support/rank_records.hpp"
#include "reports/analysis/aggregate.hpp"

namespace {

using nlohmann::json;

json fleet_run(int gpus) {
  constexpr int gpus_per_node = 4, cases = 10, points = 5;
  std::mt19937 random(42);
  std::normal_distribution<double> noise(1.0, 0.01);
  json run = {{"schema", "exacheck/run/v2"},
              {"interrupted", false},
              {"complete", true},
              {"system", {{"name", "h100-sxm"}, {"size", {{"nodes", 525}, {"gpus_per_node", 4}}}}},
              {"cases", json::array()}};
  for (int c = 0; c < cases; ++c) {
    json results = json::array(), checks = json::array();
    for (int p = 0; p < points; ++p) {
      const json params = {{"dtype", "bf16"}, {"m", 8192}, {"n", 8192}, {"k", 8192 + p}};
      json ranks = json::array();
      for (int r = 0; r < gpus; ++r) {
        const double value = (c == 0 && r == 66 ? 600.0 : 800.0) * noise(random);
        ranks.push_back(
            {{"rank", r},
             {"host", "node" + std::to_string(r / gpus_per_node)},
             {"local_rank", r % gpus_per_node},
             {"device",
              {{"kind", "gpu"},
               {"index", r % gpus_per_node},
               {"name", "NVIDIA H100 80GB HBM3"},
               {"uuid", "GPU-" + std::to_string(1000000 + r) + "-aaaa-bbbb-cccc-dddddddddddd"},
               {"serial", std::to_string(1324000000 + r)}}},
             {"metrics",
              {{{"name", "tflops"}, {"value", value}, {"unit", "TFLOP/s"}, {"statistic", "median"}}}}});
      }
      results.push_back(exacheck::testing::rank_point(params, "rank", std::move(ranks)));
      checks.push_back(
          {{"metric", "tflops"}, {"params", params}, {"aggregation", "worst rank"}, {"outcome", "PASS"}});
    }
    run["cases"].push_back({{"id", "gemm-" + std::to_string(c)},
                            {"name", "gemm" + std::to_string(c)},
                            {"benchmark", "gemm"},
                            {"ranks", gpus},
                            {"results", std::move(results)},
                            {"checks", std::move(checks)}});
  }
  return run;
}

void analyse_fleet(benchmark::State& state) {
  const json input = fleet_run(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    auto run = std::make_unique<json>(input);
    state.ResumeTiming();
    exacheck::reports::analyse_run(*run, {});
    benchmark::DoNotOptimize(*run);
    state.PauseTiming();
    run.reset();  // freeing the copy is not part of the analysis
    state.ResumeTiming();
  }
  state.counters["gpu_metrics"] = static_cast<double>(state.range(0) * 50);
}
BENCHMARK(analyse_fleet)->Arg(64)->Arg(2100)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
