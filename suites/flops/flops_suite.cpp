#include "suites/flops/flops_suite.hpp"

#include <fmt/core.h>
#include <mpi.h>

#include <cmath>
#include <functional>
#include <stdexcept>

#include "harness/core/backends.hpp"
#include "harness/core/rank_agreement.hpp"
#include "harness/core/statistics.hpp"
#include "suites/flops/flops_calibration.hpp"
#include "suites/flops/flops_peaks.hpp"
#include "suites/flops/flops_simulate.hpp"
#include "suites/flops/fma_chain.hpp"
#include "suites/flops/peak_per_clock.hpp"

namespace exacheck {
namespace {
using namespace flops;

// Steps per chain for about flops::target_run_s per run (flops_calibration.hpp), agreed as the maximum over
// ranks so that every rank does the same work and records the same parameters.
std::uint64_t agreed_steps(const run_context& ctx, flops_backend& backend, std::string_view dtype,
                           std::string_view engine) {
  std::uint64_t steps = calibrate_steps([&](std::uint64_t n) {
    backend.prepare(dtype, engine, n);
    return backend.time_batch(1).seconds;
  });
  if (mpi_active(ctx)) {
    unsigned long long mine = steps, agreed = 0;
    MPI_Allreduce(&mine, &agreed, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, ctx.comm);
    steps = agreed;
  }
  return steps;
}

correctness check_chains(std::uint64_t steps, const chain_results& results) {
  correctness check;
  check.checked = true;
  check.method = fmt::format(
      "every chain's final value compared exactly with a scalar replay of the same recurrence ({} in {}) in "
      "the "
      "same precision (fma_chain.hpp)",
      to_string(results.recurrence.kind), results.recurrence.precision);
  const auto expected_size = static_cast<std::size_t>(results.threads) *
                             static_cast<std::size_t>(results.accumulators) *
                             static_cast<std::size_t>(results.lanes);
  if (results.final_values.empty() || results.final_values.size() != expected_size) {
    check.passed = false;
    check.detail =
        fmt::format("the backend returned {} chain values for {} threads × {} accumulators × {} lanes",
                    results.final_values.size(), results.threads, results.accumulators, results.lanes);
    return check;
  }
  std::size_t wrong = 0, i = 0;
  for (int thread = 0; thread < results.threads; ++thread)
    for (int accumulator = 0; accumulator < results.accumulators; ++accumulator)
      for (int lane = 0; lane < results.lanes; ++lane, ++i) {
        const double got = results.final_values[i];
        const double expected = expected_chain_value(results.recurrence, thread, accumulator, lane, steps);
        if (got == expected) continue;  // NaN on either side is wrong
        if (wrong++ == 0)
          check.detail = fmt::format("thread {} accumulator {} lane {}: expected {}, got {}", thread,
                                     accumulator, lane, expected, got);
      }
  check.passed = wrong == 0;
  if (wrong > 0)
    check.detail += fmt::format(" ({} of {} chains wrong)", wrong, expected_size);
  else
    check.detail = fmt::format("all {} chains exact after {} steps", expected_size, steps);
  return check;
}

// sm_clock_mhz and pct_of_peak_at_clock from the clocks the device measured in each timed run.
void add_clock_metrics(point_result& point, const std::vector<double>& clocks_mhz, const run_clock& last,
                       std::string_view dtype, std::string_view engine, double achieved_ops_per_s) {
  if (clocks_mhz.empty()) return;
  const double clock_mhz = median(clocks_mhz);
  point.metrics.push_back({"sm_clock_mhz", clock_mhz, "MHz", "median", better::higher,
                           "SM clock during the timed kernel: clock64() cycles / %globaltimer ns of each "
                           "block's timed loop, median "
                           "over blocks, then over iterations"});
  point.samples.push_back({"sm_clock", "MHz", clocks_mhz});
  const auto per_clock = peak_ops_per_clock_per_sm(last.compute_capability, dtype, engine);
  if (!per_clock) {
    point.warnings.push_back(
        fmt::format("no pct_of_peak_at_clock: no per-clock peak for {} on {} at compute "
                    "capability {}.{} (suites/flops/peak_per_clock.hpp)",
                    dtype, engine, last.compute_capability / 10, last.compute_capability % 10));
    return;
  }
  point.metrics.push_back(
      {"pct_of_peak_at_clock",
       pct_of_peak_at_clock(achieved_ops_per_s, last.multiprocessors, *per_clock, clock_mhz), "%", "median",
       better::higher,
       fmt::format("achieved / ({} SMs × {:g} ops/clock/SM ({} {}, sm_{}) × {:.0f} MHz measured)",
                   last.multiprocessors, *per_clock, dtype, engine, last.compute_capability, clock_mhz)});
}

// A run on a slower instruction than the one the GPU's peak needs (Hopper's tensor cores on mma.sync instead
// of wgmma: the sm_90a image was not loaded) is measured and kept, but never silently: the point says why its
// figure is low.
void add_slower_path_warning(point_result& point, const std::string& instruction,
                             const std::optional<run_clock>& clock, std::string_view dtype,
                             std::string_view engine) {
  if (!clock) return;
  const auto wanted = peak_instruction(clock->compute_capability, dtype, engine);
  if (!wanted || *wanted == instruction) return;
  point.warnings.push_back(fmt::format(
      "{} on {} ran {}, not {}: compute capability {}.{} reaches its peak only with {} (code built for "
      "sm_{}a; this binary's image for the GPU has none), so expect 50–65% of it",
      dtype, engine, instruction, *wanted, clock->compute_capability / 10, clock->compute_capability % 10,
      *wanted, clock->compute_capability));
}

class flops_suite final : public suite_with_backends<flops_backend> {
 public:
  std::vector<std::string> benchmarks() const override { return {"flops"}; }

