// The CUDA flops backend (kernels/cuda/cuda_flops.cpp) through the flops suite on the current device: every
// (dtype, engine) pair the device has runs, its chains match the scalar replay after odd and even step
// counts, the clock measured inside the kernel is plausible and turns into pct_of_peak_at_clock where the
// table has a row, every point records the instruction family its blocks ran (fma, mma.sync, wgmma) — on a
// Hopper GPU (9.0) the tensor cores must have run wgmma, so a binary whose sm_90a image did not load fails
// here instead of passing at 50–65% of the peak —, the mma.sync fallback is correct and says it is the slower
// path, and a planted wrong chain value is INCORRECT. Every test skips, with the runtime's reason, where no
// CUDA device is visible.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "../support/forwarding_flops_backend.hpp"
#include "../support/quick_context.hpp"
#include "../support/skip_without_gpu.hpp"
#include "harness/core/backends.hpp"
#include "harness/node/gpu_runtime.hpp"
#include "kernels/cuda/flops_types.hpp"
#include "suites/flops/flops_suite.hpp"
#include "suites/flops/peak_per_clock.hpp"

using namespace exacheck;
using namespace exacheck::flops;
using exacheck::testing::find_metric;

namespace {

struct dtype_engine {
  std::string dtype;
  std::string engine;
};

const std::vector<dtype_engine> every_pair = {
    {"fp64", "cuda_core"},       {"fp32", "cuda_core"},   {"fp16", "cuda_core"},   {"bf16", "cuda_core"},
    {"fp64", "tensor_core"},     {"tf32", "tensor_core"}, {"fp16", "tensor_core"}, {"bf16", "tensor_core"},
    {"fp8_e4m3", "tensor_core"}, {"int8", "tensor_core"},
};

run_context cuda_context() {
  run_context ctx = exacheck::testing::quick_context();
  ctx.backend = "cuda";
  return ctx;
}

// major·10 + minor of device 0, which becomes the current device (no CUDA header: the host build compiles
// these tests too).
int compute_capability() {
  exacheck::gpus().select_device(0);
  const std::string text = exacheck::gpus().device_properties(0).at("compute_capability").get<std::string>();
  const auto dot = text.find('.');
  return std::stoi(text.substr(0, dot)) * 10 + std::stoi(text.substr(dot + 1));
}

point_result run_point(suite& s, const dtype_engine& pair, std::uint64_t steps) {
  const auto points = s.run(cuda_context(), "flops",
                            {{"dtype", pair.dtype}, {"engine", pair.engine}, {"inner_iterations", steps}});
  EXPECT_EQ(points.size(), 1u);
  return points.empty() ? point_result{} : points.front();
}

// The instruction family a point must report: FMA on CUDA cores; on tensor cores wgmma where it is Hopper's
// path to the peak (9.0, every dtype but fp64) unless the test turned it off, else mma.sync.
std::string expected_instruction(const dtype_engine& pair, int capability, bool allow_wgmma = true) {
  if (pair.engine == "cuda_core") return "fma";
  return allow_wgmma && peak_instruction(capability, pair.dtype, pair.engine) ? "wgmma" : "mma.sync";
}

// The checks every measured point must pass.
void expect_measured_and_correct(const point_result& point, const dtype_engine& pair, int capability,
                                 bool allow_wgmma = true) {
  const std::string what = pair.dtype + " on " + pair.engine;
  ASSERT_TRUE(point.derived.contains("instruction")) << what;
  EXPECT_EQ(point.derived.at("instruction"), expected_instruction(pair, capability, allow_wgmma))
      << what << " (" << point.derived.at("isa") << ")";
  EXPECT_EQ(point.params.at("engine"), pair.engine) << what;
  EXPECT_TRUE(point.check.checked) << what;
  EXPECT_TRUE(point.check.passed) << what << ": " << point.check.detail << " (" << point.derived.at("isa")
                                  << ")";
  const metric* tflops = find_metric(point, "tflops");
  ASSERT_NE(tflops, nullptr) << what;
  EXPECT_GT(tflops->value, 0) << what;
  const metric* clock = find_metric(point, "sm_clock_mhz");
  ASSERT_NE(clock, nullptr) << what;
  EXPECT_GT(clock->value, 200) << what;  // every datacenter GPU since Volta boosts between 1 and 2.2 GHz
  EXPECT_LT(clock->value, 3500) << what;
  const metric* pct = find_metric(point, "pct_of_peak_at_clock");
  if (peak_ops_per_clock_per_sm(capability, pair.dtype, pair.engine)) {
    ASSERT_NE(pct, nullptr) << what;
    EXPECT_GT(pct->value, 0) << what;
    EXPECT_LT(pct->value, 105) << what;  // above 100% the flop count or the clock would be wrong
  } else {
    EXPECT_EQ(pct, nullptr) << what;
  }
  std::cout << "[ measured ] " << what << ": " << tflops->value << " TFLOP/s at " << clock->value << " MHz"
            << (pct ? ", " + std::to_string(pct->value) + "% of peak at that clock" : std::string()) << " — "
            << point.derived.at("isa").get<std::string>() << "\n";
}

// The CUDA backend with a fault planted in one chain's final value in device memory after each timed batch.
class corrupting_backend final : public exacheck::testing::forwarding_flops_backend {
 public:
  using forwarding_flops_backend::forwarding_flops_backend;
  batch_time time_batch(int runs) override {
    const batch_time taken = inner().time_batch(runs);
    cuda::corrupt_flops_result_for_testing(inner(), 37, 1.0);
    return taken;
  }
};

}  // namespace

