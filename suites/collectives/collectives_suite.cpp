#include "suites/collectives/collectives_suite.hpp"

#include <fmt/core.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "harness/rank_agreement.hpp"
#include "harness/statistics.hpp"
#include "kernels/cpu/mpi_collectives.hpp"
#include "kernels/cuda_backend.hpp"

namespace exacheck {
namespace collectives {

std::unique_ptr<collective_backend> make_collective_backend(const run_context& ctx) {
  if (ctx.backend == "cpu") return std::make_unique<mpi_collective_backend>(ctx.comm);
  if (ctx.backend == "cuda") return cuda::make_collective_backend(ctx);
  throw std::runtime_error(
      fmt::format("backend '{}' is not available for collectives in this build", ctx.backend));
}

}  // namespace collectives

namespace {
using namespace collectives;

// nccl-tests' default sweep (-b 8 -e … -f 2), capped at 1 MiB so that a default case stays short.
nlohmann::json default_sizes() {
  nlohmann::json sizes = nlohmann::json::array();
  for (std::size_t bytes = 8; bytes <= (std::size_t{1} << 20); bytes *= 2) sizes.push_back(bytes);
  return sizes;
}

std::string size_meaning(collective op) {
  switch (op) {
    case collective::allgather:
      return "the gathered output of each rank (each rank contributes bytes / ranks)";
    case collective::reduce_scatter:
      return "the input of each rank (each rank receives bytes / ranks)";
    case collective::alltoall:
      return "each rank's send buffer (bytes / ranks to each peer)";
    default:
      return "one rank's buffer";
  }
}

std::string factor_formula(collective op) {
  switch (op) {
    case collective::allreduce:
      return "2(n−1)/n";
    case collective::allgather:
    case collective::reduce_scatter:
    case collective::alltoall:
      return "(n−1)/n";
    default:
      return "1";
  }
}

bool has_root(collective op) {
  return op == collective::broadcast || op == collective::reduce;
}

double seconds_between(std::chrono::steady_clock::time_point start,
                       std::chrono::steady_clock::time_point end) {
  return std::chrono::duration<double>(end - start).count();
}

// Back-to-back calls per timed sample: enough for a sample of about k_min_sample_s, so that the ranks' skew
// leaving the barrier is negligible; one for calls that long already. Rank 0's estimate (the slowest rank's
// median of a few single calls) is used everywhere, so that every rank runs the same calls.
constexpr double k_min_sample_s = 100e-6;
constexpr int k_max_calls_per_sample = 1000;

int calls_per_sample(const run_context& ctx, collective_backend& backend) {
  std::vector<double> single;
  for (int i = 0; i < 6; ++i) {
    MPI_Barrier(ctx.comm);
    const auto start = std::chrono::steady_clock::now();
    backend.run();
    if (i > 0) single.push_back(seconds_between(start, std::chrono::steady_clock::now()));  // first: cold
  }
  double mine = median(single), slowest = 0;
  MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, ctx.comm);
  int calls = slowest >= k_min_sample_s
                  ? 1
                  : static_cast<int>(std::min<double>(std::ceil(k_min_sample_s / std::max(slowest, 1e-9)),
                                                      k_max_calls_per_sample));
  MPI_Bcast(&calls, 1, MPI_INT, 0, ctx.comm);
  return calls;
}

// Every rank's correctness, made global: the lowest wrong rank's detail is sent to all ranks.
correctness agree_on_correctness(const run_context& ctx, const collective_layout& layout,
                                 const std::optional<output_mismatch>& mine) {
  correctness check;
  check.checked = true;
  check.method =
      "every output element compared exactly with the known result of inputs "
      "w(r)·(1 + i mod 7) (w = r+1, or 1 + r mod 16 for reductions)";
  int my_wrong_rank = mine ? ctx.rank : ctx.ranks, first_wrong_rank = ctx.ranks, my_flag = mine ? 1 : 0,
      wrong_ranks = 0;
  MPI_Allreduce(&my_wrong_rank, &first_wrong_rank, 1, MPI_INT, MPI_MIN, ctx.comm);
  MPI_Allreduce(&my_flag, &wrong_ranks, 1, MPI_INT, MPI_SUM, ctx.comm);
  if (first_wrong_rank == ctx.ranks) {
    check.passed = true;
    check.detail =
        fmt::format("all {} elements of each of {} ranks' outputs exact", layout.recv_count, ctx.ranks);
    return check;
  }
  std::string detail;
  if (mine)
    detail = fmt::format(
        "rank {}: first wrong element at index {}: expected {}, got {} ({} of {} elements wrong)", ctx.rank,
        mine->index, mine->expected, mine->got, mine->wrong_elements, layout.recv_count);
  int length = static_cast<int>(detail.size());
  MPI_Bcast(&length, 1, MPI_INT, first_wrong_rank, ctx.comm);
  detail.resize(static_cast<std::size_t>(length));
  MPI_Bcast(detail.data(), length, MPI_CHAR, first_wrong_rank, ctx.comm);
  check.passed = false;
  check.detail = fmt::format("{}; {} of {} ranks wrong", detail, wrong_ranks, ctx.ranks);
  return check;
}

class collectives_suite final : public suite {
 public:
  explicit collectives_suite(collective_backend_factory factory) : m_factory(std::move(factory)) {}

