// End-to-end: a run that did not finish — its controller killed, hung up on, or out of disk — is never green,
// leaves no launched process behind, and `exacheck report` says which cases never finished.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "../support/cli_runner.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {

// The pids of living processes whose command line holds `text` (a zombie's command line is empty).
std::vector<pid_t> processes_with_argument(const std::string& text) {
  std::vector<pid_t> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string command_line = slurp(entry.path() / "cmdline");
    std::replace(command_line.begin(), command_line.end(), '\0', ' ');
    if (command_line.find(text) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

std::string plan_with(const std::string& cases) {
  return "schema: exacheck/plan/v1\nname: unfinished\n"
         "defaults: {launcher: mpirun, timeout: 10m, measure: {max_time: 200ms, min_time: 10ms}}\ncases:\n"
         "  - {name: first, benchmark: selftest, params: {loop: 1000}}\n" +
         cases + "  - {name: last, benchmark: selftest, params: {loop: 1000}}\n";
}

}  // namespace

TEST(unfinished_runs, controller_killed_mid_case_leaves_no_process_and_an_incomplete_run_in_every_file) {
  const auto dir = fresh_temp_dir("killed");
  write_text(dir / "plan.yaml",
             plan_with("  - {name: hang, benchmark: selftest, ranks: 2, params: {mode: hang}}\n"));
  // Unique to this test: the hanging case's directory is in the command line of mpirun and of each rank.
  const std::string hang_cases = (dir / "run" / "cases" / "hang-").string();
  bool killed = false;
  const auto result = run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()},
                              dir / "out.txt", [&](pid_t controller) {
                                // Once mpirun and both ranks run: mpirun, then two `exacheck worker`s.
                                if (killed || processes_with_argument(hang_cases).size() < 3) return;
                                ::kill(controller, SIGKILL);
                                killed = true;
                              });
  ASSERT_TRUE(killed) << result.output;
  EXPECT_EQ(result.exit_code, 128 + SIGKILL);
  // Within a bounded time no process of the case is left: mpirun and its ranks die with the controller.
  std::vector<pid_t> left;
  for (int waited_ms = 0; waited_ms < 15000; waited_ms += 100) {
    left = processes_with_argument(hang_cases);
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(left.empty()) << left.size() << " process(es) of the hanging case outlived the controller";
  for (const pid_t pid : left) ::kill(pid, SIGKILL);  // never leave them spinning after a failure

  // run.json as the controller left it: not finished, never green.
  const auto run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(run["verdict"], "INCOMPLETE");
  EXPECT_EQ(run["exit_code"], 3);
  EXPECT_EQ(run["complete"], false);
  EXPECT_EQ(case_named(run, "first")["status"], "completed");
  const auto& unfinished = run["summary"]["unfinished_cases"];
  ASSERT_EQ(unfinished.size(), 2u) << unfinished.dump();
  EXPECT_EQ(unfinished[0]["name"], "hang");
  EXPECT_EQ(unfinished[1]["name"], "last");
  const std::string hang_id = unfinished[0]["id"];

  // `exacheck report` on it: which cases never finished, INCOMPLETE, exit 3, in every file.
  const auto report = run_cli({"report", (dir / "run").string()}, dir / "report.txt");
  EXPECT_EQ(report.exit_code, 3) << report.output;
  EXPECT_NE(report.output.find("verdict INCOMPLETE"), std::string::npos) << report.output;
  EXPECT_NE(report.output.find("2 case(s) never finished"), std::string::npos) << report.output;
  EXPECT_NE(report.output.find(hang_id), std::string::npos) << report.output;
  const std::string md = slurp(dir / "run" / "report.md");
  EXPECT_NE(md.find("**Verdict: INCOMPLETE**"), std::string::npos) << md;
  EXPECT_NE(md.find("`" + hang_id + "` (pending)"), std::string::npos) << md;
  EXPECT_NE(slurp(dir / "run" / "report.html").find("Verdict: INCOMPLETE"), std::string::npos);
  const std::string junit = slurp(dir / "run" / "junit.xml");
  const auto hang_suite = junit.find("<testsuite name=\"" + hang_id + "\"");
  ASSERT_NE(hang_suite, std::string::npos) << junit;
  EXPECT_NE(junit.find("<error message=\"never finished", hang_suite), std::string::npos) << junit;
  EXPECT_NE(slurp(dir / "run" / "metrics.prom").find("exacheck_run_exit_code{plan=\"unfinished\"} 3"),
            std::string::npos);
  EXPECT_EQ(read_json(dir / "run" / "run.json")["verdict"], "INCOMPLETE");
}