  std::string description(std::string_view) const override {
    return "peak arithmetic throughput per precision from independent dependent chains held in registers (no "
           "memory traffic in the timed loop): FMA chains on CPU vector units or GPU CUDA cores, matrix "
           "multiply-accumulate chains on GPU tensor cores (mma.sync; wgmma on Hopper); TFLOP/s = operations "
           "/ "
           "time (FMA = 2; MMA = 2·M·N·K; int8 counts integer operations); on GPUs also the SM clock "
           "measured "
           "during the kernel and the percentage of the architectural peak at that clock";
  }

  std::vector<param_spec> parameters(std::string_view) const override {
    return {
        {"dtype",
         param_type::string,
         "",
         "fp64",
         {"fp64", "fp32", "bf16", "fp16", "tf32", "fp8_e4m3", "int8"},
         {},
         {},
         false,
         "precision; the cpu backend runs fp64, fp32, and bf16 where the CPU has AVX512_BF16, the cuda "
         "backend "
         "every precision its GPU has (fp8_e4m3 from compute capability 8.9); others are skipped with the "
         "reason"},
        {"engine",
         param_type::string,
         "",
         "auto",
         {std::string(engine_auto), std::string(engine_cpu_simd), std::string(engine_cuda_core),
          std::string(engine_tensor_core)},
         {},
         {},
         false,
         "arithmetic units: auto = cpu_simd on the cpu backend; on cuda, cuda_core for fp64/fp32 and "
         "tensor_core for tf32/fp16/bf16/fp8_e4m3/int8. cuda_core runs fp64, fp32, fp16, bf16 (HFMA2); "
         "tensor_core runs fp64 (DMMA), tf32, fp16, bf16, fp8_e4m3, int8. The point records the resolved "
         "engine"},
        {"inner_iterations",
         param_type::integer,
         "steps",
         0,
         {},
         0.0,
         1099511627776.0,  // 2^40, the calibration's own cap: minutes per iteration on any core
         false,
         "dependent steps per chain in one timed iteration; 0 (default): sized for about 50 ms per "
         "iteration"},
    };
  }

  std::vector<metric_spec> metrics(std::string_view) const override {
    return {
        {.name = "tflops",
         .unit = "TFLOP/s",
         .better_is = better::higher,
         .statistic = "median",
         .scope = metric_scope::rank,
         .description = "operations of one run (FMA = 2, MMA = 2·M·N·K) / median time"},
        {.name = "sm_clock_mhz",
         .unit = "MHz",
         .better_is = better::higher,
         .statistic = "median",
         .scope = metric_scope::rank,
         .description = "SM clock measured during the timed kernel (clock64 cycles / globaltimer ns)",
         .backends = {"cuda"}},
        {.name = "pct_of_peak_at_clock",
         .unit = "%",
         .better_is = better::higher,
         .statistic = "median",
         .scope = metric_scope::rank,
         .description = "achieved / (SMs × ops per clock per SM × measured clock), where the GPU's per-clock "
                        "peak is known (suites/flops/peak_per_clock.hpp)",
         .backends = {"cuda"}},
    };
  }

