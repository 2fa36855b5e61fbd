// Where `exacheck report` spends its time on machines of thousands of GPUs: parse run.json, analyse, each
// renderer, write run.json back — on simulated runs of the acceptance plan (exacheck simulate, system
// h100-sxm) of 25, 250 and 525 nodes × 4 GPUs. Counters: GPUs, seconds per GPU (linear growth shows as a
// constant), run.json size, and the heap the parsed document holds (glibc mallinfo2).
//   build-host/tests/perf/perf_report_scale [--benchmark_filter=parse]
// The end-to-end figures (wall time and peak RSS of `exacheck report` as a child process, up to 10,000 GPUs)
// come from scripts/bench/report_scale.sh.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "harness/io/files.hpp"
#include "harness/plan/plan.hpp"
#include "harness/core/registry.hpp"
#include "harness/results/run_read.hpp"
#include "harness/simulate/simulate.hpp"
#include "reports/render/render.hpp"
#if __has_include("reports/analysis/aggregate.hpp")
#include "reports/analysis/aggregate.hpp"
#define EXACHECK_HAVE_ANALYSIS 1
#endif

namespace {
namespace fs = std::filesystem;

constexpr int k_gpus_per_node = 4;

// run.json text of a simulated run of `nodes` × 4 GPUs (analysed when this build has the analysis), made
// once per size.
const std::string& run_text(int nodes) {
  static std::map<int, std::string> texts;
  auto& text = texts[nodes];
  if (!text.empty()) return text;
  const fs::path source = EXACHECK_SOURCE_DIR;
  const auto p = exacheck::load_plan((source / "configs/plans/acceptance.yaml").string(),
                                     exacheck::registry::instance());
  const auto system = exacheck::load_system((source / "configs/systems/h100-sxm.yaml").string());
  const exacheck::synthetic_fleet fleet(nodes, k_gpus_per_node, 1, 3);
  const fs::path dir = fs::temp_directory_path() / ("exacheck-perf-report-" + std::to_string(nodes));
  auto run = exacheck::simulate_run(p, system, fleet, {"perf_report_scale"}, dir.string());
  fs::remove_all(dir);
#ifdef EXACHECK_HAVE_ANALYSIS
  exacheck::reports::analyse_run(run, exacheck::reports::outlier_rules{});
#endif
  text = run.dump();  // as exacheck writes run.json: compact
  return text;
}

const nlohmann::json& parsed_run(int nodes) {
  static std::map<int, nlohmann::json> runs;
  auto& run = runs[nodes];
  if (run.is_null()) run = nlohmann::json::parse(run_text(nodes));
  return run;
}

void add_counters(benchmark::State& state, int nodes) {
  const double gpus = nodes * k_gpus_per_node;
  state.counters["GPUs"] = gpus;
  state.counters["s_per_GPU"] =
      benchmark::Counter(gpus, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["run.json_MB"] = static_cast<double>(run_text(nodes).size()) / 1e6;
}

void BM_parse(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const std::string& text = run_text(nodes);
  double heap_mb = 0;
  for (auto _ : state) {
    const auto before = mallinfo2().uordblks;
    auto run = nlohmann::json::parse(text);
    heap_mb = static_cast<double>(mallinfo2().uordblks - before) / 1e6;
    benchmark::DoNotOptimize(run);
  }
  add_counters(state, nodes);
  state.counters["heap_MB"] = heap_mb;
}

// From the file through a std::istream (slower than from a string: a virtual call per character).
void BM_parse_istream(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const fs::path file = fs::temp_directory_path() / ("exacheck-perf-run-" + std::to_string(nodes) + ".json");
  {
    std::ofstream out(file);
    out << run_text(nodes);
  }
  for (auto _ : state) {
    std::ifstream in(file);
    auto run = nlohmann::json::parse(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    benchmark::DoNotOptimize(run);
  }
  fs::remove(file);
  add_counters(state, nodes);
}

// As `exacheck report` reads it: from the file through a 1 MiB buffer (the text never held whole), without
// the rank records' members no report reads and without the old analysis (harness/results/run_read.hpp).
void BM_parse_for_report(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const fs::path file = fs::temp_directory_path() / ("exacheck-perf-run-" + std::to_string(nodes) + ".json");
  {
    std::ofstream out(file);
    out << run_text(nodes);
  }
  double heap_mb = 0;
  for (auto _ : state) {
    const auto before = mallinfo2().uordblks;
    auto run = exacheck::read_run_for_report(file.string());
    heap_mb = static_cast<double>(mallinfo2().uordblks - before) / 1e6;
    benchmark::DoNotOptimize(run);
  }
  fs::remove(file);
  add_counters(state, nodes);
  state.counters["heap_MB"] = heap_mb;
}

#ifdef EXACHECK_HAVE_ANALYSIS
// Counter analysis_heap_MB: the heap run["analysis"] holds as analyse_run builds it.
void BM_analyse(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  double heap_mb = 0;
  for (auto _ : state) {
    state.PauseTiming();
    nlohmann::json run = parsed_run(nodes);
    run.erase("analysis");
    const auto before = mallinfo2().uordblks;
    state.ResumeTiming();
    exacheck::reports::analyse_run(run, exacheck::reports::outlier_rules{});
    state.PauseTiming();
    heap_mb = static_cast<double>(mallinfo2().uordblks - before) / 1e6;
    benchmark::DoNotOptimize(run);
    run = nullptr;  // freed outside the timing
    state.ResumeTiming();
  }
  add_counters(state, nodes);
  state.counters["analysis_heap_MB"] = heap_mb;
}
#endif

template <void (*render)(const nlohmann::json&, std::ostream&)>
void BM_render(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const auto& run = parsed_run(nodes);
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::ostringstream out;
    render(run, out);
    bytes = out.tellp();
    benchmark::DoNotOptimize(bytes);
  }
  add_counters(state, nodes);
  state.counters["output_MB"] = static_cast<double>(bytes) / 1e6;
}

void BM_dump(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const auto& run = parsed_run(nodes);
  for (auto _ : state) {
    std::string text = run.dump();
    benchmark::DoNotOptimize(text);
  }
  add_counters(state, nodes);
}

void sizes(benchmark::internal::Benchmark* b) {
  b->Arg(25)->Arg(250)->Arg(525)->Unit(benchmark::kMillisecond)->ArgName("nodes");
}

BENCHMARK(BM_parse)->Apply(sizes);
BENCHMARK(BM_parse_istream)->Apply(sizes);
BENCHMARK(BM_parse_for_report)->Apply(sizes);
#ifdef EXACHECK_HAVE_ANALYSIS
BENCHMARK(BM_analyse)->Apply(sizes);
#endif
BENCHMARK(BM_render<exacheck::reports::render_markdown>)->Name("BM_render_markdown")->Apply(sizes);
BENCHMARK(BM_render<exacheck::reports::render_html>)->Name("BM_render_html")->Apply(sizes);
BENCHMARK(BM_render<exacheck::reports::render_junit>)->Name("BM_render_junit")->Apply(sizes);
BENCHMARK(BM_render<exacheck::reports::render_csv>)->Name("BM_render_csv")->Apply(sizes);
BENCHMARK(BM_render<exacheck::reports::render_prometheus>)->Name("BM_render_prometheus")->Apply(sizes);
BENCHMARK(BM_dump)->Apply(sizes);

}  // namespace

BENCHMARK_MAIN();