TEST(cuda_flops, suite_lists_cuda_exactly_in_a_cuda_build) {
  const std::vector<std::string> expected =
      exacheck::gpus().built() ? std::vector<std::string>{"cpu", "cuda"} : std::vector<std::string>{"cpu"};
  EXPECT_EQ(make_flops_suite()->backends(), expected);
}

TEST(cuda_flops, every_dtype_and_engine_runs_verifies_and_reports_a_plausible_clock) {
  SKIP_WITHOUT_GPU();
  const int capability = compute_capability();
  const auto s = make_flops_suite();
  for (const auto& pair : every_pair) {
    // Odd: every mma chain ends at start + K·α·β, every fma chain at 1 − start.
    const point_result point = run_point(*s, pair, 4001);
    if (point.skipped_reason) {
      // Only fp8 on GPUs before Ada/Hopper may be missing.
      EXPECT_TRUE(pair.dtype == "fp8_e4m3" && capability < 89) << pair.dtype << ": " << *point.skipped_reason;
      std::cout << "[ skipped  ] " << pair.dtype << " on " << pair.engine << ": " << *point.skipped_reason
                << "\n";
      continue;
    }
    expect_measured_and_correct(point, pair, capability);
  }
}

TEST(cuda_flops, even_step_counts_return_every_chain_to_its_start) {
  SKIP_WITHOUT_GPU();
  const int capability = compute_capability();
  const auto s = make_flops_suite();
  for (const dtype_engine& pair : {dtype_engine{"fp32", "cuda_core"}, dtype_engine{"bf16", "tensor_core"},
                                   dtype_engine{"int8", "tensor_core"}, dtype_engine{"fp64", "tensor_core"}})
    expect_measured_and_correct(run_point(*s, pair, 4000), pair, capability);
}

TEST(cuda_flops, auto_engine_resolves_per_dtype_and_is_recorded) {
  SKIP_WITHOUT_GPU();
  compute_capability();
  const auto s = make_flops_suite();
  for (const auto& [dtype, expected] : std::vector<std::pair<std::string, std::string>>{
           {"fp64", "cuda_core"}, {"fp32", "cuda_core"}, {"bf16", "tensor_core"}, {"int8", "tensor_core"}}) {
    const auto points =
        s->run(cuda_context(), "flops", {{"dtype", dtype}, {"engine", "auto"}, {"inner_iterations", 2001}});
    ASSERT_EQ(points.size(), 1u);
    EXPECT_EQ(points.front().params.at("engine"), expected) << dtype;
    EXPECT_TRUE(points.front().check.passed) << dtype << ": " << points.front().check.detail;
  }
}

TEST(cuda_flops, hopper_runs_wgmma_and_the_mma_sync_fallback_correctly) {
  SKIP_WITHOUT_GPU();
  const int capability = compute_capability();
  if (capability != 90)
    GTEST_SKIP() << "wgmma is Hopper's (compute capability 9.0); this device has " << capability;
  for (const bool allow_wgmma : {true, false}) {
    const scoped_backend<flops_backend> forced("cuda", [allow_wgmma](const run_context&) {
      return cuda::make_flops_backend_for_testing(allow_wgmma);
    });
    const auto s = make_flops_suite();
    for (const auto& pair : every_pair) {
      if (pair.engine != "tensor_core" || pair.dtype == "fp64") continue;
      const point_result point = run_point(*s, pair, 2001);
      ASSERT_FALSE(point.skipped_reason) << *point.skipped_reason;
      const std::string isa = point.derived.at("isa");
      // No way around it: a binary whose loaded image has no wgmma fails here.
      EXPECT_NE(isa.find(allow_wgmma ? "wgmma.mma_async.m64n256k" : "mma.sync.m16n8k"), std::string::npos)
          << isa;
      bool warned = false;
      for (const auto& warning : point.warnings) warned |= warning.find("not wgmma") != std::string::npos;
      EXPECT_EQ(warned, !allow_wgmma) << pair.dtype << ": only the fallback is flagged as the slower path";
      expect_measured_and_correct(point, pair, capability, allow_wgmma);
    }
  }
}

TEST(cuda_flops, planted_wrong_chain_value_is_incorrect) {
  SKIP_WITHOUT_GPU();
  compute_capability();
  const auto planted =
      wrap_backend<flops_backend>("cuda", [](std::unique_ptr<flops_backend> real, const run_context&) {
        return std::make_unique<corrupting_backend>(std::move(real));
      });
  const auto s = make_flops_suite();
  for (const dtype_engine& pair : {dtype_engine{"fp64", "cuda_core"}, dtype_engine{"bf16", "tensor_core"}}) {
    const point_result point = run_point(*s, pair, 2001);
    EXPECT_TRUE(point.check.checked) << pair.dtype;
    EXPECT_FALSE(point.check.passed) << pair.dtype << ": " << point.check.detail;
    EXPECT_NE(point.check.detail.find("(1 of "), std::string::npos) << point.check.detail;
  }
}

TEST(cuda_flops, fp8_before_compute_capability_8_9_is_skipped_with_the_reason) {
  SKIP_WITHOUT_GPU();
  const int capability = compute_capability();
  if (capability >= 89) GTEST_SKIP() << "this device has fp8 tensor cores";
  const point_result point = run_point(*make_flops_suite(), {"fp8_e4m3", "tensor_core"}, 2001);
  ASSERT_TRUE(point.skipped_reason);
  EXPECT_NE(point.skipped_reason->find("8.9"), std::string::npos) << *point.skipped_reason;
}
