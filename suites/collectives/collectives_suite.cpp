#include "suites/collectives/collectives_suite.hpp"

#include <fmt/core.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "harness/core/backends.hpp"
#include "harness/core/rank_agreement.hpp"
#include "harness/core/statistics.hpp"
#include "harness/node/rank_groups.hpp"
#include "suites/collectives/collective_params.hpp"
#include "suites/collectives/collective_ranks.hpp"
#include "suites/collectives/collectives_simulate.hpp"

namespace exacheck {
namespace {
using namespace collectives;

class collectives_suite final : public suite_with_backends<collective_backend> {
 public:
  std::vector<std::string> benchmarks() const override {
    std::vector<std::string> names;
    for (collective op : all_collectives()) names.emplace_back(to_string(op));
    return names;
  }

  std::string description(std::string_view benchmark) const override {
    return collective_description(parse(benchmark));
  }

  std::vector<param_spec> parameters(std::string_view benchmark) const override {
    return collective_parameters(parse(benchmark));
  }

  std::vector<metric_spec> metrics(std::string_view benchmark) const override {
    return collective_metrics(parse(benchmark));
  }

  std::vector<point_result> run(const run_context& ctx, std::string_view benchmark,
                                const param_values& params) override {
    const std::string groups_name = params.value("groups", std::string("all"));
    const auto groups = group_kind_from_string(groups_name);
    if (!groups) throw std::invalid_argument(fmt::format("{}: unknown groups '{}'", benchmark, groups_name));
    if (*groups == group_kind::all) return run_on(ctx, benchmark, params);
    // Independent copies, one per group: every rank plans the same rounds from the same gathered hosts.
    const auto rounds = plan_rank_groups(*groups, gather_hosts(ctx));
    std::vector<point_result> points;
    for (const auto& round : rounds) {
      // Rounds never overlap: a pair of round 2 must not share the fabric with one of round 1 still
      // measuring.
      MPI_Barrier(ctx.comm);
      const group_communicator group_comm(ctx.comm, round, ctx.rank);
      const rank_group* group = group_comm.group();
      if (!group) continue;  // this node sits the round out (recorded by the groups that ran)
      run_context in_group = ctx;
      in_group.comm = group_comm.comm();
      MPI_Comm_rank(in_group.comm, &in_group.rank);
      MPI_Comm_size(in_group.comm, &in_group.ranks);
      in_group.launch_ranks.clear();
      for (const int r : group->ranks) in_group.launch_ranks.push_back(launch_rank(ctx, r));
      const nlohmann::json record = group_record(*group, round.sitting_out);
      for (auto& point : run_on(in_group, benchmark, params)) {
        point.params["groups"] = groups_name;
        point.params["group"] = group->id;
        point.group = record;
        point.group["ranks"] = in_group.launch_ranks;
        points.push_back(std::move(point));
      }
    }
    return points;
  }

  std::vector<point_result> simulate(const simulation_input& in) const override {
    return simulate_collective(in);
  }

 private:
  std::vector<point_result> run_on(const run_context& ctx, std::string_view benchmark,
                                   const param_values& params) {
    const collective op = parse(benchmark);
    const std::string dtype_name = params.value("dtype", std::string("fp32"));
    const auto dtype = element_type_from_string(dtype_name);
    if (!dtype) throw std::invalid_argument(fmt::format("{}: unknown dtype '{}'", benchmark, dtype_name));
    point_options options;
    options.root = has_root(op) ? params.value("root", 0) : 0;
    options.in_place = params.value("in_place", false);
    options.cuda_graph = params.value("cuda_graph", false);
    const nlohmann::json sizes = params.contains("bytes") ? params.at("bytes") : default_sizes();

    const std::vector<std::string> hosts = gather_hosts(ctx);
    std::vector<point_result> points;
    // Decided before the backend exists: NCCL's communicator setup is what fails when ranks share a GPU, and
    // every rank decides alike from the gathered bus ids (none enters ncclCommInitRank while others skip).
    if (ctx.backend == "cuda") {
      if (const auto shared = nccl_shared_gpu_reason(hosts, gather_gpu_bus_ids(ctx))) {
        for (const auto& size : sizes.is_array() ? sizes : nlohmann::json::array({sizes})) {
          points.push_back(make_point(op, *dtype, size.get<std::size_t>(), options));
          points.back().skipped_reason = *shared;
        }
        return points;
      }
    }
    std::unique_ptr<collective_backend> backend = make_backend<collective_backend>(ctx, benchmark);
    for (const auto& size : sizes.is_array() ? sizes : nlohmann::json::array({sizes}))
      points.push_back(run_point(ctx, *backend, op, *dtype, size.get<std::size_t>(), options, hosts));
    return points;
  }

