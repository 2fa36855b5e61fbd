// A system file's references against the plan that uses it: a reference for a benchmark the plan runs must
// match a point the plan can produce (else it is a typo that leaves a commitment unjudged), one for a
// benchmark the plan does not run is fine (system files are shared by plans), and every shipped plan
// validates with every shipped system file.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/core/registry.hpp"
#include "harness/plan/system_references.hpp"
#include "plan_test_support.hpp"

namespace exacheck {
namespace {

using testing::issue_with;
namespace fs = std::filesystem;

const std::string plan_yaml = R"(schema: exacheck/plan/v1
name: test
cases:
  - {name: g, benchmark: gemm, params: {n: 64, dtype: [fp64, fp32], m: [1024, 4096]}}
  - {name: ar, benchmark: allreduce, params: {bytes: [1KiB, 1MiB], dtype: fp32}}
)";

class system_references : public testing::plan_files {
 protected:
  // Loads `plan` and `system` with the fake registry and checks the references against the plan's launches.
  reference_coverage check(const std::string& plan, const std::string& system) {
    const auto p = load(plan);
    const auto s = load_system(write("system.yaml", system), m_registry);
    return check_references_against_plan(s, expand(p, m_registry), m_registry);
  }
  std::vector<validation_issue> issues(const std::string& plan, const std::string& system) {
    try {
      check(plan, system);
    } catch (const validation_error& e) {
      return e.issues();
    }
    ADD_FAILURE() << "the references passed, but should not have:\n" << system;
    return {};
  }
};

TEST_F(system_references, reference_matching_no_point_of_the_plan_names_the_values_it_runs) {
  const auto found = issues(plan_yaml, R"(schema: exacheck/system/v1
name: box
references:
  - {benchmark: gemm, metric: tflops, where: {dtype: fp64}, value: 1, unit: TFLOP/s}
  - {benchmark: gemm, metric: tflops, where: {dtype: bf16}, value: 1, unit: TFLOP/s}
  - {benchmark: gemm, metric: tflops, where: {m: 4069}, value: 1, unit: TFLOP/s}
  - {benchmark: allreduce, metric: busbw, where: {bytes: 1MiB}, value: 1, unit: GB/s}
  - {benchmark: allreduce, metric: busbw, where: {bytes: 2MiB}, value: 1, unit: GB/s}
)");
  ASSERT_EQ(found.size(), 3u);
  const auto dtype = issue_with(found, "reference #2 (gemm tflops) where dtype: bf16 matches no point");
  EXPECT_NE(dtype.message.find("its gemm cases run dtype = fp64, fp32"), std::string::npos) << dtype.message;
  EXPECT_EQ(dtype.where.line, 5);
  EXPECT_EQ(dtype.where.column, 54);
  EXPECT_NE(dtype.expected.find("a reference for a benchmark a plan does not run at all is fine"),
            std::string::npos);
  EXPECT_EQ(issue_with(found, "reference #3 (gemm tflops) where m: 4069").suggestion, "4096");
  // A size swept inside one launch: any of its values is a point; 2 MiB is none of them.
  const auto bytes = issue_with(found, "reference #5 (allreduce busbw) where bytes: 2MiB");
  EXPECT_NE(bytes.message.find("run bytes = 1KiB, 1MiB"), std::string::npos) << bytes.message;
}

TEST_F(system_references, values_run_only_by_different_cases_match_no_point) {
  const auto found = issues(R"(schema: exacheck/plan/v1
name: test
cases:
  - {name: a, benchmark: gemm, params: {n: 64, dtype: fp64, m: 1024}}
  - {name: b, benchmark: gemm, params: {n: 64, dtype: fp32, m: 4096}}
)",
                            R"(schema: exacheck/system/v1
name: box
references:
  - {benchmark: gemm, metric: tflops, where: {dtype: fp64, m: 4096}, value: 1, unit: TFLOP/s}
)");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("no gemm case runs all of these values together"), std::string::npos)
      << found[0].message;
}