TEST(unfinished_runs, report_completes_a_run_whose_cases_were_all_recorded_and_exits_with_its_verdict) {
  const auto dir = fresh_temp_dir("report-completes");
  write_text(dir / "plan.yaml", plan_with(""));
  auto r = run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "run.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // run.json as the last save after a case leaves it when the controller dies before its final one: every
  // case recorded, no analysis, not complete.
  auto run = read_json(dir / "run" / "run.json");
  run.erase("analysis");
  run["complete"] = false;
  run["verdict"] = "INCOMPLETE";
  run["exit_code"] = 3;
  run["provenance"]["finished_at"] = nullptr;
  write_text(dir / "run" / "run.json", run.dump());
  r = run_cli({"report", (dir / "run").string()}, dir / "report.txt");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("complete now"), std::string::npos) << r.output;
  run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(run["verdict"], "PASS");
  EXPECT_EQ(run["complete"], true);
  EXPECT_TRUE(run.contains("analysis"));

  // And `report` exits with the verdict's code: 1 for a run with a wrong answer.
  write_text(dir / "wrong.yaml",
             plan_with("  - {name: wrong, benchmark: selftest, ranks: 2, params: {mode: wrong, rank: 1}}\n"));
  r = run_cli({"run", (dir / "wrong.yaml").string(), "--out", (dir / "wrong").string()}, dir / "wrong.txt");
  ASSERT_EQ(r.exit_code, 1) << r.output;
  r = run_cli({"report", (dir / "wrong").string()}, dir / "report-wrong.txt");
  EXPECT_EQ(r.exit_code, 1) << r.output;
}

TEST(unfinished_runs, sighup_stops_the_running_case_keeps_results_and_exits_130) {
  const auto dir = fresh_temp_dir("sighup");
  write_text(dir / "plan.yaml", plan_with("  - {name: hang, benchmark: selftest, params: {mode: hang}}\n"));
  bool sent = false;
  const auto result = run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()},
                              dir / "out.txt", [&](pid_t pid) {
                                const auto hang = case_dir(dir / "run" / "cases", "hang");
                                if (sent || hang.empty() || !fs::exists(hang / "worker.log")) return;
                                ::kill(pid, SIGHUP);
                                sent = true;
                              });
  ASSERT_TRUE(sent);
  EXPECT_EQ(result.exit_code, 130) << result.output;
  EXPECT_NE(result.output.find("interrupted (SIGHUP)"), std::string::npos) << result.output;
  const auto run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(run["verdict"], "INTERRUPTED");
  EXPECT_EQ(case_named(run, "first")["status"], "completed");
  EXPECT_FALSE(case_named(run, "first")["results"].empty());
  EXPECT_EQ(case_named(run, "hang")["status"], "interrupted");
  EXPECT_EQ(case_named(run, "last")["status"], "skipped");
  EXPECT_NE(slurp(dir / "run" / "report.md").find("**Verdict: INTERRUPTED**"), std::string::npos);
}

