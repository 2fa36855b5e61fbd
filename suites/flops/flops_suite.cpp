#include "suites/flops/flops_suite.hpp"

#include <fmt/core.h>
#include <mpi.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <stdexcept>

#include "harness/rank_agreement.hpp"
#include "harness/statistics.hpp"
#include "kernels/cpu/cpu_fma.hpp"
#include "suites/flops/fma_chain.hpp"

namespace exacheck {
namespace flops {

std::unique_ptr<flops_backend> make_flops_backend(const run_context& ctx) {
  if (ctx.backend == "cpu") return std::make_unique<cpu_fma_backend>(ctx.threads, ctx.local_rank);
  throw std::runtime_error(fmt::format("backend '{}' is not available for flops in this build", ctx.backend));
}

}  // namespace flops

namespace {
using namespace flops;

// Wall time of one timed iteration when inner_iterations is 0 (auto): long enough that fork/join and clock
// overheads (microseconds) vanish, short enough that the noise loop gathers several samples quickly.
constexpr double k_target_iteration_s = 0.05;

double time_run(flops_backend& backend) {
  const auto start = std::chrono::steady_clock::now();
  backend.run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Steps per chain for about k_target_iteration_s per run, agreed as the maximum over ranks so that every rank
// does the same work and records the same parameters.
std::uint64_t calibrate_steps(const run_context& ctx, flops_backend& backend, std::string_view dtype) {
  std::uint64_t steps = 1 << 12;
  double seconds = 0;
  while (true) {
    backend.prepare(dtype, steps);
    seconds = time_run(backend);
    if (seconds >= k_target_iteration_s / 10 || steps >= (std::uint64_t{1} << 40)) break;
    steps *= 4;
  }
  auto scaled =
      static_cast<std::uint64_t>(static_cast<double>(steps) * k_target_iteration_s / std::max(seconds, 1e-9));
  scaled = std::max<std::uint64_t>(scaled, 1);
  if (mpi_active(ctx)) {
    unsigned long long mine = scaled, agreed = 0;
    MPI_Allreduce(&mine, &agreed, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, ctx.comm);
    scaled = agreed;
  }
  return scaled;
}

correctness check_chains(std::string_view dtype, std::uint64_t steps,
                         const std::vector<chain_state>& states) {
  correctness check;
  check.checked = true;
  check.method =
      "every chain's final value compared exactly with a scalar replay of the same recurrence in the "
      "same precision (fma_chain.hpp)";
  std::size_t wrong = 0;
  const chain_state* first = nullptr;
  double first_expected = 0;
  for (const auto& state : states) {
    const double expected =
        expected_chain_value(dtype, chain_start(state.thread, state.accumulator, state.lane), steps);
    if (state.final_value != expected) {  // also catches NaN on either side
      if (!first) {
        first = &state;
        first_expected = expected;
      }
      ++wrong;
    }
  }
  check.passed = wrong == 0 && !states.empty();
  if (states.empty())
    check.detail = "the backend returned no chain values";
  else if (first)
    check.detail = fmt::format(
        "thread {} accumulator {} lane {}: expected {}, got {} ({} of {} chains wrong)", first->thread,
        first->accumulator, first->lane, first_expected, first->final_value, wrong, states.size());
  else
    check.detail = fmt::format("all {} chains exact after {} steps", states.size(), steps);
  return check;
}

class flops_suite final : public suite {
 public:
  explicit flops_suite(flops_backend_factory factory) : m_factory(std::move(factory)) {}

  std::vector<std::string> benchmarks() const override { return {"flops"}; }

  std::string description(std::string_view) const override {
    return "peak floating-point throughput: independent FMA chains in registers on every thread, vectorised "
           "for "
           "the running CPU; TFLOP/s = flops / time (FMA = 2 flops; bf16 pair multiply-accumulate = 2 flops)";
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
         "precision; the cpu backend runs fp64, fp32, and bf16 where the CPU has AVX512_BF16; others are "
         "skipped "
         "with the reason (they exist for plans shared with GPU systems)"},
        {"inner_iterations",
         param_type::integer,
         "steps",
         0,
         {},
         0.0,
         {},
         false,
         "dependent steps per chain in one timed iteration; 0 (default): sized for about 50 ms per "
         "iteration"},
    };
  }

  std::vector<std::string> backends() const override { return {"cpu"}; }

  std::vector<point_result> run(const run_context& ctx, std::string_view,
                                const param_values& params) override {
    const std::string dtype = params.value("dtype", std::string("fp64"));
    const auto requested_steps = params.value("inner_iterations", std::uint64_t{0});
    std::unique_ptr<flops_backend> backend = m_factory(ctx);

    point_result point;
    point.scope = metric_scope::rank;
    point.params = {{"dtype", dtype}, {"inner_iterations", requested_steps}};
    if (const auto reason = backend->unsupported_reason(dtype)) {
      point.skipped_reason = *reason;
      return {point};
    }
    const std::uint64_t steps = requested_steps > 0 ? requested_steps : calibrate_steps(ctx, *backend, dtype);
    backend->prepare(dtype, steps);
    point.params["inner_iterations"] = steps;
    point.params["isa"] = backend->implementation();
    point.params["threads"] = backend->threads();

    // Ranks of a node share its power and thermal budget: all keep loading the cores until every rank is
    // done.
    const stop_agreement all_done = stop_when_every_rank_is_done(ctx);
    const measure_outcome measured = measure(
        ctx.measurement, [&] { return time_run(*backend); }, all_done);

    const double median_s = median(measured.samples_s);
    point.metrics.push_back(
        {"tflops", backend->flops_per_run() / median_s / 1e12, "TFLOP/s", "median", better::higher,
         fmt::format("{} peak of {} threads ({}): flops of one run ({:.4g}) / median time", dtype,
                     backend->threads(), backend->implementation(), backend->flops_per_run())});
    point.samples.push_back({"time", "s", measured.samples_s});
    if (measured.hit_max_time)
      point.warnings.push_back("stopped at max_time before reaching the noise target");
    point.check = ctx.verify ? check_chains(dtype, steps, backend->results())
                             : correctness{false, false, "not verified", "verification disabled in the plan"};
    return {point};
  }

 private:
  flops_backend_factory m_factory;
};

}  // namespace

std::unique_ptr<suite> make_flops_suite() {
  return std::make_unique<flops_suite>(flops::make_flops_backend);
}

std::unique_ptr<suite> make_flops_suite(flops_backend_factory factory) {
  return std::make_unique<flops_suite>(std::move(factory));
}

}  // namespace exacheck