TEST_F(system_references, references_for_benchmarks_the_plan_does_not_run_are_counted_not_refused) {
  const auto coverage = check(R"(schema: exacheck/plan/v1
name: test
cases: [{name: g, benchmark: gemm, params: {n: 64}}]
)",
                              R"(schema: exacheck/system/v1
name: box
references:
  - {benchmark: gemm, metric: tflops, value: 1, unit: TFLOP/s}
  - {benchmark: allreduce, metric: busbw, where: {bytes: 2MiB}, value: 1, unit: GB/s}
)");
  EXPECT_EQ(coverage.total, 2u);
  EXPECT_EQ(coverage.apply, 1u);
  EXPECT_EQ(coverage.for_other_benchmarks, 1u);
}

// The real suites: copybw reports d2d_bandwidth only where direction is d2d.
TEST_F(system_references, a_metric_reported_only_at_other_points_matches_nothing) {
  const auto& suites = registry::instance();
  const auto p = load_plan(write("plan.yaml", R"(schema: exacheck/plan/v1
name: test
cases: [{name: c, benchmark: copybw, params: {direction: h2d}}]
)"),
                           suites);
  const auto s = load_system(write("system.yaml", R"(schema: exacheck/system/v1
name: box
references:
  - {benchmark: copybw, metric: d2d_bandwidth, value: 1, unit: GB/s}
  - {benchmark: copybw, metric: d2d_bandwidth, where: {direction: h2d}, value: 1, unit: GB/s}
  - {benchmark: copybw, metric: h2d_bandwidth, value: 1, unit: GB/s}
)"),
                             suites);
  try {
    check_references_against_plan(s, expand(p, suites), suites);
    FAIL() << "references to d2d_bandwidth passed for a plan that copies h2d only";
  } catch (const validation_error& e) {
    ASSERT_EQ(e.issues().size(), 2u) << e.what();
    const auto never = issue_with(
        e.issues(),
        "reference #1 (copybw d2d_bandwidth): d2d_bandwidth is reported only where direction = d2d");
    EXPECT_NE(never.message.find("cases run direction = h2d"), std::string::npos) << never.message;
    EXPECT_EQ(never.where.line, 4);
    issue_with(e.issues(), "but this reference's where has direction: h2d");
  }
}

TEST(shipped_configs, every_shipped_plan_validates_with_every_shipped_system_file) {
  const fs::path configs = fs::path(EXACHECK_SOURCE_DIR) / "configs";
  const auto& suites = registry::instance();
  int pairs = 0;
  for (const auto& plan_file : fs::directory_iterator(configs / "plans"))
    for (const auto& system_file : fs::directory_iterator(configs / "systems")) {
      SCOPED_TRACE(plan_file.path().filename().string() + " with " + system_file.path().filename().string());
      const plan p = load_plan(plan_file.path().string(), suites);
      try {
        const auto checked = load_system_for_plan(system_file.path().string(), p, suites);
        EXPECT_GT(checked.references.apply, 0u);
        EXPECT_EQ(checked.references.apply + checked.references.for_other_benchmarks,
                  checked.system.references.size());
      } catch (const validation_error& e) {
        ADD_FAILURE() << e.what();
      }
      ++pairs;
    }
  EXPECT_GE(pairs, 9);
}

TEST(reference_applies_to_launch, where_and_the_metrics_condition_name_values_the_launch_runs) {
  reference ref;
  ref.benchmark = "allreduce";
  ref.metric = "busbw";
  ref.where = {{"bytes", 8}};
  const nlohmann::json launch = {{"bytes", {8, 64}}, {"dtype", "fp32"}};
  EXPECT_TRUE(reference_applies_to_launch(ref, nullptr, launch));
  ref.where = {{"bytes", 16}};
  EXPECT_FALSE(reference_applies_to_launch(ref, nullptr, launch));
  ref.where = nlohmann::json::object();
  metric_spec only_bf16{.name = "busbw", .unit = "GB/s", .only_where = {{"dtype", "bf16"}}};
  EXPECT_FALSE(reference_applies_to_launch(ref, &only_bf16, launch));
  EXPECT_EQ(where_text({{"dtype", "bf16"}, {"m", 8192}}), "{dtype: bf16, m: 8192}");
}

}  // namespace
}  // namespace exacheck