// A realistically full disk: the run directory on a 1 MiB tmpfs of a private mount namespace, the cases'
// results on the ordinary disk (bind-mounted), and the tmpfs filled while the second case runs. Every case
// passes; only run.json and the reports can no longer be written.
TEST(unfinished_runs, full_disk_mid_run_is_never_green_and_keeps_what_was_saved) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: mounts a tmpfs in a private mount namespace";
  const auto dir = fresh_temp_dir("full-disk");
  write_text(dir / "plan.yaml", plan_with("  - {name: slow, benchmark: selftest, params: {loop: 1000}, "
                                          "measure: {min_time: 2s, max_time: 3s}}\n"));
  const fs::path run_dir = dir / "run", store = dir / "store";
  fs::create_directories(run_dir);
  fs::create_directories(store);
  const pid_t child = ::fork();
  if (child == 0) {
    // Here only: a mount namespace of its own, so nothing is mounted for anyone else.
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", run_dir.c_str(), "tmpfs", 0, "size=1m") != 0)
      ::_exit(77);
    fs::create_directories(run_dir / "cases");
    if (::mount(store.c_str(), (run_dir / "cases").c_str(), nullptr, MS_BIND, nullptr) != 0) ::_exit(77);
    bool filled = false;
    const auto result = run_cli(
        {"run", (dir / "plan.yaml").string(), "--out", run_dir.string()}, dir / "out.txt", [&](pid_t) {
          const auto slow = case_dir(store, "slow");
          if (filled || slow.empty() || !fs::exists(slow / "worker.log")) return;
          const int fd = ::open((run_dir / "filler").c_str(), O_WRONLY | O_CREAT, 0644);
          const std::string chunk(64 * 1024, 'x');
          while (::write(fd, chunk.data(), chunk.size()) > 0) {
          }
          ::close(fd);
          filled = true;
        });
    // What the tmpfs holds goes with this namespace: copy it out for the test to read.
    fs::create_directories(dir / "saved");
    for (const auto& entry : fs::directory_iterator(run_dir))
      if (entry.is_regular_file() && entry.path().filename() != "filler")
        fs::copy_file(entry.path(), dir / "saved" / entry.path().filename());
    write_text(dir / "exit_code.txt", std::to_string(filled ? result.exit_code : -1));
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
    GTEST_SKIP() << "cannot mount a tmpfs in a private mount namespace here";
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const std::string output = slurp(dir / "out.txt");
  const int exit_code = std::stoi(slurp(dir / "exit_code.txt"));
  ASSERT_NE(exit_code, -1) << "the disk was never filled: " << output;
  EXPECT_EQ(exit_code, 3) << output;  // never 0
  EXPECT_NE(output.find("could not save run.json"), std::string::npos) << output;
  EXPECT_NE(output.find("No space left on device"), std::string::npos) << output;
  EXPECT_EQ(output.find("verdict: PASS"), std::string::npos) << output;
  // The run.json on disk is the last one that could be written: after the first case, not finished.
  const auto run = read_json(dir / "saved" / "run.json");
  EXPECT_EQ(run["verdict"], "INCOMPLETE");
  EXPECT_EQ(run["exit_code"], 3);
  EXPECT_EQ(run["complete"], false);
  EXPECT_EQ(case_named(run, "first")["status"], "completed");
  EXPECT_FALSE(case_named(run, "first")["results"].empty());
  // What the cases measured is kept, and no report that could be written says PASS.
  EXPECT_TRUE(fs::exists(case_dir(store, "slow") / "result.json"));
  EXPECT_TRUE(fs::exists(case_dir(store, "last") / "result.json"));
  for (const char* report : {"report.md", "report.html"}) {
    if (fs::exists(dir / "saved" / report)) {
      EXPECT_EQ(slurp(dir / "saved" / report).find("Verdict: PASS"), std::string::npos) << report;
    }
  }
  if (fs::exists(dir / "saved" / "metrics.prom")) {
    EXPECT_NE(slurp(dir / "saved" / "metrics.prom").find("exacheck_run_exit_code{plan=\"unfinished\"} 3"),
              std::string::npos);
  }
}
