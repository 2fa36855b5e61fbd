// The CUDA STREAM backend (kernels/cuda/cuda_stream.cpp) on the current device: copy, scale, add, triad and
// dot in fp64 and fp32 match the scalar replay (suites/membw/stream_oracle) at sizes that fill whole 16-byte
// packs and sizes that leave a tail, every kernel call is timed by CUDA events (within the host's time around
// it), the membw suite runs on it end to end with those times, and a planted wrong dot is caught. Every test
// skips, with the runtime's reason, where no CUDA device is visible.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "../support/forwarding_backends.hpp"
#include "../support/skip_without_gpu.hpp"
#include "harness/core/backends.hpp"
#include "harness/node/gpu_runtime.hpp"
#include "suites/membw/membw_suite.hpp"
#include "suites/membw/stream_oracle.hpp"

using namespace exacheck;
using namespace exacheck::membw;

namespace {

constexpr double scalar = 0.4;

run_context cuda_context() {
  run_context ctx;
  ctx.backend = "cuda";
  ctx.measurement.max_time_s = 60;
  return ctx;
}

std::unique_ptr<stream_backend> make_backend() {
  exacheck::gpus().select_device(0);
  return exacheck::make_backend<stream_backend>(cuda_context());
}

// Runs copy → scale → add → triad → dot `iterations` times and checks every element and the last dot
// against the replay: each kernel one blocking call, or with `calls` > 0 one timed batch of that many calls,
// as the suite does.
correctness run_and_check(stream_backend& backend, const std::string& dtype, std::size_t elements,
                          int iterations, int calls = 0) {
  backend.init_arrays(elements, dtype, initial_a, initial_b, initial_c);
  double dot = 0;
  for (int i = 0; i < iterations; ++i) {
    if (calls > 0) {
      for (const auto& info : stream_kernels) dot = backend.time_batch(info.kernel, calls, scalar).dot_sum;
      continue;
    }
    backend.copy();
    backend.scale(scalar);
    backend.add();
    backend.triad(scalar);
    dot = backend.dot();
  }
  std::vector<double> a, b, c;
  backend.read_arrays(a, b, c);
  return check_stream_results(dtype, replay_stream(dtype, scalar, iterations, elements), a, b, c, dot);
}

// The CUDA backend with a fault planted in dot's sum.
class wrong_dot_backend final : public exacheck::testing::forwarding_stream_backend<> {
 public:
  using forwarding_stream_backend::forwarding_stream_backend;
  stream_batch time_batch(stream_kernel kernel, int calls, double scalar) override {
    stream_batch batch = inner().time_batch(kernel, calls, scalar);
    batch.dot_sum *= 1 + 1e-6;
    return batch;
  }
};

param_values membw_params(const std::string& dtype, std::uint64_t array_bytes) {
  return {{"array_bytes", array_bytes}, {"dtype", dtype}, {"scalar", scalar}, {"ntimes", 4}};
}

}  // namespace

TEST(cuda_stream, fp64_kernels_match_the_scalar_replay) {
  SKIP_WITHOUT_GPU();
  const auto backend = make_backend();
  const correctness check = run_and_check(*backend, "fp64", std::size_t{1} << 22, 3);
  EXPECT_TRUE(check.passed) << check.detail;
}

TEST(cuda_stream, fp32_kernels_match_the_scalar_replay) {
  SKIP_WITHOUT_GPU();
  const auto backend = make_backend();
  const correctness check = run_and_check(*backend, "fp32", std::size_t{1} << 22, 3);
  EXPECT_TRUE(check.passed) << check.detail;
}

TEST(cuda_stream, a_batch_of_one_kernel_leaves_the_arrays_as_one_call_does) {
  SKIP_WITHOUT_GPU();
  const auto backend = make_backend();
  for (const std::string dtype : {"fp64", "fp32"}) {
    const correctness check = run_and_check(*backend, dtype, std::size_t{1} << 22, 3, 4);
    EXPECT_TRUE(check.passed) << dtype << ": " << check.detail;
  }
}

TEST(cuda_stream, sizes_that_leave_a_tail_after_the_16_byte_packs_are_computed_whole) {
  SKIP_WITHOUT_GPU();
  const auto backend = make_backend();  // one backend, re-initialised: arrays are reallocated each time
  for (const std::string dtype : {"fp64", "fp32"})
    for (const std::size_t elements :
         {std::size_t{1}, std::size_t{3}, std::size_t{5}, std::size_t{1000003}, (std::size_t{1} << 22) + 3}) {
      const correctness check = run_and_check(*backend, dtype, elements, 2);
      EXPECT_TRUE(check.passed) << dtype << " × " << elements << ": " << check.detail;
    }
}

