// Sizes that cannot work are refused by plan validation (exit 2, file:line, the parameter and the limit) and
// again by the workers, which never allocate a wrapped-around size: a membw array of 2^64−1 bytes once
// segfaulted a worker, and a GEMM at m=n=k=2^32 reported 4e24 TFLOP/s.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../support/quick_context.hpp"
#include "harness/plan/plan.hpp"
#include "harness/core/registry.hpp"
#include "kernels/cpu/cpu_stream.hpp"
#include "kernels/cpu/host_memory.hpp"
#include "suites/gemm/gemm_suite.hpp"
#include "suites/membw/membw_suite.hpp"

namespace exacheck {
namespace {

namespace fs = std::filesystem;

class size_limits : public ::testing::Test {
 protected:
  void SetUp() override {
    m_path = fs::temp_directory_path() / ("exacheck-size-limits-" + std::to_string(::getpid()) + ".yaml");
  }
  void TearDown() override { fs::remove(m_path); }

  // Every issue of loading and expanding a one-case plan (`case_yaml` is the case's flow map), as it would be
  // printed; "" when it is valid.
  std::string issues_of(const std::string& case_yaml) {
    std::ofstream(m_path) << "schema: exacheck/plan/v1\nname: limits\ncases:\n  - " << case_yaml << "\n";
    try {
      expand(load_plan(m_path.string(), registry::instance()), registry::instance());
    } catch (const validation_error& e) {
      return e.what();
    }
    return "";
  }

  std::string place() const { return m_path.string() + ":4:"; }

