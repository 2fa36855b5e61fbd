// Every benchmark through the real path — controller → mpirun → exacheck worker ranks → result → verdicts —
// with 1, 2 and 4 ranks (4 oversubscribes a 2-core machine: the launcher must handle that itself).
#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>
#include <set>

#include "../support/cli_runner.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {
struct benchmark_case {
  std::string benchmark;
  std::string params;  // YAML flow map
};

void PrintTo(const benchmark_case& b, std::ostream* out) {
  *out << b.benchmark << " " << b.params;
}

class benchmark_through_mpirun : public ::testing::TestWithParam<benchmark_case> {};

std::string plan_for(const benchmark_case& b) {
  std::string plan =
      "schema: exacheck/plan/v1\nname: integration-" + b.benchmark +
      "\ndefaults: {launcher: mpirun, timeout: 2m, measure: {warmup_iterations: 1, min_iterations: 3, "
      "max_iterations: 20, min_time: 1ms, max_time: 300ms}}\ncases:\n";
  for (int ranks : {1, 2, 4})
    plan += "  - {name: r" + std::to_string(ranks) + ", benchmark: " + b.benchmark +
            ", ranks: " + std::to_string(ranks) + ", params: " + b.params + "}\n";
  return plan;
}
}  // namespace

TEST_P(benchmark_through_mpirun, runs_verifies_and_reports_every_rank) {
  const auto& b = GetParam();
  const auto dir = fresh_temp_dir("integration-" + b.benchmark);
  write_text(dir / "plan.yaml", plan_for(b));
  const auto result =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "out.txt");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  const auto run = read_json(dir / "run" / "run.json");
  std::set<int> rank_counts;
  for (const auto& c : run["cases"]) rank_counts.insert(c["ranks"].get<int>());
  EXPECT_EQ(rank_counts, (std::set<int>{1, 2, 4}));
  for (const auto& c : run["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    EXPECT_EQ(c["status"], "completed") << c["message"] << "\n" << c["log_tail"];
    ASSERT_FALSE(c["results"].empty());
    int correctness_checks = 0;
    for (const auto& check : c["checks"]) {
      EXPECT_TRUE(check["outcome"] == "PASS" || check["outcome"] == "RECORDED") << check.dump();
      if (check["metric"] == "correctness") ++correctness_checks;
    }
    EXPECT_EQ(correctness_checks, static_cast<int>(c["results"].size()));  // every point verified
    for (const auto& point : c["results"]) EXPECT_EQ(point["ranks"].size(), c["ranks"].get<std::size_t>());
  }
}

INSTANTIATE_TEST_SUITE_P(
    all, benchmark_through_mpirun,
    ::testing::Values(benchmark_case{"gemm", "{dtype: [fp64, fp32], m: 96, n: 80, k: 64}"},
                      benchmark_case{"allreduce", "{bytes: [8, 4KiB, 64KiB], dtype: [fp32, int32, fp64]}"},
                      benchmark_case{"allgather", "{bytes: [64, 4KiB, 64KiB]}"},
                      benchmark_case{"reduce_scatter", "{bytes: [64, 4KiB, 64KiB]}"},
                      benchmark_case{"broadcast", "{bytes: [8, 4KiB, 64KiB]}"},
                      benchmark_case{"alltoall", "{bytes: [64, 4KiB, 64KiB]}"},
                      benchmark_case{"membw", "{array_bytes: 4MiB, ntimes: 4}"},
                      benchmark_case{"copybw", "{direction: d2d, bytes: [4KiB, 1MiB]}"},
                      benchmark_case{"flops", "{dtype: [fp64, fp32]}"}),
    [](const ::testing::TestParamInfo<benchmark_case>& info) { return info.param.benchmark; });
