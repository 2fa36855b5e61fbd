// The gemm suite on one rank, in-process (one rank needs no MPI): correct answers pass for fp64 and fp32 and
// every transpose, a planted wrong entry is INCORRECT and named, precisions OpenBLAS lacks are skipped with
// the reason, and the flop count and tolerance follow their documented formulas.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "../support/forwarding_backends.hpp"
#include "../support/quick_context.hpp"
#include "harness/core/backends.hpp"
#include "harness/core/errors.hpp"
#include "harness/node/gpu_runtime.hpp"
#include "kernels/cpu/cpu_gemm.hpp"
#include "suites/gemm/gemm_oracle.hpp"
#include "suites/gemm/gemm_suite.hpp"

using namespace exacheck;
using namespace exacheck::gemm;

namespace {

using exacheck::testing::quick_context;

param_values gemm_params(const std::string& dtype, int m, int n, int k, const std::string& transa = "n",
                         const std::string& transb = "n", int verify_samples = 256) {
  return {{"dtype", dtype},
          {"m", m},
          {"n", n},
          {"k", k},
          {"transa", transa},
          {"transb", transb},
          {"verify_samples", verify_samples}};
}

point_result run_one(suite& s, const run_context& ctx, const param_values& params) {
  const auto points = s.run(ctx, "gemm", params);
  EXPECT_EQ(points.size(), 1u);
  return points.empty() ? point_result{} : points.front();
}

using exacheck::testing::find_metric;
using exacheck::testing::forwarding_gemm_backend;

// The real OpenBLAS backend, but every timed batch leaves one entry of C wrong: a fast wrong answer must be
// INCORRECT.
class corrupting_backend final : public forwarding_gemm_backend<cpu_gemm_backend> {
 public:
  corrupting_backend(int threads, std::int64_t i, std::int64_t j, double delta)
      : forwarding_gemm_backend(std::make_unique<cpu_gemm_backend>(threads)),
        m_i(i),
        m_j(j),
        m_delta(delta) {}
  batch_time time_batch(int calls) override {
    const batch_time taken = inner().time_batch(calls);
    inner().corrupt_output_for_testing(m_i, m_j, m_delta);
    return taken;
  }

 private:
  std::int64_t m_i, m_j;
  double m_delta;
};

// Until it goes, the table's cpu gemm backend is the corrupting one.
scoped_backend<gemm_backend> plant_wrong_entry(std::int64_t i, std::int64_t j, double delta) {
  return scoped_backend<gemm_backend>("cpu", [=](const run_context& ctx) -> std::unique_ptr<gemm_backend> {
    return std::make_unique<corrupting_backend>(ctx.threads, i, j, delta);
  });
}

}  // namespace

TEST(gemm_suite, declares_its_parameters_with_units_defaults_and_allowed_values) {
  const auto s = make_gemm_suite();
  EXPECT_EQ(s->benchmarks(), std::vector<std::string>{"gemm"});
  const std::vector<std::string> expected_backends =
      gpus().built() ? std::vector<std::string>{"cpu", "cuda"} : std::vector<std::string>{"cpu"};
  EXPECT_EQ(s->backends(), expected_backends);
  const auto specs = s->parameters("gemm");
  ASSERT_EQ(specs.size(), 10u);  // fast_accum: tests/unit/test_gemm_fast_accum.cpp
  const auto* dtype = find_param(specs, "dtype");
  ASSERT_NE(dtype, nullptr);
  EXPECT_EQ(dtype->default_value, "fp64");
  EXPECT_EQ(dtype->allowed, (std::vector<std::string>{"fp64", "fp32", "tf32", "fp16", "bf16", "fp8_e4m3",
                                                      "fp8_e5m2", "int8"}));
  for (const std::string name : {"m", "n", "k"}) {
    const auto* dimension = find_param(specs, name);
    ASSERT_NE(dimension, nullptr) << name;
    EXPECT_EQ(dimension->type, param_type::integer);
    EXPECT_EQ(dimension->unit, "elements");
    EXPECT_EQ(dimension->default_value, 1024);
    EXPECT_EQ(dimension->min, 1.0);
    EXPECT_FALSE(dimension->doc.empty());
  }
  for (const std::string name : {"transa", "transb"}) {
    const auto* transpose = find_param(specs, name);
    ASSERT_NE(transpose, nullptr) << name;
    EXPECT_EQ(transpose->default_value, "n");
    EXPECT_EQ(transpose->allowed, (std::vector<std::string>{"n", "t"}));
  }
  const auto* batch = find_param(specs, "batch");
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->type, param_type::integer);
  EXPECT_EQ(batch->default_value, 1);
  EXPECT_EQ(batch->min, 1.0);
  const auto* autotune = find_param(specs, "autotune");
  ASSERT_NE(autotune, nullptr);
  EXPECT_EQ(autotune->type, param_type::boolean);
  EXPECT_EQ(autotune->default_value, false);
  const auto* samples = find_param(specs, "verify_samples");
  ASSERT_NE(samples, nullptr);
  EXPECT_EQ(samples->type, param_type::integer);
  EXPECT_EQ(samples->default_value, 256);
}

