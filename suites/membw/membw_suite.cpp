#include "suites/membw/membw_suite.hpp"

#include <fmt/core.h>
#include <mpi.h>

#include <limits>
#include <optional>
#include <stdexcept>

#include "harness/core/backends.hpp"
#include "harness/core/rank_agreement.hpp"
#include "harness/core/statistics.hpp"
#include "harness/core/units.hpp"  // format_bytes
#include "suites/membw/membw_simulate.hpp"
#include "suites/membw/membw_sizing.hpp"
#include "suites/membw/stream_oracle.hpp"

namespace exacheck {
namespace membw {

const stream_kernel_info& kernel_info(stream_kernel kernel) {
  for (const auto& info : stream_kernels)
    if (info.kernel == kernel) return info;
  throw std::invalid_argument("membw: unknown STREAM kernel");
}

}  // namespace membw

namespace {
using namespace membw;

// How a kernel's batches were timed, for its metric's description: the backend's device time where it has one
// (events on its stream around the kernel's launches: launch and synchronisation latency stay out), else the
// host clock around the blocking calls; and the iterations of its batches after the first two.
std::string timing_description(const batch_sizer& sizer) {
  std::string text =
      sizer.clock() == batch_clock::device
          ? "timed by device events recorded on the backend's stream around each kernel's launches"
          : "timed by a steady clock around each blocking call";
  if (sizer.iterations() > 1)
    text += fmt::format(", from the third iteration in batches of {} back-to-back calls (time / calls)",
                        sizer.iterations());
  return text;
}

class membw_suite final : public suite_with_backends<stream_backend> {
 public:
  std::vector<std::string> benchmarks() const override { return {"membw"}; }

  std::string description(std::string_view) const override {
    return "STREAM memory bandwidth on every rank: copy, scale, add, triad, dot over three arrays at least "
           "4× "
           "the last-level cache; GB/s = arrays moved × array bytes / best time excluding the first "
           "iteration (cuda: each kernel timed by CUDA events on its stream; cpu: a steady clock); "
           "verified by replaying the kernels on scalars";
  }

  std::vector<param_spec> parameters(std::string_view) const override {
    return {
        {"array_bytes",
         param_type::bytes,
         "B",
         0,
         {},
         0.0,
         max_bytes_per_rank / 4,  // 16 TiB: the three arrays stay within the memory of any node
         false,
         "bytes per array per rank (three arrays); 0 = auto: 4 × the node's last-level cache (sysfs; 32 MiB "
         "assumed when unreadable) split over the ranks on the node"},
        {"dtype", param_type::string, "", "fp64", {"fp64", "fp32"}, {}, {}, false, "array element type"},
        {"scalar",
         param_type::number,
         "",
         0.4,
         {},
         {},
         {},
         false,
         "the scalar of scale and triad (BabelStream's 0.4)"},
        {"ntimes",
         param_type::integer,
         "iterations",
         20,
         {},
         2.0,
         max_int32_value,
         false,
         "iterations of the whole copy → scale → add → triad → dot sequence; the first is excluded (STREAM)"},
    };
  }

  std::vector<metric_spec> metrics(std::string_view) const override {
    std::vector<metric_spec> specs;
    for (const auto& info : stream_kernels)
      specs.push_back({.name = fmt::format("{}_bandwidth", info.label),
                       .unit = "GB/s",
                       .better_is = better::higher,
                       .statistic = "best_excluding_first",
                       .scope = metric_scope::rank,
                       .description = fmt::format("STREAM {} ({}): {} arrays × array bytes / best time "
                                                  "excluding the first iteration",
                                                  info.label, info.formula, info.arrays_moved)});
    return specs;
  }