  struct point_options {
    int root = 0;
    bool in_place = false;
    bool cuda_graph = false;
  };

  static collective parse(std::string_view benchmark) {
    const auto op = collective_from_string(benchmark);
    if (!op) throw std::invalid_argument(fmt::format("collectives: unknown benchmark '{}'", benchmark));
    return *op;
  }

  // A point of `requested_bytes` with its identity (params) and nothing measured yet.
  static point_result make_point(collective op, element_type dtype, std::size_t requested_bytes,
                                 const point_options& options) {
    point_result point;
    point.scope = metric_scope::global;
    point.params = {{"bytes", requested_bytes},
                    {"dtype", to_string(dtype)},
                    {"in_place", options.in_place},
                    {"cuda_graph", options.cuda_graph}};
    if (has_root(op)) point.params["root"] = options.root;
    return point;
  }

  point_result run_point(const run_context& ctx, collective_backend& backend, collective op,
                         element_type dtype, std::size_t requested_bytes, const point_options& options,
                         const std::vector<std::string>& hosts) const {
    const int root = options.root;
    point_result point = make_point(op, dtype, requested_bytes, options);

    // Every rank reaches the same decisions below from the same inputs, so skipped points need no messages
    // (the backend's own refusal is made global by agree_on_skip).
    std::string why_not;
    auto layout = layout_for_bytes(op, dtype, requested_bytes, ctx.ranks, root, &why_not);
    if (root < 0 || root >= ctx.ranks) {
      point.skipped_reason = fmt::format("root {} is not a rank of this {}-rank run", root, ctx.ranks);
      return point;
    }
    if (!layout) {
      point.skipped_reason = why_not;
      return point;
    }
    layout->in_place = options.in_place;
    if (std::max(layout->send_count, layout->recv_count) > backend.max_elements()) {
      point.skipped_reason = fmt::format("{} B needs more elements than one {} call takes ({})",
                                         requested_bytes, backend.name(), backend.max_elements());
      return point;
    }
    if (auto refused = agree_on_skip(ctx, backend.cannot_run(*layout))) {
      point.skipped_reason = std::move(refused);
      return point;
    }
    // What was moved (rounded to whole elements, and for chunked collectives to the rank count): algbw and
    // busbw are computed from it, but the point stays the plan's size at any rank count.
    point.derived["bytes"] = layout->bytes;
    for (auto& note : backend.notes(*layout)) point.warnings.push_back(std::move(note));
    const bool graph = options.cuda_graph && backend.supports_graphs();
    if (options.cuda_graph && !graph)
      point.warnings.push_back(fmt::format(
          "cuda_graph: true ignored: the {} backend has no CUDA graphs; calls were issued one by one",
          backend.name()));

    backend.prepare(*layout);
    // Poison, then the inputs; broadcast's input exists on the root only.
    const auto load_inputs = [&] {
      backend.fill_output(poison_value);
      if (op != collective::broadcast || ctx.rank == root)
        backend.write_input(make_inputs(*layout, ctx.rank));
    };
    load_inputs();

    // Why a barrier before every timed sample: the figure we report is the slowest rank's time per sample,
    // which is only meaningful when all ranks start each sample together (the barrier itself is not timed).
    // Why several back-to-back calls per sample for small messages (the harness's batches, rank 0's size for
    // every rank): ranks leave a barrier up to a few hundred ns apart, which would inflate a sub-microsecond
    // call by 20–30%; spread over a batch of a millisecond the skew vanishes and the time per call matches a
    // bare back-to-back loop (osu_allreduce, nccl-tests). Each rank times its own calls (backend.time_batch:
    // the host clock around blocking MPI calls, CUDA events on the stream for NCCL, with a CUDA graph of the
    // calls when asked).
    const timed_batch batch = [&](int calls) {
      MPI_Barrier(ctx.comm);
      return backend.time_batch(calls, graph);
    };
    // Rank 0 decides when to stop; every rank follows, so all run the same samples (no rank left in a call).
    const stop_agreement follow_rank_0 = follow_rank_zero(ctx);
    const measure_outcome measured =
        measure_batches(ctx.measurement, batch, follow_rank_0, batch_size_of_rank_zero(ctx));
    const int calls = measured.batch_iterations;

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
    add_metrics(point, op, *layout, time_s, rank_medians, calls, graph);
    slowest_rank_record slowest_rank = find_slowest_rank(rank_medians, hosts);
    slowest_rank.rank = launch_rank(ctx, slowest_rank.rank);  // a group's rank as the launch numbers it
    add_slowest_rank(point, slowest_rank);
    point.samples.push_back({"time", "s", measured.samples_s});
    point.samples.push_back({"time_max_over_ranks", "s", slowest});

    const summary spread = summarize(slowest);
    if (spread.cv > ctx.measurement.target_cv)
      point.warnings.push_back(fmt::format("noise target not reached: cv {:.3f} > {:.3f} after {} iterations",
                                           spread.cv, ctx.measurement.target_cv, iterations));

    if (ctx.verify) {
      // Out of place, the output of the last timed call is checked. In place, the timed calls consumed
      // their own inputs (each call's result is the next one's input), so the inputs are written again and
      // one more call, issued the same way (a one-call graph with cuda_graph), is checked.
      if (layout->in_place) {
        load_inputs();
        MPI_Barrier(ctx.comm);
        backend.time_batch(1, graph);
      }
      const std::vector<double> output = backend.read_output();
      point.check = agree_on_correctness(ctx, *layout, find_output_mismatch(*layout, ctx.rank, output),
                                         correctness_method(dtype, layout->in_place));
    } else {
      point.check = not_verified_by_plan();
    }
    return point;
  }