TEST(gemm_formulas, flops_are_two_m_n_k) {
  EXPECT_EQ(gemm_flops(2, 3, 4), 48.0);
  EXPECT_EQ(gemm_flops(1024, 1024, 1024), 2147483648.0);
  EXPECT_EQ(gemm_flops(65536, 65536, 65536), 2.0 * 65536.0 * 65536.0 * 65536.0);  // no integer overflow
}

TEST(gemm_formulas, epsilon_follows_the_storage_format_and_tolerance_scales_with_k) {
  EXPECT_EQ(machine_epsilon("fp64"), std::ldexp(1.0, -52));
  EXPECT_EQ(machine_epsilon("fp32"), std::ldexp(1.0, -23));
  EXPECT_EQ(machine_epsilon("tf32"), std::ldexp(1.0, -10));
  EXPECT_EQ(machine_epsilon("fp16"), std::ldexp(1.0, -10));
  EXPECT_EQ(machine_epsilon("bf16"), std::ldexp(1.0, -7));
  EXPECT_EQ(machine_epsilon("fp8_e4m3"), std::ldexp(1.0, -3));
  EXPECT_EQ(machine_epsilon("fp8_e5m2"), std::ldexp(1.0, -2));
  EXPECT_EQ(machine_epsilon("int8"), 0.0);
  EXPECT_THROW(machine_epsilon("fp128"), std::invalid_argument);
  // The bound follows the accumulator: fp64 for fp64, fp32 for every narrower float, and one rounding of C.
  const entry_magnitudes ten{10.0L, 0, 0};
  EXPECT_DOUBLE_EQ(entry_tolerance(accumulation_for("fp64"), 1000, 0.0L, ten),
                   1000 * std::ldexp(1.0, -52) * 10);
  EXPECT_DOUBLE_EQ(entry_tolerance(accumulation_for("bf16"), 1000, 0.0L, ten),
                   1000 * std::ldexp(1.0, -23) * 10);
  EXPECT_DOUBLE_EQ(entry_tolerance(accumulation_for("bf16"), 1000, 4.0L, {}), 4 * std::ldexp(1.0, -7));
  EXPECT_DOUBLE_EQ(entry_tolerance(accumulation_for("fp32"), 2000, 0.0L, ten),
                   2 * entry_tolerance(accumulation_for("fp32"), 1000, 0.0L, ten));
  EXPECT_EQ(entry_tolerance(accumulation_for("int8"), 1000, 4.0L, ten), 0.0);
}

TEST(gemm_formulas, flops_count_every_batch_entry) {
  EXPECT_EQ(gemm_flops(2, 3, 4, 5), 5 * 48.0);
  EXPECT_EQ(gemm_flops(2, 3, 4), gemm_flops(2, 3, 4, 1));
}

TEST(gemm_formulas, sampled_positions_start_at_the_corners_and_cover_all_of_a_small_c) {
  const gemm_shape big{100, 200, 3};
  const auto positions = sample_positions(big, 50, 7);
  ASSERT_EQ(positions.size(), 50u);
  EXPECT_EQ(positions[0], (entry_position{0, 0, 0}));
  EXPECT_EQ(positions[1], (entry_position{0, 99, 199}));
  for (const auto& at : positions) {
    EXPECT_EQ(at.batch, 0);
    EXPECT_LT(at.i, 100);
    EXPECT_LT(at.j, 200);
  }
  EXPECT_EQ(positions, sample_positions(big, 50, 7));  // deterministic for a seed
  EXPECT_EQ(sample_positions(gemm_shape{3, 4, 5}, 1000, 1).size(), 12u);
}

