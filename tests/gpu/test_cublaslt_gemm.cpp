// The cuBLASLt gemm backend (kernels/cuda/cublaslt_gemm.cpp) on the current device: every dtype the device
// supports multiplies 256 × 192 × 128 matrices and every entry of C matches the long double reference, every
// transpose is honoured (TN-only dtypes included), a planted wrong entry is found in every dtype, and the
// gemm suite reports a planted wrong answer as failed. Every test skips, with the runtime's reason, where no
// CUDA device is visible.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "../support/skip_without_gpu.hpp"
#include "kernels/cuda/gemm_types.hpp"
#include "kernels/cuda_backend.hpp"
#include "suites/gemm/gemm_oracle.hpp"
#include "suites/gemm/gemm_suite.hpp"

using namespace exacheck;
using namespace exacheck::gemm;

namespace {

const std::vector<std::string> all_dtypes = {"fp64", "fp32",     "tf32",     "fp16",
                                             "bf16", "fp8_e4m3", "fp8_e5m2", "int8"};
constexpr std::uint64_t seed = 2024;
constexpr std::uint64_t verify_seed = 77;

run_context cuda_context() {
  run_context ctx;
  ctx.backend = "cuda";
  ctx.measurement.warmup_iterations = 1;
  ctx.measurement.min_iterations = 3;
  ctx.measurement.max_iterations = 5;
  ctx.measurement.min_time_s = 0;
  ctx.measurement.max_time_s = 10;
  return ctx;
}

std::unique_ptr<gemm_backend> make_backend() {
  cuda::select_device(0);
  return cuda::make_gemm_backend(cuda_context());
}

int every_entry(const gemm_shape& shape) {
  return static_cast<int>(shape.m * shape.n);
}

// Larger than any correct entry's tolerance can be (|a|, |b| ≤ 1 so Σ|a·b| ≤ k; int8 is exact), so the
// planted entry is wrong in every dtype.
double planted_delta(const std::string& dtype, std::int64_t k) {
  return std::max(1.0, 4 * entry_tolerance(dtype, k, static_cast<long double>(k)));
}

// The cuBLASLt backend with one entry of C made wrong after every run.
class corrupting_backend final : public gemm_backend {
 public:
  explicit corrupting_backend(std::unique_ptr<gemm_backend> inner) : m_inner(std::move(inner)) {}
  std::optional<std::string> unsupported_reason(std::string_view dtype) const override {
    return m_inner->unsupported_reason(dtype);
  }
  void prepare(const gemm_shape& shape, std::string_view dtype, std::uint64_t seed_) override {
    m_shape = shape;
    m_dtype = std::string(dtype);
    m_inner->prepare(shape, dtype, seed_);
  }
  std::string implementation() const override { return m_inner->implementation(); }
  void run() override {
    m_inner->run();
    cuda::corrupt_gemm_output_for_testing(*m_inner, 0, 0, planted_delta(m_dtype, m_shape.k));
  }
  correctness verify(int samples, std::uint64_t seed_) const override {
    return m_inner->verify(samples, seed_);
  }

 private:
  std::unique_ptr<gemm_backend> m_inner;
  gemm_shape m_shape;
  std::string m_dtype;
};

}  // namespace

TEST(cublaslt_gemm, every_supported_dtype_matches_the_long_double_reference_on_every_entry) {
  SKIP_WITHOUT_GPU();
  const auto backend = make_backend();  // one backend, re-prepared per dtype
  const gemm_shape shape{256, 192, 128, false, false};
  int ran = 0;
  for (const auto& dtype : all_dtypes) {
    if (const auto reason = backend->unsupported_reason(dtype)) {
      std::cout << "[ skipped  ] " << dtype << ": " << *reason << "\n";
      continue;
    }
    backend->prepare(shape, dtype, seed);
    backend->run();
    const correctness check = backend->verify(every_entry(shape), verify_seed);
    EXPECT_TRUE(check.checked) << dtype;
    EXPECT_TRUE(check.passed) << dtype << ": " << check.detail << " [" << backend->implementation() << "]";
    ++ran;
  }
  EXPECT_GE(ran, 5) << "fp64, fp32, tf32, fp16 and bf16 run on every GPU exacheck targets (sm_80 and newer)";
}

TEST(cublaslt_gemm, every_transpose_is_honoured_including_tn_only_dtypes) {
  SKIP_WITHOUT_GPU();
  const auto backend = make_backend();
  for (const std::string dtype : {"fp64", "bf16", "fp8_e4m3", "fp8_e5m2", "int8"}) {
    if (backend->unsupported_reason(dtype)) continue;
    for (const bool transa : {false, true})
      for (const bool transb : {false, true}) {
        const gemm_shape shape{64, 48, 32, transa, transb};
        backend->prepare(shape, dtype, seed);
        backend->run();
        const correctness check = backend->verify(every_entry(shape), verify_seed);
        EXPECT_TRUE(check.passed) << dtype << " op(A)=" << (transa ? 't' : 'n')
                                  << " op(B)=" << (transb ? 't' : 'n') << ": " << check.detail;
      }
  }
}

