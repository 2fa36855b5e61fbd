// gemm's fast_accum parameter (cuBLASLt's fp8 fast accumulation): a boolean, off by default and then left out
// of the point's identity, so that plans and runs from before it keep their case ids and point params; true
// is part of the identity; true with a dtype that is not fp8 is a plan error; a backend without the mode
// SKIPs it with the reason; a backend that has it is handed it in the options; a reference cannot name its
// default.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "../support/forwarding_backends.hpp"
#include "../support/quick_context.hpp"
#include "harness/core/backends.hpp"
#include "harness/core/errors.hpp"
#include "harness/plan/plan.hpp"
#include "harness/core/registry.hpp"
#include "kernels/cpu/cpu_gemm.hpp"
#include "suites/gemm/gemm_suite.hpp"

using namespace exacheck;
using namespace exacheck::gemm;

namespace {

using exacheck::testing::quick_context;

class gemm_fast_accum : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    m_dir = std::filesystem::temp_directory_path() /
            ("exacheck-fast-accum-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(m_dir);
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }

  std::string write(const std::string& name, const std::string& text) {
    const auto path = m_dir / name;
    std::ofstream(path) << text;
    return path.string();
  }
  // The launches of a plan with one gemm case of `params` (YAML flow map), through the real gemm suite.
  std::vector<expanded_case> expand_gemm(const std::string& params) {
    const std::string plan_path = write("plan.yaml",
                                        "schema: exacheck/plan/v1\nname: fast\ncases:\n"
                                        "  - {name: gemm, benchmark: gemm, params: " +
                                            params + "}\n");
    return expand(load_plan(plan_path, registry::instance()), registry::instance());
  }
  // The issues expanding such a plan raises (none: the test fails).
  std::vector<validation_issue> expand_issues(const std::string& params) {
    try {
      expand_gemm(params);
    } catch (const validation_error& e) {
      return e.issues();
    }
    ADD_FAILURE() << "the plan expanded, but it should not have: " << params;
    return {};
  }

  std::filesystem::path m_dir;
};

// What every gemm point of `dtype` at 8192³ was before fast_accum existed: every other parameter at its
// default.
nlohmann::json params_8192(const std::string& dtype) {
  return {{"autotune", false}, {"batch", 1},    {"dtype", dtype},       {"k", 8192}, {"m", 8192}, {"n", 8192},
          {"transa", "n"},     {"transb", "n"}, {"verify_samples", 256}};
}

// A backend that runs every dtype as the cpu backend's fp64, and records the options it was prepared with.
class option_recorder final : public exacheck::testing::forwarding_gemm_backend<cpu_gemm_backend> {
 public:
  explicit option_recorder(bool has_fast_accum)
      : forwarding_gemm_backend(std::make_unique<cpu_gemm_backend>(1)), m_has_fast_accum(has_fast_accum) {}
  std::optional<std::string> unsupported_reason(std::string_view) const override { return std::nullopt; }
  std::optional<std::string> fast_accum_unsupported_reason(std::string_view dtype) const override {
    return m_has_fast_accum ? std::nullopt : gemm_backend::fast_accum_unsupported_reason(dtype);
  }
  void prepare(const gemm_shape& shape, std::string_view, std::uint64_t seed,
               const gemm_options& options) override {
    prepared_with = options;
    inner().prepare(shape, "fp64", seed, options);
  }
  std::string implementation() const override { return "the option recorder"; }

  static inline std::optional<gemm_options> prepared_with;

 private:
  bool m_has_fast_accum;
};

param_values fp8_point(bool fast_accum) {
  param_values params = {{"dtype", "fp8_e4m3"}, {"m", 16}, {"n", 16}, {"k", 16}, {"verify_samples", 256}};
  if (fast_accum) params["fast_accum"] = true;
  return params;
}

}  // namespace

TEST(gemm_suite, fast_accum_is_a_boolean_off_by_default_and_left_out_of_the_identity_at_its_default) {
  const auto specs = make_gemm_suite()->parameters("gemm");
  const param_spec* fast_accum = find_param(specs, "fast_accum");
  ASSERT_NE(fast_accum, nullptr);
  EXPECT_EQ(fast_accum->type, param_type::boolean);
  EXPECT_EQ(fast_accum->default_value, false);
  EXPECT_TRUE(fast_accum->omitted_at_default);
  EXPECT_NE(fast_accum->doc.find("fp8"), std::string::npos) << fast_accum->doc;
  for (const auto& spec : specs) {  // every other parameter stays in the identity as before
    EXPECT_EQ(spec.omitted_at_default, spec.name == "fast_accum") << spec.name;
  }
}

TEST_F(gemm_fast_accum, a_plan_without_it_keeps_the_case_ids_and_params_it_had_before_fast_accum_existed) {
  const auto launches = expand_gemm("{dtype: [fp64, fp8_e4m3], m: 8192, n: 8192, k: 8192}");
  ASSERT_EQ(launches.size(), 2u);
  // The ids and params this plan expanded to before fast_accum was declared (exacheck at 861632d).
  EXPECT_EQ(launches[0].id, "gemm-cef76306");
  EXPECT_EQ(launches[0].params, params_8192("fp64"));
  EXPECT_EQ(launches[1].id, "gemm-f9c4a3a2");
  EXPECT_EQ(launches[1].params, params_8192("fp8_e4m3"));
}