TEST(gemm_formulas, sampled_positions_spread_over_every_batch_entry) {
  gemm_shape batched{64, 64, 3};
  batched.batch = 6;
  const auto positions = sample_positions(batched, 200, 11);
  ASSERT_EQ(positions.size(), 200u);
  EXPECT_EQ(positions[0], (entry_position{0, 0, 0}));
  EXPECT_EQ(positions[1], (entry_position{5, 63, 63}));  // the last entry of the last matrix
  std::vector<int> per_batch(6, 0);
  for (const auto& at : positions) {
    ASSERT_GE(at.batch, 0);
    ASSERT_LT(at.batch, 6);
    ++per_batch[static_cast<std::size_t>(at.batch)];
  }
  for (int count : per_batch) EXPECT_GT(count, 10);  // 200 draws over 6 matrices: every one is checked
  gemm_shape tiny{2, 3, 4};
  tiny.batch = 3;
  const auto all = sample_positions(tiny, 1000, 1);
  ASSERT_EQ(all.size(), 18u);
  EXPECT_EQ(all.back(), (entry_position{2, 1, 2}));
  EXPECT_EQ(entry_name(tiny, all.back()), "C[2](1, 2)");
  EXPECT_EQ(entry_name(gemm_shape{2, 3, 4}, {0, 1, 2}), "C(1, 2)");
}

TEST(gemm_formulas, nan_and_out_of_bound_entries_fail_exact_ones_pass) {
  const gemm_shape shape{2, 2, 4};
  EXPECT_TRUE(judge_entries("fp64", shape, 4, {{{0, 0, 0}, 1.0L, 1.0L, {2.0L}}}).passed);
  const auto nan = judge_entries("fp64", shape, 4, {{{0, 1, 1}, NAN, 1.0L, {2.0L}}});
  EXPECT_FALSE(nan.passed);
  EXPECT_NE(nan.detail.find("C(1, 1)"), std::string::npos) << nan.detail;
  EXPECT_FALSE(judge_entries("fp64", shape, 4, {{{0, 0, 1}, 1.0L + 1e-12L, 1.0L, {2.0L}}}).passed);
  EXPECT_FALSE(judge_entries("fp64", shape, 4, {}).passed);  // nothing checked is never a pass
}

TEST(gemm_suite, fp64_and_fp32_are_measured_and_correct_for_every_transpose) {
  const auto s = make_gemm_suite();
  for (const std::string dtype : {"fp64", "fp32"})
    for (const std::string transa : {"n", "t"})
      for (const std::string transb : {"n", "t"}) {
        SCOPED_TRACE(dtype + " " + transa + transb);
        const auto params = gemm_params(dtype, 37, 29, 53, transa, transb, 37 * 29);
        const point_result point = run_one(*s, quick_context(), params);
        ASSERT_FALSE(point.skipped_reason) << *point.skipped_reason;
        EXPECT_EQ(point.scope, metric_scope::rank);
        EXPECT_EQ(point.params, params);
        EXPECT_TRUE(point.check.checked);
        EXPECT_TRUE(point.check.passed) << point.check.detail;
        EXPECT_NE(point.check.detail.find("1073 of 1073 entries"), std::string::npos) << point.check.detail;
        const metric* tflops = find_metric(point, "tflops");
        const metric* time = find_metric(point, "time");
        ASSERT_NE(tflops, nullptr);
        ASSERT_NE(time, nullptr);
        EXPECT_EQ(tflops->unit, "TFLOP/s");
        EXPECT_EQ(tflops->statistic, "median");
        EXPECT_EQ(tflops->better_is, better::higher);
        EXPECT_EQ(time->unit, "s");
        EXPECT_EQ(time->better_is, better::lower);
        EXPECT_GT(time->value, 0);
        EXPECT_DOUBLE_EQ(tflops->value, gemm_flops(37, 29, 53) / time->value / 1e12);
        ASSERT_EQ(point.samples.size(), 1u);
        EXPECT_EQ(point.samples[0].name, "time");
        EXPECT_EQ(point.samples[0].unit, "s");
        EXPECT_GE(point.samples[0].values.size(), 3u);
      }
}

TEST(gemm_suite, uses_the_threads_it_is_given) {
  const auto s = make_gemm_suite();
  const point_result point = run_one(*s, quick_context(2), gemm_params("fp64", 256, 256, 256));
  EXPECT_TRUE(point.check.passed) << point.check.detail;
  EXPECT_NE(find_metric(point, "tflops")->description.find("2 threads"), std::string::npos);
}