TEST(cublaslt_gemm, a_planted_wrong_entry_is_found_in_every_dtype) {
  SKIP_WITHOUT_GPU();
  const auto backend = make_backend();
  const gemm_shape shape{256, 192, 128, false, false};
  for (const auto& dtype : all_dtypes) {
    if (backend->unsupported_reason(dtype)) continue;
    backend->prepare(shape, dtype, seed);
    backend->run();
    cuda::corrupt_gemm_output_for_testing(*backend, 131, 67, planted_delta(dtype, shape.k));
    const correctness check = backend->verify(every_entry(shape), verify_seed);
    EXPECT_TRUE(check.checked) << dtype;
    EXPECT_FALSE(check.passed) << dtype << ": " << check.detail;
    EXPECT_NE(check.detail.find("C(131, 67)"), std::string::npos) << dtype << ": " << check.detail;
    EXPECT_NE(check.detail.find("1 of "), std::string::npos) << dtype << ": " << check.detail;
  }
}

TEST(cublaslt_gemm, gemm_suite_reports_a_planted_wrong_answer_as_failed) {
  SKIP_WITHOUT_GPU();
  cuda::select_device(0);
  const auto s = make_gemm_suite([](const run_context& ctx) -> std::unique_ptr<gemm_backend> {
    return std::make_unique<corrupting_backend>(cuda::make_gemm_backend(ctx));
  });
  const param_values params = {
      {"dtype", "bf16"},     {"m", 256}, {"n", 192}, {"k", 128}, {"transa", "n"}, {"transb", "n"},
      {"verify_samples", 16}};
  const auto points = s->run(cuda_context(), "gemm", params);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_TRUE(points.front().check.checked);
  EXPECT_FALSE(points.front().check.passed) << points.front().check.detail;
  EXPECT_NE(points.front().check.detail.find("C(0, 0)"), std::string::npos) << points.front().check.detail;
}

TEST(cublaslt_gemm, gemm_suite_runs_verified_on_the_cuda_backend) {
  SKIP_WITHOUT_GPU();
  cuda::select_device(0);
  const auto s = make_gemm_suite();
  const param_values params = {
      {"dtype", "fp64"},      {"m", 512}, {"n", 512}, {"k", 512}, {"transa", "t"}, {"transb", "n"},
      {"verify_samples", 256}};
  const auto points = s->run(cuda_context(), "gemm", params);
  ASSERT_EQ(points.size(), 1u);
  const point_result& point = points.front();
  EXPECT_FALSE(point.skipped_reason.has_value()) << point.skipped_reason.value_or("");
  EXPECT_TRUE(point.check.passed) << point.check.detail;
  ASSERT_FALSE(point.metrics.empty());
  EXPECT_EQ(point.metrics.front().unit, "TFLOP/s");
  EXPECT_TRUE(std::isfinite(point.metrics.front().value) && point.metrics.front().value > 0);
  EXPECT_NE(point.metrics.front().description.find("cuBLASLt"), std::string::npos)
      << point.metrics.front().description;
}

TEST(cublaslt_gemm, implementation_names_library_dtype_compute_type_and_algorithm) {
  SKIP_WITHOUT_GPU();
  const auto backend = make_backend();
  EXPECT_NE(backend->implementation().find("cuBLASLt"), std::string::npos) << backend->implementation();
  backend->prepare({128, 128, 128, false, false}, "tf32", seed);
  const std::string tf32 = backend->implementation();
  EXPECT_NE(tf32.find("tf32"), std::string::npos) << tf32;
  EXPECT_NE(tf32.find("CUBLAS_COMPUTE_32F_FAST_TF32"), std::string::npos) << tf32;
  EXPECT_NE(tf32.find("algorithm id"), std::string::npos) << tf32;
  EXPECT_NE(tf32.find("CUDA device 0"), std::string::npos) << tf32;
  if (!backend->unsupported_reason("fp8_e4m3")) {
    backend->prepare({128, 128, 128, false, false}, "fp8_e4m3", seed);
    const std::string fp8 = backend->implementation();
    EXPECT_NE(fp8.find("CUDA_R_8F_E4M3"), std::string::npos) << fp8;
    EXPECT_NE(fp8.find("op(A)=t op(B)=n (requested nn"), std::string::npos) << fp8;
  }
}

TEST(cublaslt_gemm, misuse_and_unsupported_dtypes_are_clear_errors) {
  SKIP_WITHOUT_GPU();
  const auto backend = make_backend();
  EXPECT_THROW(backend->run(), std::logic_error);
  EXPECT_THROW(backend->verify(16, verify_seed), std::logic_error);
  const auto reason = backend->unsupported_reason("fp4");
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("fp4"), std::string::npos) << *reason;
  EXPECT_THROW(backend->prepare({16, 16, 16, false, false}, "fp4", seed), std::invalid_argument);
  EXPECT_THROW(backend->prepare({0, 16, 16, false, false}, "fp64", seed), std::invalid_argument);
  EXPECT_THROW(backend->prepare({16, 16, cuda::gemm_types::int8_max_k + 1, false, false}, "int8", seed),
               std::invalid_argument);
  backend->prepare({16, 16, 16, false, false}, "fp64", seed);
  EXPECT_THROW(cuda::corrupt_gemm_output_for_testing(*backend, 16, 0, 1.0), std::out_of_range);
}