  std::vector<std::string> benchmarks() const override {
    std::vector<std::string> names;
    for (collective op : all_collectives()) names.emplace_back(to_string(op));
    return names;
  }

  std::string description(std::string_view benchmark) const override {
    const collective op = parse(benchmark);
    return fmt::format(
        "MPI/NCCL {} over a message size sweep: time (median of the per-iteration slowest rank), "
        "algbw = bytes / time, busbw = algbw × {} (nccl-tests); bytes = {}; every element checked",
        benchmark, factor_formula(op), size_meaning(op));
  }

  std::vector<param_spec> parameters(std::string_view benchmark) const override {
    const collective op = parse(benchmark);
    std::vector<param_spec> specs = {
        {"bytes",
         param_type::bytes,
         "B",
         default_sizes(),
         {},
         1.0,
         {},
         true,
         fmt::format(
             "message size (nccl-tests' size): {}; rounded down to whole elements{}; "
             "a list or {{from, to, factor}} sweeps inside one launch",
             size_meaning(op),
             op == collective::allgather || op == collective::reduce_scatter || op == collective::alltoall
                 ? " per rank"
                 : "")},
        {"dtype",
         param_type::string,
         "",
         "fp32",
         {"int32", "fp32", "fp64"},
         {},
         {},
         false,
         "element type (reductions use MPI_SUM)"},
    };
    if (has_root(op))
      specs.push_back(
          {"root", param_type::integer, "", 0, {}, 0.0, {}, false, "the rank that sends/receives"});
    return specs;
  }

  std::vector<std::string> backends() const override {
    return cuda::built() ? std::vector<std::string>{"cpu", "cuda"} : std::vector<std::string>{"cpu"};
  }

  std::vector<point_result> run(const run_context& ctx, std::string_view benchmark,
                                const param_values& params) override {
    const collective op = parse(benchmark);
    const std::string dtype_name = params.value("dtype", std::string("fp32"));
    const auto dtype = element_type_from_string(dtype_name);
    if (!dtype) throw std::invalid_argument(fmt::format("{}: unknown dtype '{}'", benchmark, dtype_name));
    const int root = has_root(op) ? params.value("root", 0) : 0;
    const nlohmann::json sizes = params.contains("bytes") ? params.at("bytes") : default_sizes();

    std::unique_ptr<collective_backend> backend = m_factory(ctx);
    std::vector<point_result> points;
    for (const auto& size : sizes.is_array() ? sizes : nlohmann::json::array({sizes}))
      points.push_back(run_point(ctx, *backend, op, *dtype, size.get<std::size_t>(), root));
    return points;
  }