  std::vector<point_result> run(const run_context& ctx, std::string_view,
                                const param_values& params) override {
    const std::string dtype = params.value("dtype", std::string("fp64"));
    const std::string requested_engine = params.value("engine", std::string(engine_auto));
    const auto requested_steps = params.value("inner_iterations", std::uint64_t{0});
    std::unique_ptr<flops_backend> backend = make_backend<flops_backend>(ctx, "flops");
    const std::string engine = backend->resolve_engine(dtype, requested_engine);

    point_result point;
    point.scope = metric_scope::rank;
    // The identity is what the plan asked for (inner_iterations 0 = auto), with `engine: auto` resolved: that
    // depends on the backend and dtype alone, never on the machine's speed, and the peak table keys on it.
    point.params = {{"dtype", dtype}, {"engine", engine}, {"inner_iterations", requested_steps}};
    if (const auto reason = backend->unsupported_reason(dtype, engine)) {
      point.skipped_reason = *reason;
      return {point};
    }
    std::uint64_t steps = requested_steps > 0 ? requested_steps : agreed_steps(ctx, *backend, dtype, engine);
    // Ranks of a node share its power and thermal budget: all keep loading the cores until every rank is
    // done.
    const stop_agreement all_done = stop_when_every_rank_is_done(ctx);
    std::vector<double> clocks_mhz;  // one per timed batch, its last run's (the warm-up's are dropped below)
    std::optional<run_clock> last_clock;
    const auto measure_at = [&](std::uint64_t n) {
      backend->prepare(dtype, engine, n);
      clocks_mhz.clear();
      measure_outcome outcome = measure_batches(
          ctx.measurement,
          [&](int runs) {
            const batch_time taken = backend->time_batch(runs);
            if ((last_clock = backend->last_run_clock())) clocks_mhz.push_back(last_clock->sm_clock_mhz);
            return taken;
          },
          all_done);
      if (clocks_mhz.size() > outcome.samples_s.size())
        clocks_mhz.erase(
            clocks_mhz.begin(),
            clocks_mhz.begin() + static_cast<std::ptrdiff_t>(clocks_mhz.size() - outcome.samples_s.size()));
      return outcome;
    };
    measure_outcome measured = measure_at(steps);
    // Never a figure from runs far shorter than the target: the node was busier while sizing than while
    // measuring. Sized again from the runs measured (every rank alike: the shortest median decides) and
    // measured again; the first measurement is discarded.
    if (requested_steps == 0) {
      double shortest_s = median(measured.samples_s);
      if (mpi_active(ctx)) MPI_Allreduce(MPI_IN_PLACE, &shortest_s, 1, MPI_DOUBLE, MPI_MIN, ctx.comm);
      if (far_shorter_than_target(shortest_s)) {
        const auto resized = static_cast<double>(steps) * target_run_s / std::max(shortest_s, 1e-9);
        steps = static_cast<std::uint64_t>(std::min(resized, 1099511627776.0));
        measured = measure_at(steps);
        if (far_shorter_than_target(median(measured.samples_s)))
          point.warnings.push_back(
              fmt::format("runs of {:.3g} ms, far shorter than the {:.0f} ms they were sized for, even after "
                          "sizing again: "
                          "the node's load changed while it was measured",
                          1e3 * median(measured.samples_s), 1e3 * target_run_s));
      }
    }
    // Sized by the machine's speed, or facts of this rank: recorded, but a faster night or another thread
    // count must still be the same point.
    point.derived = {
        {"inner_iterations", steps}, {"isa", backend->implementation()}, {"threads", backend->threads()}};

    const double median_s = median(measured.samples_s);
    const double ops_per_s = backend->flops_per_run() / median_s;
    point.metrics.push_back(
        {"tflops", ops_per_s / 1e12, "TFLOP/s", "median", better::higher,
         fmt::format("{} peak on {} of {} threads ({}): operations of one run ({:.4g}) / median time", dtype,
                     engine, backend->threads(), backend->implementation(), backend->flops_per_run())});
    point.samples.push_back({"time", "s", measured.samples_s});
    if (last_clock) add_clock_metrics(point, clocks_mhz, *last_clock, dtype, engine, ops_per_s);
    if (const auto instruction = backend->last_run_instruction()) {
      point.derived["instruction"] = *instruction;
      add_slower_path_warning(point, *instruction, last_clock, dtype, engine);
    }
    if (auto noisy = noise_warning(measured, ctx.measurement)) point.warnings.push_back(std::move(*noisy));
    point.check = ctx.verify ? check_chains(steps, backend->results()) : not_verified_by_plan();
    return {point};
  }

  std::vector<point_result> simulate(const simulation_input& in) const override {
    return flops::simulate_flops(in);
  }

  std::vector<peak_rule> peak_rules(std::string_view) const override { return flops::flops_peak_rules(); }
};

}  // namespace

std::unique_ptr<suite> make_flops_suite() {
  return std::make_unique<flops_suite>();
}

}  // namespace exacheck