  // The slowest rank by name, as data (point.slowest_rank), as a metric the reports show, and as a warning
  // when it is more than 10% slower than the median rank.
  static void add_slowest_rank(point_result& point, const slowest_rank_record& slowest) {
    point.metrics.push_back(
        {"slowest_rank_ratio", slowest.ratio, "x", "max over ranks of each rank's median / their median",
         better::lower,
         fmt::format("slowest rank {} on {}: median {:.4g} us vs {:.4g} us for the median rank", slowest.rank,
                     slowest.host, slowest.median_s * 1e6, slowest.median_of_rank_medians_s * 1e6)});
    if (slowest.ratio > k_slow_rank_warning_ratio)
      point.warnings.push_back(
          fmt::format("slow rank: rank {} on {} took {:.0f}% longer per call than the median rank "
                      "(median {:.4g} us vs {:.4g} us)",
                      slowest.rank, slowest.host, (slowest.ratio - 1) * 100, slowest.median_s * 1e6,
                      slowest.median_of_rank_medians_s * 1e6));
    point.slowest_rank = slowest;
  }

  static void add_metrics(point_result& point, collective op, const collective_layout& layout, double time_s,
                          const std::vector<double>& rank_medians_s, int calls_per_sample, bool graph) {
    const std::string statistic = "median of per-iteration max over ranks";
    const double factor = bus_bandwidth_factor(op, layout.ranks);
    const std::string issued =
        graph ? fmt::format(", launched as one CUDA graph of {} calls", calls_per_sample) : std::string();
    point.metrics.push_back(
        {"time", time_s * 1e6, "us", statistic, better::lower,
         calls_per_sample == 1
             ? fmt::format("slowest rank's time of one blocking call (untimed barrier before each call){}",
                           issued)
             : fmt::format(
                   "slowest rank's time per blocking call, each sample {} back-to-back calls after an "
                   "untimed barrier{}",
                   calls_per_sample, issued)});
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
};

}  // namespace

std::unique_ptr<suite> make_collectives_suite() {
  return std::make_unique<collectives_suite>();
}

}  // namespace exacheck