TEST(cuda_stream, implementation_names_the_device_grid_and_vector_width) {
  SKIP_WITHOUT_GPU();
  const auto backend = make_backend();
  EXPECT_NE(backend->implementation().find("CUDA device 0"), std::string::npos) << backend->implementation();
  backend->init_arrays(std::size_t{1} << 20, "fp64", initial_a, initial_b, initial_c);
  const std::string fp64 = backend->implementation();
  EXPECT_NE(fp64.find("blocks ×"), std::string::npos) << fp64;
  EXPECT_NE(fp64.find("16-byte double2"), std::string::npos) << fp64;
  backend->init_arrays(std::size_t{1} << 20, "fp32", initial_a, initial_b, initial_c);
  EXPECT_NE(backend->implementation().find("16-byte float4"), std::string::npos) << backend->implementation();
}

TEST(cuda_stream, kernels_before_init_and_unsupported_dtypes_are_errors) {
  SKIP_WITHOUT_GPU();
  const auto backend = make_backend();
  EXPECT_THROW(backend->copy(), std::logic_error);
  EXPECT_THROW(backend->dot(), std::logic_error);
  EXPECT_THROW(backend->time_batch(stream_kernel::triad, 1, scalar), std::logic_error);
  EXPECT_FALSE(backend->unsupported_reason("fp64").has_value());
  EXPECT_FALSE(backend->unsupported_reason("fp32").has_value());
  ASSERT_TRUE(backend->unsupported_reason("fp16").has_value());
  EXPECT_THROW(backend->init_arrays(16, "fp16", 1, 2, 3), std::invalid_argument);
  EXPECT_THROW(backend->init_arrays(0, "fp64", 1, 2, 3), std::invalid_argument);
}

TEST(cuda_stream, every_kernel_batch_reports_its_device_time_within_the_host_time_around_it) {
  SKIP_WITHOUT_GPU();
  const auto backend = make_backend();
  backend->init_arrays(std::size_t{1} << 24, "fp64", initial_a, initial_b, initial_c);  // 128 MiB arrays
  for (const auto& info : stream_kernels)
    for (const int calls : {1, 3}) {
      const auto start = std::chrono::steady_clock::now();
      const stream_batch batch = backend->time_batch(info.kernel, calls, scalar);
      const double host_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      EXPECT_EQ(batch.time.clock, batch_clock::device) << info.label;
      EXPECT_GT(batch.time.seconds, 0) << info.label;
      EXPECT_LE(batch.time.seconds, host_s) << info.label << ": the events lie inside the blocking call";
    }
}

TEST(cuda_stream, membw_suite_runs_verified_on_the_cuda_backend) {
  SKIP_WITHOUT_GPU();
  exacheck::gpus().select_device(0);
  const auto s = make_membw_suite();
  for (const std::string dtype : {"fp64", "fp32"}) {
    const auto points = s->run(cuda_context(), "membw", membw_params(dtype, std::uint64_t{64} << 20));
    ASSERT_EQ(points.size(), 1u);
    const point_result& point = points.front();
    EXPECT_TRUE(point.check.checked);
    EXPECT_TRUE(point.check.passed) << dtype << ": " << point.check.detail;
    ASSERT_EQ(point.metrics.size(), 5u);
    for (const auto& metric : point.metrics) {
      EXPECT_EQ(metric.unit, "GB/s");
      EXPECT_TRUE(std::isfinite(metric.value) && metric.value > 0) << metric.name << " = " << metric.value;
      EXPECT_NE(metric.description.find("CUDA device"), std::string::npos) << metric.description;
      EXPECT_NE(metric.description.find("timed by device events"), std::string::npos) << metric.description;
    }
  }
}

TEST(cuda_stream, planted_wrong_dot_is_incorrect) {
  SKIP_WITHOUT_GPU();
  exacheck::gpus().select_device(0);
  const auto planted =
      wrap_backend<stream_backend>("cuda", [](std::unique_ptr<stream_backend> real, const run_context&) {
        return std::make_unique<wrong_dot_backend>(std::move(real));
      });
  const auto s = make_membw_suite();
  const auto points = s->run(cuda_context(), "membw", membw_params("fp64", std::uint64_t{8} << 20));
  ASSERT_EQ(points.size(), 1u);
  EXPECT_TRUE(points.front().check.checked);
  EXPECT_FALSE(points.front().check.passed);
  EXPECT_NE(points.front().check.detail.find("dot"), std::string::npos) << points.front().check.detail;
}
