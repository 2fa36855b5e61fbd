// exacheck node-check end to end, as Slurm's hooks run it: silent and exit 0 on a healthy node, one NHC-style
// line and a non-zero exit on a failing one, results under OUT_ROOT/<host>/<UTC time> with a `latest` link,
// and the job around a prolog (SLURM_* of other nodes) never taken for this node's.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "../support/cli_runner.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {
const fs::path source_dir = EXACHECK_SOURCE_DIR;
constexpr const char* prefix = "ERROR:  exacheck:  Health check failed:  ";

std::string this_host() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

// The runs under OUT_ROOT/<host>/, `latest` left out.
std::vector<fs::path> runs_of(const fs::path& root) {
  std::vector<fs::path> runs;
  for (const auto& entry : fs::directory_iterator(root / this_host()))
    if (entry.path().filename() != "latest") runs.push_back(entry.path());
  return runs;
}
}  // namespace

TEST(node_check_cli, healthy_node_prints_nothing_exits_0_and_files_its_run_by_host_and_time) {
  const auto dir = fresh_temp_dir("node-check-pass");
  // As in a Slurm prolog: the job's variables describe four other nodes; node-check must not use them.
  ::setenv("SLURM_JOB_ID", "4242", 1);
  ::setenv("SLURM_JOB_NODELIST", "gpu[101-104]", 1);
  ::setenv("SLURM_NNODES", "4", 1);
  const auto start = std::chrono::steady_clock::now();
  const auto result = run_cli({"node-check", "--out-root", (dir / "root").string()}, dir / "output.txt");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::unsetenv("SLURM_JOB_ID");
  ::unsetenv("SLURM_JOB_NODELIST");
  ::unsetenv("SLURM_NNODES");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "");
  const auto runs = runs_of(dir / "root");
  ASSERT_EQ(runs.size(), 1u);
  // <UTC time> as YYYYmmddTHHMMSSZ: sorts by time, one per check.
  EXPECT_EQ(runs[0].filename().string().size(), 16u) << runs[0];
  EXPECT_EQ(runs[0].filename().string().back(), 'Z');
  EXPECT_EQ(fs::read_symlink(dir / "root" / this_host() / "latest"), runs[0].filename());
  for (const char* file : {"run.json", "report.md", "metrics.prom", "node-check.log"})
    EXPECT_TRUE(fs::exists(runs[0] / file)) << file;
  const auto run = read_json(runs[0] / "run.json");
  EXPECT_EQ(run["plan"]["name"], "node-check");
  EXPECT_EQ(run["verdict"], "PASS");
  EXPECT_EQ(run["provenance"]["hosts"], nlohmann::json::array({this_host()}));
  EXPECT_TRUE(run["provenance"]["slurm"].is_null()) << run["provenance"]["slurm"].dump();  // no job taken
  // The shipped plan is a one-minute check on a GPU node; on two shared CPU cores it takes ~15 s.
  EXPECT_LT(seconds, 120.0);
  std::cout << "node-check with the shipped plan took " << seconds << " s\n";
  fs::remove_all(dir);
}

TEST(node_check_cli, failing_check_prints_exactly_one_nhc_line_and_exits_non_zero) {
  const auto dir = fresh_temp_dir("node-check-fail");
  write_text(dir / "plan.yaml",
             "schema: exacheck/plan/v1\nname: node-check-fail\ndefaults: {launcher: mpirun, timeout: 60s, "
             "measure: {max_time: 100ms, min_time: 10ms}}\ncases:\n"
             "  - {name: loop, benchmark: selftest, params: {loop: 1000}}\n"
             "  - {name: wrong, benchmark: selftest, ranks: 2, params: {mode: wrong, rank: 1}}\n");
  const auto result =
      run_cli({"node-check", "--plan", (dir / "plan.yaml").string(), "--out-root", (dir / "root").string()},
              dir / "output.txt");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  const auto runs = runs_of(dir / "root");
  ASSERT_EQ(runs.size(), 1u);
  const std::string expected_start =
      std::string(prefix) + this_host() + " CPU 1 INCORRECT selftest correctness";
  EXPECT_EQ(result.output.rfind(expected_start, 0), 0u) << result.output;
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  EXPECT_NE(result.output.find("planted wrong answer"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(" (run " + runs[0].string() + ")\n"), std::string::npos) << result.output;
  EXPECT_EQ(read_json(runs[0] / "run.json")["verdict"], "INCORRECT");
  fs::remove_all(dir);
}

TEST(node_check_cli, a_plan_that_does_not_load_is_one_line_and_exit_2) {
  const auto dir = fresh_temp_dir("node-check-usage");
  const auto result =
      run_cli({"node-check", "--plan", (dir / "absent.yaml").string(), "--out-root", (dir / "root").string()},
              dir / "output.txt");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_EQ(result.output.rfind(prefix + this_host() + " plan: ", 0), 0u) << result.output;
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  fs::remove_all(dir);
}

TEST(node_check_cli, prom_textfile_is_published_and_a_failure_to_publish_is_a_failure) {
  const auto dir = fresh_temp_dir("node-check-prom");
  write_text(dir / "plan.yaml",
             "schema: exacheck/plan/v1\nname: node-check-tiny\ndefaults: {launcher: mpirun, timeout: 60s, "
             "measure: {max_time: 100ms, min_time: 10ms}}\ncases:\n"
             "  - {name: loop, benchmark: selftest, params: {loop: 1000}}\n");
  const auto published = run_cli({"node-check", "--plan", (dir / "plan.yaml").string(), "--out-root",
                                  (dir / "root").string(), "--prom-textfile", (dir / "node.prom").string()},
                                 dir / "published.txt");
  EXPECT_EQ(published.exit_code, 0) << published.output;
  EXPECT_EQ(published.output, "");
  EXPECT_EQ(slurp(dir / "node.prom"), slurp(dir / "root" / this_host() / "latest" / "metrics.prom"));
  // /proc takes no new file, even from root: the checks pass, the publishing fails, and so does the check.
  const auto unpublished = run_cli({"node-check", "--plan", (dir / "plan.yaml").string(), "--out-root",
                                    (dir / "root").string(), "--prom-textfile", "/proc/exacheck-test.prom"},
                                   dir / "unpublished.txt");
  EXPECT_EQ(unpublished.exit_code, 3) << unpublished.output;
  EXPECT_EQ(unpublished.output.rfind(prefix + this_host() +
                                         " checks passed, but the run's results could not be "
                                         "published (exit code 3)",
                                     0),
            0u)
      << unpublished.output;
  EXPECT_EQ(std::count(unpublished.output.begin(), unpublished.output.end(), '\n'), 1) << unpublished.output;
  fs::remove_all(dir);
}