 private:
  static collective parse(std::string_view benchmark) {
    const auto op = collective_from_string(benchmark);
    if (!op) throw std::invalid_argument(fmt::format("collectives: unknown benchmark '{}'", benchmark));
    return *op;
  }

  point_result run_point(const run_context& ctx, collective_backend& backend, collective op,
                         element_type dtype, std::size_t requested_bytes, int root) const {
    point_result point;
    point.scope = metric_scope::global;
    point.params = {{"bytes", requested_bytes}, {"dtype", to_string(dtype)}};
    if (has_root(op)) point.params["root"] = root;

    // Every rank reaches the same decisions below from the same inputs, so skipped points need no messages.
    std::string why_not;
    const auto layout = layout_for_bytes(op, dtype, requested_bytes, ctx.ranks, root, &why_not);
    if (root < 0 || root >= ctx.ranks) {
      point.skipped_reason = fmt::format("root {} is not a rank of this {}-rank run", root, ctx.ranks);
      return point;
    }
    if (!layout) {
      point.skipped_reason = why_not;
      return point;
    }
    if (std::max(layout->send_count, layout->recv_count) > backend.max_elements()) {
      point.skipped_reason = fmt::format("{} B needs more elements than one {} call takes ({})",
                                         requested_bytes, backend.name(), backend.max_elements());
      return point;
    }
    if (layout->bytes != requested_bytes) {
      point.params["bytes"] = layout->bytes;  // what was moved; the plan's value stays visible next to it
      point.params["requested_bytes"] = requested_bytes;
    }

    backend.prepare(*layout);
    backend.fill_output(poison_value);
    if (op != collective::broadcast || ctx.rank == root) backend.write_input(make_inputs(*layout, ctx.rank));

    // Why a barrier before every timed sample: the figure we report is the slowest rank's time per sample,
    // which is only meaningful when all ranks start each sample together (the barrier itself is not timed).
    // Why several back-to-back calls per sample for small messages: ranks leave a barrier up to a few hundred
    // ns apart, which would inflate a sub-microsecond call by 20–30%; spread over a ≥ 100 µs sample the skew
    // vanishes and the time per call matches a bare back-to-back loop (osu_allreduce, nccl-tests). Each rank
    // times its calls with a steady clock around the blocking calls.
    const int calls = calls_per_sample(ctx, backend);
    const auto sample = [&] {
      MPI_Barrier(ctx.comm);
      const auto start = std::chrono::steady_clock::now();
      for (int call = 0; call < calls; ++call) backend.run();
      return seconds_between(start, std::chrono::steady_clock::now());
    };
    // Rank 0 decides when to stop; every rank follows, so all run the same samples (no rank left in a call).
    const stop_agreement follow_rank_0 = follow_rank_zero(ctx);
    // measure() sees whole samples, so its min/max time limits count real time; then per call.
    measure_outcome measured = measure(ctx.measurement, sample, follow_rank_0);
    for (double& seconds : measured.samples_s) seconds /= calls;

    // Every rank's per-iteration times, on every rank, so that the global metrics are identical everywhere.
    const auto iterations = static_cast<int>(measured.samples_s.size());
    std::vector<double> all_samples(measured.samples_s.size() * static_cast<std::size_t>(ctx.ranks));
    MPI_Allgather(measured.samples_s.data(), iterations, MPI_DOUBLE, all_samples.data(), iterations,
                  MPI_DOUBLE, ctx.comm);
    std::vector<std::vector<double>> per_rank(static_cast<std::size_t>(ctx.ranks));
    std::vector<double> rank_medians;
    for (int r = 0; r < ctx.ranks; ++r) {
      const auto begin = all_samples.begin() + static_cast<std::ptrdiff_t>(r) * iterations;
      per_rank[static_cast<std::size_t>(r)].assign(begin, begin + iterations);
      rank_medians.push_back(median(per_rank[static_cast<std::size_t>(r)]));
    }
    const std::vector<double> slowest = per_iteration_max(per_rank);
    const double time_s = median(slowest);
    add_metrics(point, op, *layout, time_s, rank_medians, calls);
    point.samples.push_back({"time", "s", measured.samples_s});
    point.samples.push_back({"time_max_over_ranks", "s", slowest});

    const summary spread = summarize(slowest);
    if (spread.cv > ctx.measurement.target_cv)
      point.warnings.push_back(fmt::format("noise target not reached: cv {:.3f} > {:.3f} after {} iterations",
                                           spread.cv, ctx.measurement.target_cv, iterations));

    if (ctx.verify) {
      const std::vector<double> output = backend.read_output();
      point.check = agree_on_correctness(ctx, *layout, find_output_mismatch(*layout, ctx.rank, output));
    } else {
      point.check = {false, false, "not verified", "verification disabled in the plan"};
    }
    return point;
  }

