// End-to-end: no stale or shared results. A run directory is written by one exacheck at a time, a run never
// lands on an earlier run's files unless asked to replace them, and a case never adopts a result it did not
// write.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "../support/cli_runner.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {

std::string plan_with(const std::string& cases) {
  return "schema: exacheck/plan/v1\nname: directory\n"
         "defaults: {launcher: mpirun, timeout: 60s, measure: {max_time: 200ms, min_time: 10ms}}\ncases:\n"
         "  - {name: first, benchmark: selftest, params: {loop: 1000}}\n" +
         cases;
}

// An `mpirun` first in PATH that fails the way a crashed launch does, after a second, before any worker
// writes a result.
class crashing_mpirun {
 public:
  explicit crashing_mpirun(const fs::path& dir) : m_old_path(std::getenv("PATH")) {
    fs::create_directories(dir / "bin");
    write_text(dir / "bin" / "mpirun",
               "#!/bin/sh\nsleep 1\necho 'fake mpirun: crashed before any rank started' >&2\nexit 1\n");
    fs::permissions(dir / "bin" / "mpirun", fs::perms::owner_all);
    ::setenv("PATH", ((dir / "bin").string() + ":" + m_old_path).c_str(), 1);
  }
  ~crashing_mpirun() { ::setenv("PATH", m_old_path.c_str(), 1); }
  crashing_mpirun(const crashing_mpirun&) = delete;
  crashing_mpirun& operator=(const crashing_mpirun&) = delete;

 private:
  std::string m_old_path;
};

std::string host_name() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

}  // namespace

TEST(run_directory, a_second_run_or_report_into_a_directory_in_use_exits_2_naming_pid_and_host) {
  const auto dir = fresh_temp_dir("in-use");
  write_text(dir / "plan.yaml",
             plan_with("  - {name: hang, benchmark: selftest, timeout: 30s, params: {mode: hang}}\n"));
  const std::string run_dir = (dir / "run").string();
  cli_result second, report;
  bool tried = false;
  const auto first =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", run_dir}, dir / "first.txt", [&](pid_t pid) {
        const auto hang = case_dir(dir / "run" / "cases", "hang");
        if (tried || hang.empty() || !fs::exists(hang / "worker.log")) return;
        second = run_cli({"run", (dir / "plan.yaml").string(), "--out", run_dir}, dir / "second.txt");
        report = run_cli({"report", run_dir}, dir / "report.txt");
        tried = true;
        ::kill(pid, SIGINT);
      });
  ASSERT_TRUE(tried) << first.output;
  EXPECT_EQ(second.exit_code, 2) << second.output;
  EXPECT_NE(second.output.find("in use by exacheck pid " + std::to_string(first.pid)), std::string::npos)
      << second.output;
  EXPECT_NE(second.output.find("on host " + host_name()), std::string::npos) << second.output;
  EXPECT_EQ(report.exit_code, 2) << report.output;
  EXPECT_NE(report.output.find("in use by exacheck pid " + std::to_string(first.pid)), std::string::npos)
      << report.output;
  // The first run went on undisturbed: its results are its own, and it ends as interrupted.
  EXPECT_EQ(first.exit_code, 130) << first.output;
  const auto run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(case_named(run, "first")["status"], "completed");
  EXPECT_EQ(case_named(run, "hang")["status"], "interrupted");
  // Once it has ended, the directory is free again.
  EXPECT_NE(run_cli({"report", run_dir}, dir / "report-after.txt").exit_code, 2);
}

TEST(run_directory, a_directory_that_holds_a_run_is_refused_unless_replace_which_removes_the_old_results) {
  const auto dir = fresh_temp_dir("replace");
  write_text(dir / "plan.yaml", plan_with("  - {name: victim, benchmark: selftest, params: {loop: 1000}}\n"));
  const std::string run_dir = (dir / "run").string();
  auto r = run_cli({"run", (dir / "plan.yaml").string(), "--out", run_dir}, dir / "run1.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto before = read_json(dir / "run" / "run.json");
  ASSERT_FALSE(case_named(before, "victim")["results"].empty());
  // Things the earlier run's directory may hold that --replace must never follow.
  fs::create_directories(dir / "outside");
  write_text(dir / "outside" / "keep.txt", "not exacheck's");
  fs::create_directory_symlink(dir / "outside", dir / "run" / "cases" / "zz-link");
  fs::remove(dir / "run" / "results.csv");
  fs::create_symlink(dir / "outside" / "keep.txt", dir / "run" / "results.csv");

  r = run_cli({"run", (dir / "plan.yaml").string(), "--out", run_dir}, dir / "run2.txt");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("already holds a run"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--replace"), std::string::npos) << r.output;
  EXPECT_EQ(read_json(dir / "run" / "run.json"), before);  // untouched

  // With --replace, and the case crashing before it writes anything: ERROR, not the earlier numbers.
  {
    const crashing_mpirun crash(dir);
    r = run_cli({"run", (dir / "plan.yaml").string(), "--out", run_dir, "--replace"}, dir / "run3.txt");
  }
  EXPECT_EQ(r.exit_code, 3) << r.output;
  const auto after = read_json(dir / "run" / "run.json");
  EXPECT_EQ(case_named(after, "victim")["outcome"], "ERROR");
  EXPECT_TRUE(case_named(after, "victim")["results"].empty());
  EXPECT_FALSE(fs::exists(dir / "run" / "cases" / "zz-link"));
  EXPECT_EQ(slurp(dir / "outside" / "keep.txt"), "not exacheck's");  // symlinks removed, never followed
}

// A result file that appears in a case's directory before the case launches — left by an earlier run, or
// written late by one of its orphaned workers — is never taken for the case's own.
TEST(run_directory, a_case_never_adopts_a_result_it_did_not_write) {
  const auto dir = fresh_temp_dir("stale");
  write_text(dir / "plan.yaml", plan_with("  - {name: victim, benchmark: selftest, params: {loop: 1000}}\n"));
  auto r = run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "earlier").string()}, dir / "1.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const fs::path stale = case_dir(dir / "earlier" / "cases", "victim") / "result.json";
  ASSERT_TRUE(fs::exists(stale));

  const crashing_mpirun crash(dir);
  bool planted = false;
  r = run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "2.txt",
              [&](pid_t) {
                // While the first case runs, the victim's directory receives the earlier run's result.
                const auto first = case_dir(dir / "run" / "cases", "first");
                if (planted || first.empty()) return;
                const auto victim = dir / "run" / "cases" / stale.parent_path().filename();
                fs::create_directories(victim);
                fs::copy_file(stale, victim / "result.json");
                write_text(victim / "worker.log", "the earlier run's log\n");
                planted = true;
              });
  ASSERT_TRUE(planted);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  const auto run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(case_named(run, "victim")["outcome"], "ERROR");
  EXPECT_TRUE(case_named(run, "victim")["results"].empty()) << case_named(run, "victim").dump();
  EXPECT_EQ(case_named(run, "victim")["log_tail"].get<std::string>().find("earlier run"), std::string::npos);
}
