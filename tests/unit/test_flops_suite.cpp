// The flops suite on one rank, in-process (no MPI needed for one rank): the answer is checked, unsupported
// precisions are skipped with a reason, run-time dispatch picks a kernel this CPU runs, and every kernel this
// CPU can run computes the chains exactly.
#include <gtest/gtest.h>

#include <cmath>

#include "../support/forwarding_flops_backend.hpp"
#include "../support/quick_context.hpp"
#include "harness/core/backends.hpp"
#include "harness/core/errors.hpp"
#include "harness/node/gpu_runtime.hpp"
#include "kernels/cpu/cpu_fma.hpp"
#include "suites/flops/flops_suite.hpp"
#include "suites/flops/fma_chain.hpp"
#include "suites/flops/peak_per_clock.hpp"

using namespace exacheck;
using namespace exacheck::flops;

namespace {

using exacheck::testing::quick_context;

point_result run_one(suite& s, const run_context& ctx, const std::string& dtype, int inner_iterations = 20000,
                     const std::string& engine = "auto") {
  const auto points =
      s.run(ctx, "flops", {{"dtype", dtype}, {"engine", engine}, {"inner_iterations", inner_iterations}});
  EXPECT_EQ(points.size(), 1u);
  return points.empty() ? point_result{} : points.front();
}

using exacheck::testing::find_metric;

// Wraps the real backend and changes one chain's result: a fast wrong answer must be INCORRECT.
class corrupting_backend final : public exacheck::testing::forwarding_flops_backend {
 public:
  using forwarding_flops_backend::forwarding_flops_backend;
  chain_results results() const override {
    auto results = inner().results();
    results.final_values.at(3) += 0.5;
    return results;
  }
};

// The real cpu backend dressed as a GPU: it answers to engine cuda_core, reports a fixed device time per run
// (10 ms: its batches are single runs) and a measured clock, so that the suite's device-time, sm_clock_mhz
// and pct_of_peak_at_clock plumbing is tested without a GPU.
class gpu_like_backend final : public exacheck::testing::forwarding_flops_backend {
 public:
  gpu_like_backend(std::unique_ptr<flops_backend> inner, run_clock clock)
      : forwarding_flops_backend(std::move(inner)), m_clock(clock) {}
  std::string resolve_engine(std::string_view, std::string_view requested) const override {
    return std::string(requested == "auto" ? "cuda_core" : requested);
  }
  std::optional<std::string> unsupported_reason(std::string_view dtype, std::string_view) const override {
    return inner().unsupported_reason(dtype, "cpu_simd");
  }
  void prepare(std::string_view dtype, std::string_view, std::uint64_t steps) override {
    inner().prepare(dtype, "cpu_simd", steps);
  }
  batch_time time_batch(int runs) override {
    inner().time_batch(runs);
    return {0.01 * runs, batch_clock::device};
  }
  std::optional<run_clock> last_run_clock() const override { return m_clock; }

 private:
  run_clock m_clock;
};

// The real cpu backend dressed as a GPU's tensor cores (fp32 chains standing for any dtype): a fixed device
// time, a measured clock and the instruction family its blocks "reported".
class tensor_core_like_backend final : public exacheck::testing::forwarding_flops_backend {
 public:
  tensor_core_like_backend(std::unique_ptr<flops_backend> inner, run_clock clock, std::string instruction)
      : forwarding_flops_backend(std::move(inner)), m_clock(clock), m_instruction(std::move(instruction)) {}
  std::string resolve_engine(std::string_view, std::string_view requested) const override {
    return std::string(requested == "auto" ? "tensor_core" : requested);
  }
  std::optional<std::string> unsupported_reason(std::string_view, std::string_view) const override {
    return inner().unsupported_reason("fp32", "cpu_simd");
  }
  void prepare(std::string_view, std::string_view, std::uint64_t steps) override {
    inner().prepare("fp32", "cpu_simd", steps);
  }
  batch_time time_batch(int runs) override {
    inner().time_batch(runs);
    return {0.01 * runs, batch_clock::device};
  }
  std::optional<run_clock> last_run_clock() const override { return m_clock; }
  std::optional<std::string> last_run_instruction() const override { return m_instruction; }