TEST(gemm_suite, planted_wrong_entry_is_incorrect_and_named) {
  // 1e-9 on entries of magnitude ~1: far above the fp64 bound (~1e-13 here), far below what a glance would
  // see.
  const auto planted = plant_wrong_entry(5, 7, 1e-9);
  const auto s = make_gemm_suite();
  const point_result point = run_one(*s, quick_context(), gemm_params("fp64", 40, 30, 50, "n", "n", 40 * 30));
  EXPECT_TRUE(point.check.checked);
  EXPECT_FALSE(point.check.passed);
  EXPECT_NE(point.check.detail.find("1 of 1200 checked entries wrong"), std::string::npos)
      << point.check.detail;
  EXPECT_NE(point.check.detail.find("C(5, 7)"), std::string::npos) << point.check.detail;
  EXPECT_FALSE(point.metrics.empty());  // measured, but wrong: the verdict is INCORRECT, not an error
}

TEST(gemm_suite, planted_wrong_fp32_corner_is_found_by_the_default_sampling) {
  const auto planted = plant_wrong_entry(0, 0, 1e-3);
  const auto s = make_gemm_suite();
  const point_result point = run_one(*s, quick_context(), gemm_params("fp32", 300, 300, 64));
  EXPECT_FALSE(point.check.passed);
  EXPECT_NE(point.check.detail.find("C(0, 0)"), std::string::npos) << point.check.detail;
}

TEST(gemm_suite, precisions_openblas_lacks_are_skipped_with_the_reason) {
  const auto s = make_gemm_suite();
  for (const std::string dtype : {"tf32", "fp16", "bf16", "fp8_e4m3", "fp8_e5m2", "int8"}) {
    const point_result point = run_one(*s, quick_context(), gemm_params(dtype, 8, 8, 8));
    ASSERT_TRUE(point.skipped_reason) << dtype;
    EXPECT_NE(point.skipped_reason->find("dtype " + dtype + " is not supported by the cpu backend"),
              std::string::npos)
        << *point.skipped_reason;
    EXPECT_NE(point.skipped_reason->find("OpenBLAS"), std::string::npos) << *point.skipped_reason;
    EXPECT_TRUE(point.metrics.empty());
    EXPECT_FALSE(point.check.checked);
    EXPECT_EQ(point.params.at("dtype"), dtype);
  }
}

TEST(gemm_suite, verification_can_be_turned_off_and_says_so) {
  const auto s = make_gemm_suite();
  run_context ctx = quick_context();
  ctx.verify = false;
  const point_result point = run_one(*s, ctx, gemm_params("fp64", 16, 16, 16));
  EXPECT_FALSE(point.check.checked);
  EXPECT_FALSE(point.check.detail.empty());
}

TEST(gemm_suite, a_backend_the_build_lacks_stops_the_point_with_the_tables_error) {
  run_context ctx = quick_context();
  ctx.backend = "rocm";  // a backend this build does not have
  EXPECT_THROW(make_gemm_suite()->run(ctx, "gemm", gemm_params("fp64", 8, 8, 8)), usage_error);
}

TEST(cpu_gemm, inputs_are_deterministic_per_seed_and_differ_between_seeds) {
  // Same seed, same C; another seed (another rank), another C — checked through the oracle's reference.
  cpu_gemm_backend first(1), second(1);
  first.prepare({4, 4, 64}, "fp64", 1, {});
  second.prepare({4, 4, 64}, "fp64", 2, {});
  first.run();
  second.run();
  EXPECT_TRUE(first.verify(16, 0).passed);
  EXPECT_TRUE(second.verify(16, 0).passed);
  EXPECT_NE(first.verify(16, 0).detail, second.verify(16, 0).detail);
  EXPECT_EQ(first.verify(16, 0).detail, first.verify(16, 0).detail);
  EXPECT_THROW(first.prepare({0, 4, 4}, "fp64", 1, {}), std::invalid_argument);
  EXPECT_THROW(first.prepare({4, 4, 4, false, false, 0}, "fp64", 1, {}), std::invalid_argument);
  EXPECT_THROW(first.prepare({4, 4, 4}, "bf16", 1, {}), std::invalid_argument);
}