TEST_F(gemm_fast_accum, false_in_the_plan_is_the_same_point_as_leaving_it_out) {
  const auto given = expand_gemm("{dtype: fp8_e4m3, m: 8192, n: 8192, k: 8192, fast_accum: false}");
  const auto left_out = expand_gemm("{dtype: fp8_e4m3, m: 8192, n: 8192, k: 8192}");
  ASSERT_EQ(given.size(), 1u);
  ASSERT_EQ(left_out.size(), 1u);
  EXPECT_EQ(given[0].id, left_out[0].id);
  EXPECT_EQ(given[0].params, left_out[0].params);
  EXPECT_FALSE(given[0].params.contains("fast_accum"));
}

TEST_F(gemm_fast_accum, both_ways_are_two_points_and_true_is_part_of_the_identity) {
  const auto launches =
      expand_gemm("{dtype: [fp8_e4m3, fp8_e5m2], m: 8192, n: 8192, k: 8192, fast_accum: [false, true]}");
  ASSERT_EQ(launches.size(), 4u);
  std::set<std::string> ids;
  for (const auto& launch : launches) ids.insert(launch.id);
  EXPECT_EQ(ids.size(), 4u);
  nlohmann::json fast = params_8192("fp8_e4m3");
  fast["fast_accum"] = true;
  EXPECT_EQ(launches[0].params, params_8192("fp8_e4m3"));
  EXPECT_EQ(launches[1].params, fast);
}

TEST_F(gemm_fast_accum, true_with_a_dtype_that_is_not_fp8_is_a_plan_error_naming_the_dtype) {
  for (const std::string dtype : {"fp64", "bf16", "int8"}) {
    const auto issues = expand_issues("{dtype: " + dtype + ", fast_accum: true}");
    ASSERT_EQ(issues.size(), 1u) << dtype;
    EXPECT_NE(issues[0].message.find("fast_accum: true with dtype " + dtype), std::string::npos)
        << issues[0].message;
    EXPECT_NE(issues[0].message.find("fp8"), std::string::npos) << issues[0].message;
  }
  // A worker handed such a point anyway refuses it before allocating anything.
  param_values point = fp8_point(true);
  point["dtype"] = "bf16";
  EXPECT_THROW(make_gemm_suite()->run(quick_context(), "gemm", point), std::invalid_argument);
}

TEST(gemm_suite, fast_accum_on_a_backend_without_the_mode_is_skipped_with_the_reason) {
  const scoped_backend<gemm_backend> planted(
      "cpu", [](const run_context&) { return std::make_unique<option_recorder>(false); });
  const auto s = make_gemm_suite();
  const auto points = s->run(quick_context(), "gemm", fp8_point(true));
  ASSERT_EQ(points.size(), 1u);
  ASSERT_TRUE(points[0].skipped_reason);
  EXPECT_NE(points[0].skipped_reason->find("has no such mode for fp8_e4m3"), std::string::npos)
      << *points[0].skipped_reason;
  EXPECT_EQ(points[0].params, fp8_point(true));  // recorded as asked
  EXPECT_TRUE(points[0].metrics.empty());
  // The cpu backend is such a backend: OpenBLAS has no fast accumulation (nor fp8 at all).
  cpu_gemm_backend cpu(1);
  const auto reason = cpu.fast_accum_unsupported_reason("fp8_e4m3");
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("OpenBLAS"), std::string::npos) << *reason;
}

TEST(gemm_suite, a_backend_with_fast_accumulation_is_handed_the_flag_and_the_point_records_it) {
  const scoped_backend<gemm_backend> planted(
      "cpu", [](const run_context&) { return std::make_unique<option_recorder>(true); });
  const auto s = make_gemm_suite();
  for (const bool fast_accum : {false, true}) {
    option_recorder::prepared_with.reset();
    const auto points = s->run(quick_context(), "gemm", fp8_point(fast_accum));
    ASSERT_EQ(points.size(), 1u);
    ASSERT_FALSE(points[0].skipped_reason) << *points[0].skipped_reason;
    EXPECT_TRUE(points[0].check.passed) << points[0].check.detail;
    ASSERT_TRUE(option_recorder::prepared_with);
    EXPECT_EQ(option_recorder::prepared_with->fast_accum, fast_accum);
    EXPECT_EQ(points[0].params.contains("fast_accum"), fast_accum);
    const metric* time = exacheck::testing::find_metric(points[0], "time");
    ASSERT_NE(time, nullptr);
    EXPECT_EQ(time->description.find("fast_accum") != std::string::npos, fast_accum) << time->description;
  }
}

TEST_F(gemm_fast_accum, a_reference_cannot_name_it_at_its_default_but_can_name_true) {
  const std::string head = "schema: exacheck/system/v1\nname: s\nreferences:\n";
  try {
    load_system(write("default.yaml", head + "  - {benchmark: gemm, metric: tflops, where: {dtype: fp8_e4m3, "
                                             "fast_accum: false}, value: 1000, unit: TFLOP/s}\n"),
                registry::instance());
    ADD_FAILURE() << "a reference naming fast_accum: false loaded";
  } catch (const validation_error& e) {
    ASSERT_EQ(e.issues().size(), 1u);
    EXPECT_NE(e.issues()[0].message.find("'fast_accum' at its default (false) names no point"),
              std::string::npos)
        << e.issues()[0].message;
  }
  const system_spec system =
      load_system(write("true.yaml", head + "  - {benchmark: gemm, metric: tflops, where: {dtype: fp8_e4m3, "
                                            "fast_accum: true}, value: 1300, unit: TFLOP/s}\n"),
                  registry::instance());
  ASSERT_EQ(system.references.size(), 1u);
  nlohmann::json fast = params_8192("fp8_e4m3");
  fast["fast_accum"] = true;
  EXPECT_EQ(matching_references(system, "gemm", "tflops", fast).size(), 1u);
  EXPECT_TRUE(matching_references(system, "gemm", "tflops", params_8192("fp8_e4m3")).empty());
}