 private:
  run_clock m_clock;
  std::string m_instruction;
};

point_result tensor_core_point(int capability, const std::string& instruction) {
  const run_clock clock{1700.0, 132, capability};
  const auto planted =
      wrap_backend<flops_backend>("cpu", [=](std::unique_ptr<flops_backend> real, const run_context&) {
        return std::make_unique<tensor_core_like_backend>(std::move(real), clock, instruction);
      });
  return run_one(*make_flops_suite(), quick_context(), "bf16", 20000, "tensor_core");
}

bool warns_about(const point_result& point, const std::string& text) {
  for (const auto& warning : point.warnings)
    if (warning.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST(flops_suite, declares_dtype_and_inner_iterations) {
  const auto s = make_flops_suite();
  EXPECT_EQ(s->benchmarks(), std::vector<std::string>{"flops"});
  const auto specs = s->parameters("flops");
  const auto* dtype = find_param(specs, "dtype");
  ASSERT_NE(dtype, nullptr);
  EXPECT_EQ(dtype->default_value, "fp64");
  EXPECT_EQ(dtype->allowed,
            (std::vector<std::string>{"fp64", "fp32", "bf16", "fp16", "tf32", "fp8_e4m3", "int8"}));
  ASSERT_NE(find_param(specs, "inner_iterations"), nullptr);
  const auto* engine = find_param(specs, "engine");
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->default_value, "auto");
  EXPECT_EQ(engine->allowed, (std::vector<std::string>{"auto", "cpu_simd", "cuda_core", "tensor_core"}));
}

TEST(flops_suite, cpu_points_record_the_resolved_engine_cpu_simd) {
  const auto s = make_flops_suite();
  for (const std::string requested : {"auto", "cpu_simd"}) {
    const point_result point = run_one(*s, quick_context(), "fp64", 20000, requested);
    EXPECT_FALSE(point.skipped_reason) << *point.skipped_reason;
    EXPECT_EQ(point.params.at("engine"), "cpu_simd") << requested;
    EXPECT_TRUE(point.check.passed) << point.check.detail;
    // No device clock on a CPU: neither clock metric is made up.
    EXPECT_EQ(find_metric(point, "sm_clock_mhz"), nullptr);
    EXPECT_EQ(find_metric(point, "pct_of_peak_at_clock"), nullptr);
  }
}

TEST(flops_suite, gpu_engines_are_skipped_on_the_cpu_backend_with_a_reason) {
  const auto s = make_flops_suite();
  for (const std::string engine : {"cuda_core", "tensor_core"}) {
    const point_result point = run_one(*s, quick_context(), "fp64", 20000, engine);
    ASSERT_TRUE(point.skipped_reason) << engine;
    EXPECT_NE(point.skipped_reason->find("cpu_simd"), std::string::npos) << *point.skipped_reason;
    EXPECT_EQ(point.params.at("engine"), engine);
    EXPECT_TRUE(point.metrics.empty());
  }
}

TEST(flops_suite, fp64_and_fp32_are_measured_and_correct) {
  const auto s = make_flops_suite();
  for (const std::string dtype : {"fp64", "fp32"}) {
    const point_result point = run_one(*s, quick_context(), dtype);
    EXPECT_FALSE(point.skipped_reason) << *point.skipped_reason;
    EXPECT_EQ(point.scope, metric_scope::rank);
    EXPECT_TRUE(point.check.checked);
    EXPECT_TRUE(point.check.passed) << point.check.detail;
    const metric* tflops = find_metric(point, "tflops");
    ASSERT_NE(tflops, nullptr);
    EXPECT_GT(tflops->value, 0);
    EXPECT_TRUE(std::isfinite(tflops->value));
    EXPECT_EQ(tflops->unit, "TFLOP/s");
    EXPECT_EQ(tflops->better_is, better::higher);
    EXPECT_EQ(point.derived.at("isa"), std::string(to_string(*best_cpu_isa(dtype))));
    EXPECT_EQ(point.derived.at("inner_iterations"), 20000);
    ASSERT_EQ(point.samples.size(), 1u);
    EXPECT_GE(point.samples[0].values.size(), 3u);
  }
}

TEST(flops_suite, bf16_runs_where_the_cpu_has_avx512_bf16_else_is_skipped) {
  const auto s = make_flops_suite();
  const point_result point = run_one(*s, quick_context(), "bf16");
  if (cpu_supports(cpu_isa::avx512_bf16)) {
    EXPECT_FALSE(point.skipped_reason);
    EXPECT_TRUE(point.check.passed) << point.check.detail;
    EXPECT_EQ(point.derived.at("isa"), "avx512_bf16");
  } else {
    ASSERT_TRUE(point.skipped_reason);
    EXPECT_NE(point.skipped_reason->find("AVX512_BF16"), std::string::npos);
  }
}

TEST(flops_suite, gpu_only_precisions_are_skipped_with_a_reason) {
  const auto s = make_flops_suite();
  for (const std::string dtype : {"fp16", "tf32", "fp8_e4m3", "int8"}) {
    const point_result point = run_one(*s, quick_context(), dtype);
    ASSERT_TRUE(point.skipped_reason) << dtype;
    EXPECT_FALSE(point.skipped_reason->empty());
    EXPECT_TRUE(point.metrics.empty());
    EXPECT_EQ(point.params.at("dtype"), dtype);
  }
}

TEST(flops_suite, auto_inner_iterations_sizes_one_iteration_near_50_ms) {
  const auto s = make_flops_suite();
  const point_result point = run_one(*s, quick_context(), "fp64", 0);
  EXPECT_TRUE(point.check.passed) << point.check.detail;
  EXPECT_GT(point.derived.at("inner_iterations").get<std::uint64_t>(), 0u);
  const double one_iteration_s = point.samples.at(0).values.at(1);
  EXPECT_GT(one_iteration_s, 0.005);  // generous: the machine is shared
  EXPECT_LT(one_iteration_s, 1.0);
}

TEST(flops_suite, uses_every_thread_it_is_given) {
  const auto s = make_flops_suite();
  const point_result point = run_one(*s, quick_context(2), "fp32");
  EXPECT_TRUE(point.check.passed) << point.check.detail;
  EXPECT_EQ(point.derived.at("threads"), 2);
}

// The point is what the plan asked for (inner_iterations 0 = auto): what the suite sized or found on this
// rank is derived, so that another night's sizing or another thread count is still the same point.
TEST(flops_suite, auto_sized_steps_isa_and_threads_are_derived_never_the_points_identity) {
  const auto s = make_flops_suite();
  const point_result one_thread = run_one(*s, quick_context(1), "fp64", 0);
  const point_result two_threads = run_one(*s, quick_context(2), "fp64", 0);
  for (const point_result* point : {&one_thread, &two_threads}) {
    EXPECT_TRUE(point->check.passed) << point->check.detail;
    EXPECT_EQ(point->params,
              nlohmann::json({{"dtype", "fp64"}, {"engine", "cpu_simd"}, {"inner_iterations", 0}}));
    EXPECT_GT(point->derived.at("inner_iterations").get<std::uint64_t>(), 0u);
    EXPECT_TRUE(point->derived.contains("isa"));
  }
  EXPECT_EQ(one_thread.derived.at("threads"), 1);
  EXPECT_EQ(two_threads.derived.at("threads"), 2);
  // The worker's result file carries both, apart.
  const nlohmann::json written = two_threads;
  EXPECT_EQ(written.at("params"), two_threads.params);
  EXPECT_EQ(written.at("derived"), two_threads.derived);
  EXPECT_EQ(written.get<point_result>().derived, two_threads.derived);
}

TEST(flops_suite, planted_wrong_chain_value_is_incorrect_and_named) {
  const auto planted =
      wrap_backend<flops_backend>("cpu", [](std::unique_ptr<flops_backend> real, const run_context&) {
        return std::make_unique<corrupting_backend>(std::move(real));
      });
  const auto s = make_flops_suite();
  const point_result point = run_one(*s, quick_context(), "fp64");
  EXPECT_TRUE(point.check.checked);
  EXPECT_FALSE(point.check.passed);
  EXPECT_NE(point.check.detail.find("lane 3"), std::string::npos) << point.check.detail;
  EXPECT_NE(point.check.detail.find("1 of"), std::string::npos) << point.check.detail;
}

TEST(cpu_fma, dispatch_picks_a_kernel_this_cpu_runs) {
  for (const std::string dtype : {"fp64", "fp32"}) {
    const auto isa = best_cpu_isa(dtype);
    ASSERT_TRUE(isa) << dtype;
    EXPECT_TRUE(cpu_supports(*isa));
  }
  EXPECT_TRUE(cpu_supports(cpu_isa::portable));
  if (cpu_supports(cpu_isa::avx512f)) {
    EXPECT_EQ(*best_cpu_isa("fp64"), cpu_isa::avx512f);
  }
  std::string why;
  EXPECT_FALSE(best_cpu_isa("tf32", &why));
  EXPECT_FALSE(why.empty());
}

TEST(cpu_fma, every_kernel_this_cpu_runs_is_exact_for_odd_and_even_steps) {
  for (cpu_isa isa : {cpu_isa::portable, cpu_isa::avx2_fma, cpu_isa::avx512f, cpu_isa::avx512_bf16}) {
    if (!cpu_supports(isa)) continue;
    const std::vector<std::string> dtypes = isa == cpu_isa::avx512_bf16
                                                ? std::vector<std::string>{"bf16"}
                                                : std::vector<std::string>{"fp64", "fp32"};
    for (const auto& dtype : dtypes)
      for (std::uint64_t steps :
           {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1001}, std::uint64_t{4096}}) {
        const int lanes = chain_lanes(isa, dtype), accumulators = chain_accumulators(isa);
        std::vector<double> out(static_cast<std::size_t>(accumulators * lanes));
        run_cpu_chains(isa, dtype, 1, steps, out.data());
        for (int j = 0; j < accumulators; ++j) {
          for (int l = 0; l < lanes; ++l) {
            ASSERT_EQ(out[static_cast<std::size_t>(j * lanes + l)],
                      expected_chain_value(dtype, chain_start(1, j, l), steps))
                << to_string(isa) << " " << dtype << " steps " << steps << " accumulator " << j << " lane "
                << l;
          }
        }
      }
  }
}

TEST(cpu_fma, forced_kernel_reports_its_isa_and_flop_count) {
  cpu_fma_backend backend(1, 0, cpu_isa::portable);
  backend.prepare("fp64", "cpu_simd", 10);
  EXPECT_EQ(backend.implementation(), "portable");
  EXPECT_DOUBLE_EQ(backend.flops_per_run(), 12.0 /*chains*/ * 2 /*lanes*/ * 2 /*flops*/ * 10);
  backend.run();
  const chain_results results = backend.results();
  EXPECT_EQ(results.final_values.size(), 12u * 2u);
  EXPECT_EQ(results.accumulators, 12);
  EXPECT_EQ(results.lanes, 2);
  EXPECT_EQ(results.recurrence.kind, chain_kind::fma);
}

TEST(fma_chain, scalar_replay_follows_the_involution) {
  EXPECT_EQ(replay_fma_chain<double>(0.75, 0), 0.75);
  EXPECT_EQ(replay_fma_chain<double>(0.75, 3), 0.25);
  EXPECT_EQ(replay_fma_chain<float>(0.625f, 1000001), 0.375f);
  EXPECT_EQ(replay_bf16_chain(0.5f, 12345), 0.5f);
  for (int t = 0; t < 4; ++t)
    for (int j = 0; j < 16; ++j)
      for (int l = 0; l < 16; ++l) {
        const double start = chain_start(t, j, l);
        EXPECT_GE(start, 0.5);
        EXPECT_LT(start, 1.0);
        EXPECT_EQ(static_cast<double>(static_cast<float>(start)), start);
      }
}

TEST(flops_suite, device_time_and_clock_become_tflops_sm_clock_and_pct_of_peak_at_clock) {
  const run_clock clock{1500.0, 132, 90};
  const auto planted =
      wrap_backend<flops_backend>("cpu", [clock](std::unique_ptr<flops_backend> real, const run_context&) {
        return std::make_unique<gpu_like_backend>(std::move(real), clock);
      });
  const auto s = make_flops_suite();
  const point_result point = run_one(*s, quick_context(), "fp64");
  EXPECT_TRUE(point.check.passed) << point.check.detail;
  EXPECT_EQ(point.params.at("engine"), "cuda_core");
  // Every sample is the backend's device time, not the host clock's.
  for (double sample : point.samples.at(0).values) EXPECT_EQ(sample, 0.01);
  const metric* tflops = find_metric(point, "tflops");
  const metric* sm_clock = find_metric(point, "sm_clock_mhz");
  const metric* pct = find_metric(point, "pct_of_peak_at_clock");
  ASSERT_NE(tflops, nullptr);
  ASSERT_NE(sm_clock, nullptr);
  ASSERT_NE(pct, nullptr);
  EXPECT_EQ(sm_clock->value, 1500.0);
  EXPECT_EQ(sm_clock->unit, "MHz");
  EXPECT_EQ(pct->unit, "%");
  // H100 FP64 on CUDA cores: 128 flop/clk/SM.
  EXPECT_NEAR(pct->value, 100.0 * tflops->value * 1e12 / (132 * 128 * 1500e6), 1e-9);
  EXPECT_NE(pct->description.find("132 SMs"), std::string::npos) << pct->description;
}

TEST(flops_suite, the_instruction_the_device_reported_is_derived_never_the_points_identity) {
  const point_result point = tensor_core_point(90, "wgmma");
  EXPECT_TRUE(point.check.passed) << point.check.detail;
  EXPECT_EQ(point.derived.at("instruction"), "wgmma");
  EXPECT_FALSE(point.params.contains("instruction"));
  EXPECT_FALSE(warns_about(point, "ran ")) << point.warnings.size();
  // A host backend has no device to report one: its isa says what ran.
  EXPECT_FALSE(run_one(*make_flops_suite(), quick_context(), "fp64").derived.contains("instruction"));
}

TEST(flops_suite, hopper_tensor_cores_on_mma_sync_instead_of_wgmma_are_recorded_and_warned_about) {
  const point_result hopper = tensor_core_point(90, "mma.sync");
  EXPECT_EQ(hopper.derived.at("instruction"), "mma.sync");
  EXPECT_TRUE(warns_about(hopper, "bf16 on tensor_core ran mma.sync, not wgmma")) << hopper.warnings.size();
  EXPECT_TRUE(warns_about(hopper, "sm_90a"));
  // mma.sync is the only path on Ampere: nothing to warn about there.
  const point_result ampere = tensor_core_point(80, "mma.sync");
  EXPECT_EQ(ampere.derived.at("instruction"), "mma.sync");
  EXPECT_FALSE(warns_about(ampere, "not wgmma"));
}

TEST(flops_suite, a_device_without_a_per_clock_row_gets_the_clock_but_no_pct_and_a_warning) {
  const run_clock clock{1200.0, 40, 75};  // a Turing GPU: no row in the table
  const auto planted =
      wrap_backend<flops_backend>("cpu", [clock](std::unique_ptr<flops_backend> real, const run_context&) {
        return std::make_unique<gpu_like_backend>(std::move(real), clock);
      });
  const auto s = make_flops_suite();
  const point_result point = run_one(*s, quick_context(), "fp32");
  EXPECT_NE(find_metric(point, "sm_clock_mhz"), nullptr);
  EXPECT_EQ(find_metric(point, "pct_of_peak_at_clock"), nullptr);
  ASSERT_FALSE(point.warnings.empty());
  EXPECT_NE(point.warnings.back().find("7.5"), std::string::npos) << point.warnings.back();
}