TEST(gemm_suite, batched_gemm_counts_every_product_and_checks_every_batch_entry) {
  const auto s = make_gemm_suite();
  param_values params = gemm_params("fp64", 24, 16, 40, "t", "n", 3 * 24 * 16);
  params["batch"] = 3;
  const point_result point = run_one(*s, quick_context(), params);
  ASSERT_FALSE(point.skipped_reason) << *point.skipped_reason;
  EXPECT_TRUE(point.check.passed) << point.check.detail;
  EXPECT_NE(point.check.detail.find("1152 of 1152 entries"), std::string::npos) << point.check.detail;
  const metric* tflops = find_metric(point, "tflops");
  const metric* time = find_metric(point, "time");
  ASSERT_NE(tflops, nullptr);
  ASSERT_NE(time, nullptr);
  EXPECT_DOUBLE_EQ(tflops->value, gemm_flops(24, 16, 40, 3) / time->value / 1e12);
  EXPECT_NE(tflops->description.find("batch=3"), std::string::npos) << tflops->description;
  EXPECT_NE(tflops->description.find("called 3 times"), std::string::npos) << tflops->description;
  EXPECT_NE(time->description.find("steady clock"), std::string::npos) << time->description;
}

TEST(gemm_suite, a_wrong_entry_in_a_later_batch_entry_is_incorrect_and_named) {
  // The cpu backend with C[2](3, 4) made wrong after every timed batch.
  class late_corruption final : public forwarding_gemm_backend<cpu_gemm_backend> {
   public:
    late_corruption() : forwarding_gemm_backend(std::make_unique<cpu_gemm_backend>(1)) {}
    batch_time time_batch(int calls) override {
      const batch_time taken = inner().time_batch(calls);
      inner().corrupt_output_for_testing(3, 4, 1e-6, 2);
      return taken;
    }
  };
  const scoped_backend<gemm_backend> planted(
      "cpu", [](const run_context&) { return std::make_unique<late_corruption>(); });
  const auto s = make_gemm_suite();
  param_values params = gemm_params("fp64", 8, 6, 10, "n", "n", 3 * 8 * 6);
  params["batch"] = 3;
  const point_result point = run_one(*s, quick_context(), params);
  EXPECT_FALSE(point.check.passed);
  EXPECT_NE(point.check.detail.find("1 of 144 checked entries wrong; first: C[2](3, 4)"), std::string::npos)
      << point.check.detail;
}

TEST(gemm_suite, the_algorithm_a_library_picked_is_derived_never_the_points_identity) {
  // The cpu backend with a named kernel choice, as cuBLASLt's backend reports its algorithm.
  class named_algorithm final : public forwarding_gemm_backend<cpu_gemm_backend> {
   public:
    named_algorithm() : forwarding_gemm_backend(std::make_unique<cpu_gemm_backend>(1)) {}
    std::optional<std::string> algorithm() const override { return "id 66, tile 21"; }
  };
  const auto params = gemm_params("fp64", 16, 16, 16);
  {
    const scoped_backend<gemm_backend> planted(
        "cpu", [](const run_context&) { return std::make_unique<named_algorithm>(); });
    const point_result point = run_one(*make_gemm_suite(), quick_context(), params);
    EXPECT_EQ(point.derived.at("algorithm"), "id 66, tile 21");
    EXPECT_EQ(point.params, params);
  }
  // OpenBLAS has one kernel per call: nothing to record.
  EXPECT_FALSE(run_one(*make_gemm_suite(), quick_context(), params).derived.contains("algorithm"));
}

TEST(gemm_suite, autotune_on_the_cpu_backend_is_a_warning_not_an_error) {
  const auto s = make_gemm_suite();
  param_values params = gemm_params("fp64", 16, 16, 16);
  params["autotune"] = true;
  const point_result point = run_one(*s, quick_context(), params);
  EXPECT_TRUE(point.check.passed) << point.check.detail;
  // (A "noisy" warning may join it: the test's few samples need not reach the noise target.)
  const auto says_autotune = [](const point_result& p) {
    return std::any_of(p.warnings.begin(), p.warnings.end(), [](const std::string& w) {
      return w.find("autotune has no effect on the cpu backend") != std::string::npos;
    });
  };
  EXPECT_TRUE(says_autotune(point)) << ::testing::PrintToString(point.warnings);
  params["autotune"] = false;
  EXPECT_FALSE(says_autotune(run_one(*s, quick_context(), params)));
}