  static void add_metrics(point_result& point, collective op, const collective_layout& layout, double time_s,
                          const std::vector<double>& rank_medians_s, int calls_per_sample) {
    const std::string statistic = "median of per-iteration max over ranks";
    const double factor = bus_bandwidth_factor(op, layout.ranks);
    point.metrics.push_back(
        {"time", time_s * 1e6, "us", statistic, better::lower,
         calls_per_sample == 1
             ? std::string("slowest rank's time of one blocking call (untimed barrier before each call)")
             : fmt::format(
                   "slowest rank's time per blocking call, each sample {} back-to-back calls after an "
                   "untimed barrier",
                   calls_per_sample)});
    point.metrics.push_back({"algbw", algorithm_bandwidth_gbps(layout.bytes, time_s), "GB/s", statistic,
                             better::higher, "algorithm bandwidth: bytes / time, GB = 1e9 B (nccl-tests)"});
    if (factor > 0) {
      point.metrics.push_back(
          {"busbw", algorithm_bandwidth_gbps(layout.bytes, time_s) * factor, "GB/s", statistic,
           better::higher,
           fmt::format("bus bandwidth: algbw × {} = algbw × {:.4g} for n = {} (nccl-tests)",
                       factor_formula(op), factor, layout.ranks)});
    } else {
      // A factor of 0 (one rank) would report busbw 0, which reads as a failure: nothing crossed a bus.
      point.warnings.push_back(
          fmt::format("busbw not reported: {} on one rank moves nothing across a bus "
                      "(factor {} = 0)",
                      to_string(op), factor_formula(op)));
    }
    const auto [fastest, slowest] = std::minmax_element(rank_medians_s.begin(), rank_medians_s.end());
    const double mean = std::accumulate(rank_medians_s.begin(), rank_medians_s.end(), 0.0) /
                        static_cast<double>(rank_medians_s.size());
    point.metrics.push_back({"latency_min", *fastest * 1e6, "us", "min over ranks of each rank's median",
                             better::lower, "fastest rank's median time of one call"});
    point.metrics.push_back({"latency_avg", mean * 1e6, "us", "mean over ranks of each rank's median",
                             better::lower, "average over ranks of each rank's median time of one call"});
    point.metrics.push_back({"latency_max", *slowest * 1e6, "us", "max over ranks of each rank's median",
                             better::lower, "slowest rank's median time of one call"});
  }

  collective_backend_factory m_factory;
};

}  // namespace

std::unique_ptr<suite> make_collectives_suite() {
  return std::make_unique<collectives_suite>(collectives::make_collective_backend);
}

std::unique_ptr<suite> make_collectives_suite(collectives::collective_backend_factory factory) {
  return std::make_unique<collectives_suite>(std::move(factory));
}

}  // namespace exacheck
