// The site's OpenMP and BLAS environment never changes a figure's threads or placement. HPC sites set
// OMP_PROC_BIND, OMP_PLACES, OMP_NUM_THREADS=1, OPENBLAS_NUM_THREADS=1 … in every user's environment; with
// OMP_PROC_BIND=true a 2-core membw case ran one thread pinned to CPU 0 and reported half the bandwidth,
// silently. Each case here runs as the baseline (no such variable) and under one site setting, and must run
// the same threads on the same CPUs, with what was inherited and overridden recorded.
#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "../support/cli_runner.hpp"
#include "../support/slurm_allocation_fixtures.hpp"  // scoped_environment

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {

// Each benchmark's CPU case at a small size, one rank (threads: every CPU this process may use).
const char* const plan_text = R"(schema: exacheck/plan/v1
name: site-environment
defaults: {launcher: mpirun, ranks: 1, timeout: 2m,
           measure: {warmup_iterations: 1, min_iterations: 3, max_iterations: 5, min_time: 1ms, max_time: 200ms}}
cases:
  - {name: membw, benchmark: membw, params: {array_bytes: 8MiB, ntimes: 3}}
  - {name: gemm, benchmark: gemm, params: {dtype: fp64, m: 256, n: 256, k: 256}}
  - {name: flops, benchmark: flops, params: {dtype: fp64}}
  - {name: copybw, benchmark: copybw, params: {bytes: 4MiB, direction: d2d}}
)";

// What each case's rank ran: "<case>: <threads> thread(s), <placement>" from the metric descriptions
// ("2 fp64 thread(s) pinned to CPUs 0,1", "OpenBLAS … 2 threads") and the rank's threading record.
std::map<std::string, std::string> threads_and_placement(const nlohmann::json& run) {
  static const std::regex threads(R"((\d+)( fp64| fp32| bf16| OpenMP)? thread(s|\(s\)))");
  static const std::regex pinned(R"((pinned to CPUs [0-9,…]+|unpinned))");
  std::map<std::string, std::string> seen;
  for (const auto& c : run["cases"]) {
    std::string what;
    for (const auto& point : c["results"])
      for (const auto& metric : point["metrics"]) {
        const std::string description = metric.value("description", "");
        std::smatch m;
        if (std::regex_search(description, m, threads)) what += m[1].str() + " threads; ";
        if (std::regex_search(description, m, pinned)) what += m[1].str() + "; ";
      }
    seen[c["name"]] = what;
  }
  return seen;
}

nlohmann::json run_under(const std::map<std::string, std::string>& site, const std::string& name) {
  const auto dir = fresh_temp_dir("site-env-" + name);
  write_text(dir / "plan.yaml", plan_text);
  const scoped_environment environment(site);
  const auto result =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "out.txt");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return read_json(dir / "run" / "run.json");
}

}  // namespace

class site_environment : public ::testing::TestWithParam<std::map<std::string, std::string>> {};

TEST_P(site_environment, never_changes_a_cases_threads_or_placement) {
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "needs 2 CPUs: one CPU cannot show a halving";
  static const nlohmann::json baseline = run_under({}, "baseline");
  const auto expected = threads_and_placement(baseline);
  for (const auto& [name, what] : expected)
    ASSERT_FALSE(what.empty()) << name << ": no thread count described";
  const auto run = run_under(GetParam(), "site");
  EXPECT_EQ(threads_and_placement(run), expected);
  // What the site said is recorded, and what the workers got instead.
  for (const auto& c : run["cases"]) {
    const auto& threading = c["launch"]["threading"];
    for (const auto& [variable, value] : GetParam())
      EXPECT_EQ(threading["inherited"][variable], value) << c.dump();
    EXPECT_EQ(threading["set"]["OMP_PROC_BIND"], "false");
  }
}

INSTANTIATE_TEST_SUITE_P(common_site_settings, site_environment,
                         ::testing::Values(std::map<std::string, std::string>{{"OMP_PROC_BIND", "true"}},
                                           std::map<std::string, std::string>{{"OMP_PROC_BIND", "spread"},
                                                                              {"OMP_PLACES", "cores"}},
                                           std::map<std::string, std::string>{{"OMP_PROC_BIND", "close"},
                                                                              {"OMP_PLACES", "threads"}},
                                           std::map<std::string, std::string>{{"OMP_NUM_THREADS", "1"}},
                                           std::map<std::string, std::string>{
                                               {"OPENBLAS_NUM_THREADS", "1"}}));

TEST(site_environment, a_bound_controller_says_what_it_released) {
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "needs 2 CPUs";
  const auto run = run_under({{"OMP_PROC_BIND", "true"}}, "note");
  const std::string note = run["provenance"].value("openmp_binding", "");
  EXPECT_NE(note.find("OMP_PROC_BIND=true"), std::string::npos) << note;
  EXPECT_NE(note.find("released to the granted CPUs"), std::string::npos) << note;
  EXPECT_EQ(run["cases"][0]["launch"]["threading"]["overridden"], nlohmann::json::array({"OMP_PROC_BIND"}));
}