  fs::path m_path;
};

TEST_F(size_limits, gemm_dimensions_past_32_bits_are_refused_naming_the_parameter_and_the_limit) {
  const std::string issues = issues_of("{name: g, benchmark: gemm, params: {m: 4294967296, n: 8, k: 8}}");
  EXPECT_NE(issues.find(place()), std::string::npos) << issues;
  EXPECT_NE(
      issues.find("parameter 'm' is '4294967296', out of range; expected an integer from 1 to 2147483647"),
      std::string::npos)
      << issues;
  EXPECT_NE(issues_of("{name: g, benchmark: gemm, params: {batch: 4294967296}}").find("parameter 'batch'"),
            std::string::npos);
}

TEST_F(size_limits, gemm_whose_matrices_no_node_holds_is_refused_before_anything_runs) {
  const std::string issues =
      issues_of("{name: g, benchmark: gemm, params: {m: 2097152, n: 2097152, k: 2097152}}");
  EXPECT_NE(issues.find(place()), std::string::npos) << issues;
  EXPECT_NE(
      issues.find("case 'g': matrices A, B and C of fp64 at m=2097152 n=2097152 k=2097152 batch=1 are 96 "
                  "TiB per rank, above the 64 TiB any node holds"),
      std::string::npos)
      << issues;
  // A batch multiplies the memory: 64 products of 8192² fp64 matrices are 96 GiB, fine; 2^20 of them are not.
  EXPECT_EQ(issues_of("{name: g, benchmark: gemm, params: {m: 8192, n: 8192, k: 8192, batch: 64}}"), "");
  EXPECT_NE(issues_of("{name: g, benchmark: gemm, params: {m: 8192, n: 8192, k: 8192, batch: 1048576}}")
                .find("above the 64 TiB"),
            std::string::npos);
}

TEST_F(size_limits, gemm_whose_operation_count_overflows_64_bits_is_refused) {
  // fp8 matrices of 2^21 × 2^21 fit in 16 TiB, but 2·m·n·k is 2^64 operations.
  const std::string issues =
      issues_of("{name: g, benchmark: gemm, params: {dtype: fp8_e4m3, m: 2097152, n: 2097152, k: 2097152}}");
  EXPECT_NE(issues.find("beyond a 64-bit count"), std::string::npos) << issues;
  // Only the point of a sweep that cannot run is named, once.
  const std::string sweep = issues_of(
      "{name: g, benchmark: gemm, params: {m: [1024, 2097152, 4194304], "
      "n: 2097152, k: 2097152}}");
  EXPECT_EQ(std::count(sweep.begin(), sweep.end(), '\n'), 0) << sweep;
  EXPECT_NE(sweep.find("m=2097152"), std::string::npos) << sweep;
}

TEST_F(size_limits, byte_sizes_beyond_what_a_node_holds_are_refused_for_every_suite) {
  EXPECT_NE(issues_of("{name: s, benchmark: membw, params: {array_bytes: 18446744073709551615}}")
                .find("parameter 'array_bytes' is '18446744073709551615', out of range"),
            std::string::npos);
  EXPECT_NE(issues_of("{name: c, benchmark: copybw, params: {bytes: 64TiB}}").find("parameter 'bytes'"),
            std::string::npos);
  EXPECT_NE(
      issues_of("{name: a, benchmark: allreduce, params: {bytes: [8, 64TiB]}}").find("parameter 'bytes'"),
      std::string::npos);
  EXPECT_NE(issues_of("{name: f, benchmark: flops, params: {inner_iterations: 1e15}}")
                .find("parameter 'inner_iterations'"),
            std::string::npos);
  EXPECT_EQ(issues_of("{name: s, benchmark: membw, params: {array_bytes: 16TiB}}"), "");
}

TEST_F(size_limits, every_size_and_count_parameter_of_every_suite_has_an_upper_bound) {
  for (const auto& benchmark : registry::instance().benchmark_names()) {
    if (benchmark == "selftest") continue;  // the harness's own test benchmark
    for (const auto& spec : registry::instance().find(benchmark)->parameters(benchmark)) {
      if (spec.type == param_type::integer || spec.type == param_type::bytes) {
        EXPECT_TRUE(spec.max.has_value()) << benchmark << " " << spec.name;
      }
    }
  }
}

TEST(worker_size_guards, a_stream_array_whose_bytes_wrap_around_is_an_error_naming_the_size) {
  // 2^61 doubles are 2^64 bytes: the product wrapped to 0 and the kernels wrote far past a 2 MiB array.
  membw::cpu_stream_backend backend(1, 0);
  try {
    backend.init_arrays(std::size_t{1} << 61, "fp64", 1, 2, 0);
    ADD_FAILURE() << "2^64 bytes of arrays were allocated";
  } catch (const std::length_error& e) {
    EXPECT_NE(std::string(e.what()).find("STREAM array"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("beyond 64 bits"), std::string::npos) << e.what();
  }
}

TEST(worker_size_guards, an_allocation_the_system_refuses_is_an_error_naming_its_size) {
  try {
    free(cpu::allocate_aligned(std::size_t{1} << 62, 64, "a test buffer", false));
    ADD_FAILURE() << "4 EiB were allocated";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("a test buffer"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("4611686018427387904 B"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cpu::allocate_aligned(SIZE_MAX - 10, 4096, "x", false), std::length_error);
}

TEST(worker_size_guards, a_gemm_case_file_past_the_limits_is_refused_by_the_worker_too) {
  // A case file is the controller's, but a worker never trusts it: m = 2^32 was cut to 0 by OpenBLAS's int.
  const auto suite = make_gemm_suite();
  const param_values params = {{"dtype", "fp64"}, {"m", 4294967296LL}, {"n", 8},     {"k", 8},
                               {"transa", "n"},   {"transb", "n"},     {"batch", 1}, {"verify_samples", 4}};
  EXPECT_THROW(suite->run(exacheck::testing::quick_context(), "gemm", params), std::invalid_argument);
  const auto membw = make_membw_suite();
  const param_values stream = {
      {"dtype", "fp64"}, {"array_bytes", 18446744073709551615ULL}, {"scalar", 0.4}, {"ntimes", 2}};
  EXPECT_THROW(membw->run(exacheck::testing::quick_context(), "membw", stream), std::invalid_argument);
}

}  // namespace
}  // namespace exacheck