  std::vector<point_result> run(const run_context& ctx, std::string_view,
                                const param_values& params) override {
    const std::string dtype = params.value("dtype", std::string("fp64"));
    const auto requested_bytes = params.value("array_bytes", std::uint64_t{0});
    const double scalar = params.value("scalar", 0.4);
    const int ntimes = std::max(params.value("ntimes", 20), 1);

    point_result point;
    point.scope = metric_scope::rank;
    point.params = params;
    std::unique_ptr<stream_backend> backend = make_backend<stream_backend>(ctx, "membw");
    if (const auto reason = backend->unsupported_reason(dtype)) {
      point.skipped_reason = *reason;
      return {point};
    }
    // The plan's bound again: a worker never trusts its case file (3 × 2^64 − 1 bytes once wrapped around).
    if (static_cast<double>(requested_bytes) > max_bytes_per_rank / 4)
      throw std::invalid_argument(fmt::format(
          "membw: array_bytes {} is above {} per array (three arrays within the 64 TiB any node holds)",
          requested_bytes, format_bytes(static_cast<std::uint64_t>(max_bytes_per_rank / 4))));
    const std::uint64_t element_bytes = dtype == "fp32" ? 4 : 8;
    std::string size_source = "array_bytes";
    std::uint64_t array_bytes = requested_bytes;
    const auto backend_choice = array_bytes == 0 ? backend->auto_array_bytes() : std::nullopt;
    if (backend_choice) {
      array_bytes = backend_choice->first;
      size_source = backend_choice->second;
    } else if (array_bytes == 0) {
      const last_level_cache llc = read_last_level_cache();
      array_bytes = auto_array_bytes(llc.total_bytes(), ctx.local_ranks, element_bytes);
      size_source = llc.total_bytes() > 0
                        ? fmt::format("auto: 4 × L{} {} × {} instance(s) / {} rank(s) on the node", llc.level,
                                      format_bytes(llc.instance_bytes), llc.instances, ctx.local_ranks)
                        : fmt::format("auto: LLC unreadable, 4 × {} assumed / {} rank(s) on the node",
                                      format_bytes(fallback_llc_bytes), ctx.local_ranks);
      if (llc.total_bytes() == 0)
        point.warnings.push_back("last-level cache size unreadable from sysfs: arrays sized for 32 MiB");
    }
    const std::uint64_t elements = std::max<std::uint64_t>(array_bytes / element_bytes, 1);
    // The size actually measured, beside the one asked for (0 = auto): shown, but the point stays the one the
    // plan asked for, whatever the cache sizing gave on this node tonight.
    point.derived["array_bytes_used"] = elements * element_bytes;
    backend->init_arrays(elements, dtype, initial_a, initial_b, initial_c);

    // STREAM's loop: exactly ntimes iterations, through the one measurement loop so that max_time still caps
    // it (never a hang) — no warm-up (the first iteration is the warm-up, excluded from the statistic) and a
    // noise target that is never met.
    measure_settings settings;
    settings.warmup_iterations = 0;
    settings.min_iterations = settings.max_iterations = ntimes;
    settings.min_time_s = 0;
    settings.max_time_s = ctx.measurement.max_time_s;
    settings.target_cv = -1;
    const bool mpi = mpi_active(ctx);
    // Ranks of a node share its memory: each kernel starts on every rank at once (a barrier before it, as in
    // the MPI version of STREAM), and all ranks stop together as soon as one must (max_time).
    const stop_agreement any_done = stop_when_any_rank_must(ctx);
    std::vector<std::vector<double>> times(stream_kernels.size());
    for (auto& series : times) series.reserve(static_cast<std::size_t>(ntimes));
    double last_dot = 0;
    stream_backend& kernels = *backend;
    // Each kernel its own batches (the harness's size for it, rank 0's on every rank): calling one kernel
    // again leaves the arrays as one call did, so the replay below still counts iterations.
    std::vector<batch_sizer> sizers(stream_kernels.size(),
                                    batch_sizer(mpi ? batch_size_of_rank_zero(ctx) : batch_agreement{}));
    const measure_outcome measured = measure(
        settings,
        [&] {
          double iteration_s = 0;
          for (std::size_t k = 0; k < stream_kernels.size(); ++k) {
            if (mpi) MPI_Barrier(ctx.comm);
            const stream_kernel kernel = stream_kernels[k].kernel;
            times[k].push_back(sizers[k].run([&](int calls) {
              const stream_batch batch = kernels.time_batch(kernel, calls, scalar);
              if (kernel == stream_kernel::dot) last_dot = batch.dot_sum;
              return batch.time;
            }));
            iteration_s += sizers[k].last_run_s();
          }
          return iteration_s;
        },
        any_done);
    const int iterations = static_cast<int>(measured.samples_s.size());
    if (iterations < ntimes)
      point.warnings.push_back(fmt::format("stopped at max_time ({} s) after {} of {} iterations",
                                           settings.max_time_s, iterations, ntimes));

    for (std::size_t k = 0; k < stream_kernels.size(); ++k) {
      const auto& info = stream_kernels[k];
      const double best_s = min_excluding_first(times[k]);
      const auto bytes = stream_bytes(info.kernel, elements, element_bytes);
      point.metrics.push_back(
          {fmt::format("{}_bandwidth", info.label), static_cast<double>(bytes) / best_s / 1e9, "GB/s",
           "best_excluding_first", better::higher,
           fmt::format(
               "{} ({}): {} arrays × {} B / best time excluding the first of {} iterations; {} ({}); {}; {}",
               info.label, info.formula, info.arrays_moved, elements * element_bytes, iterations, dtype,
               size_source, timing_description(sizers[k]), backend->implementation())});
      point.samples.push_back({fmt::format("{}_time", info.label), "s", times[k]});
    }

    if (ctx.verify) {
      std::vector<double> a, b, c;
      backend->read_arrays(a, b, c);
      point.check =
          check_stream_results(dtype, replay_stream(dtype, scalar, iterations, elements), a, b, c, last_dot);
    } else {
      point.check = not_verified_by_plan();
    }
    return {point};
  }

  std::vector<point_result> simulate(const simulation_input& in) const override { return simulate_membw(in); }
};

}  // namespace

std::unique_ptr<suite> make_membw_suite() {
  return std::make_unique<membw_suite>();
}

}  // namespace exacheck
