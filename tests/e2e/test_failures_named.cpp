// Failures named by node, through the real CLI with a fake srun or mpirun (tests/support/fake_launcher.hpp)
// that fails as the real ones do — their own words, as Slurm 22.05.8 printed them on the dev cluster — and
// leaves the ranks' progress files as the worker writes them: a rank killed by a signal is named with its
// host and signal, a hang with its rank, host and point, a failed launch is retried once and recorded, and a
// lost allocation stops the run as INCOMPLETE listing the cases it could not run once.
#include <gtest/gtest.h>

#include <filesystem>

#include "../support/cli_runner.hpp"
#include "../support/fake_launcher.hpp"
#include "../support/slurm_allocation_fixtures.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {

struct outcome_of_run {
  cli_result cli;
  nlohmann::json run;
  fs::path dir;
};

outcome_of_run run_plan_with(const std::string& name, const std::string& launcher,
                             const std::string& scenario, const std::string& cases,
                             const std::string& defaults = "") {
  const auto dir = fresh_temp_dir("failures-" + name);
  write_text(dir / "plan.yaml", "schema: exacheck/plan/v1\nname: " + name + "\ndefaults: {launcher: " +
                                    launcher + ", timeout: 60s" + defaults + "}\ncases:\n" + cases);
  const fake_launcher fake(scenario, launcher);
  outcome_of_run outcome;
  outcome.dir = dir;
  outcome.cli =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "out.txt");
  outcome.run = read_json(dir / "run" / "run.json");
  return outcome;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST(failures_named, rank_killed_by_sigsegv_is_named_by_host_and_signal_in_every_report) {
  const auto [cli, run, dir] =
      run_plan_with("segv", "srun", "rank_segv",
                    "  - {name: crashing, benchmark: selftest, ranks: 4, params: {loop: 1000}}\n");
  EXPECT_EQ(cli.exit_code, 3) << cli.output;
  const auto& c = case_named(run, "crashing");
  EXPECT_EQ(c["outcome"], "ERROR");
  const std::string message = c["message"];
  // Not "exited with status 143": the rank, its host, the signal by name; srun's own exit decoded after it.
  EXPECT_TRUE(has(message, "rank 3 on node04 killed by SIGSEGV (Segmentation fault)")) << message;
  EXPECT_TRUE(has(message, "srun exited with status 143 (128+15: SIGTERM)")) << message;
  // The ranks srun terminated after it are consequences, not blamed.
  EXPECT_FALSE(has(message, "node01")) << message;
  const auto& failure = c["failure"];
  EXPECT_EQ(failure["cause"], "signal");
  EXPECT_EQ(failure["signal"], "SIGSEGV");
  EXPECT_EQ(failure["hosts"], nlohmann::json::array({"node04"}));
  EXPECT_EQ(failure["ranks"], nlohmann::json::array({3}));
  EXPECT_EQ(failure["launcher_message"], "srun: error: node04: task 3: Segmentation fault");
  EXPECT_EQ(failure["exit_status"], 143);
  EXPECT_EQ(failure["before_measuring"], false);
  // It failed while measuring: its failure is the result, never retried.
  EXPECT_FALSE(c.contains("attempts")) << c.dump();
  EXPECT_TRUE(has(cli.output, "rank 3 on node04 killed by SIGSEGV")) << cli.output;
  // The node is named first in the reports: among the devices that need attention, by its name.
  const std::string md = slurp(dir / "run" / "report.md");
  const auto devices = md.find("## Devices needing attention");
  ASSERT_NE(devices, std::string::npos) << md;
  EXPECT_NE(md.find("| node04 | (node) |", devices), std::string::npos) << md;
  EXPECT_TRUE(has(slurp(dir / "run" / "report.html"), "rank 3 on node04 killed by SIGSEGV"));
  EXPECT_TRUE(has(slurp(dir / "run" / "junit.xml"), "rank 3 on node04 killed by SIGSEGV"));
}

TEST(failures_named, hang_on_one_rank_is_a_timeout_naming_rank_host_point_and_the_limit) {
  const auto [cli, run, dir] = run_plan_with(
      "hang", "mpirun", "hang_rank",
      "  - {name: hanging, benchmark: selftest, ranks: 4, timeout: 2s, params: {loop: 1000}}\n");
  EXPECT_EQ(cli.exit_code, 3) << cli.output;
  const auto& c = case_named(run, "hanging");
  EXPECT_EQ(c["outcome"], "TIMEOUT");
  const std::string message = c["message"];
  // The limit is the plan's 2 s, whatever the time it took to stop the ranks.
  EXPECT_TRUE(has(message, "(limit 2 s)")) << message;
  EXPECT_TRUE(has(message, "timed out after ")) << message;
  EXPECT_TRUE(has(message, "rank 1 on node02 stuck measuring point 4/9")) << message;
  EXPECT_TRUE(has(message, "waiting, gathering results to rank 0")) << message;
  const auto& failure = c["failure"];
  EXPECT_EQ(failure["cause"], "timeout");
  EXPECT_EQ(failure["hosts"], nlohmann::json::array({"node02"}));
  EXPECT_EQ(failure["ranks"], nlohmann::json::array({1}));
  EXPECT_EQ(failure["timeout_s"], 2.0);
  EXPECT_TRUE(has(cli.output, "rank 1 on node02 stuck measuring point 4/9")) << cli.output;
}

TEST(failures_named, launch_failure_before_measuring_is_retried_once_then_recorded) {
  const auto [cli, run, dir] =
      run_plan_with("launch", "srun", "launch_failure",
                    "  - {name: unlaunched, benchmark: selftest, ranks: 4, params: {loop: 1000}}\n");
  EXPECT_EQ(cli.exit_code, 3) << cli.output;
  const auto& c = case_named(run, "unlaunched");
  EXPECT_EQ(c["outcome"], "ERROR");
  ASSERT_TRUE(c.contains("attempts")) << c.dump();
  ASSERT_EQ(c["attempts"].size(), 2u);  // the plan default: launch_retries 1
  for (const auto& attempt : c["attempts"]) {
    EXPECT_EQ(attempt["status"], "error");
    EXPECT_EQ(attempt["failure"]["cause"], "task_launch_failed");
    EXPECT_TRUE(has(attempt["message"], "task launch failed on node02: Communication connection failure"))
        << attempt.dump();
  }
  EXPECT_EQ(c["failure"]["hosts"], nlohmann::json::array({"node02"}));
  EXPECT_EQ(c["failure"]["before_measuring"], true);
  EXPECT_TRUE(has(c["message"], "(attempt 2 of 2; attempt 1: task launch failed on node02")) << c["message"];
  EXPECT_TRUE(has(c["message"], "ranks 0-3 never started")) << c["message"];
  EXPECT_TRUE(has(cli.output, "retrying (attempt 2 of 2)")) << cli.output;
  EXPECT_TRUE(has(slurp(dir / "run" / "report.md"), "attempt 2 of 2"));
}

TEST(failures_named, launch_failure_once_passes_on_the_retry_and_says_it_was_retried) {
  const auto [cli, run, dir] =
      run_plan_with("launch-once", "srun", "launch_failure_once",
                    "  - {name: flaky, benchmark: selftest, ranks: 2, params: {loop: 1000}}\n");
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  const auto& c = case_named(run, "flaky");
  EXPECT_EQ(c["outcome"], "PASS");
  ASSERT_EQ(c["attempts"].size(), 2u) << c.dump();
  EXPECT_EQ(c["attempts"][0]["outcome"], "ERROR");
  EXPECT_EQ(c["attempts"][1]["status"], "completed");
  EXPECT_TRUE(has(c["message"], "retried: passed on attempt 2 of 2")) << c["message"];
}

TEST(failures_named, launch_retries_zero_records_one_attempt) {
  const auto [cli, run, dir] = run_plan_with(
      "no-retry", "srun", "launch_failure",
      "  - {name: once, benchmark: selftest, ranks: 2, launch_retries: 0, params: {loop: 1000}}\n");
  EXPECT_EQ(cli.exit_code, 3) << cli.output;
  const auto& c = case_named(run, "once");
  EXPECT_EQ(c["outcome"], "ERROR");
  EXPECT_FALSE(c.contains("attempts")) << c.dump();
  EXPECT_FALSE(has(cli.output, "retrying")) << cli.output;
}

TEST(failures_named, allocation_gone_stops_the_run_incomplete_listing_the_cases_not_run_once) {
  const auto [cli, run, dir] =
      run_plan_with("gone", "srun", "allocation_gone",
                    "  - {name: first, benchmark: selftest, ranks: 2, params: {loop: 1000}}\n"
                    "  - {name: gone, benchmark: selftest, ranks: 2, params: {loop: 1000}}\n"
                    "  - {name: third, benchmark: selftest, ranks: 2, params: {loop: 1000}}\n"
                    "  - {name: fourth, benchmark: selftest, ranks: 2, params: {loop: 1000}}\n");
  EXPECT_EQ(cli.exit_code, 3) << cli.output;
  EXPECT_EQ(run["verdict"], "INCOMPLETE");
  EXPECT_EQ(run["complete"], false);
  EXPECT_EQ(case_named(run, "first")["outcome"], "PASS");
  const auto& gone = case_named(run, "gone");
  EXPECT_EQ(gone["outcome"], "ERROR");
  EXPECT_EQ(gone["failure"]["allocation_gone"], true);
  EXPECT_FALSE(gone.contains("attempts")) << "a lost allocation is never retried";
  // The cases after it did not run and carry no ERROR each: the run lists them once.
  for (const char* name : {"third", "fourth"}) {
    const auto& c = case_named(run, name);
    EXPECT_EQ(c["status"], "not_run");
    EXPECT_TRUE(c["checks"].empty()) << c.dump();
  }
  EXPECT_EQ(run["summary"]["counts"]["ERROR"], 1);
  const auto& stopped = run["stopped"];
  EXPECT_EQ(stopped["cause"], "allocation_gone");
  EXPECT_TRUE(has(stopped["reason"], "srun: error: Slurm job 12 has expired")) << stopped.dump();
  ASSERT_EQ(stopped["cases_not_run"].size(), 2u);
  EXPECT_EQ(stopped["cases_not_run"][0]["name"], "third");
  const auto& unfinished = run["summary"]["unfinished_cases"];
  ASSERT_EQ(unfinished.size(), 2u) << unfinished.dump();
  EXPECT_TRUE(has(cli.output, "stopped: the Slurm allocation is gone")) << cli.output;
  EXPECT_FALSE(has(cli.output, "[3/4]")) << "no launch after the allocation was gone: " << cli.output;
  const std::string md = slurp(dir / "run" / "report.md");
  EXPECT_TRUE(has(md, "The run stopped: the Slurm allocation is gone")) << md;
  EXPECT_TRUE(has(slurp(dir / "run" / "report.html"), "The run stopped: the Slurm allocation is gone"));
  EXPECT_TRUE(has(slurp(dir / "run" / "junit.xml"), "the Slurm allocation is gone"));
}

// Under sbatch a node failure reaches the run as Slurm's SIGTERM to every process of the job, the controller
// included (Slurm 22.05 on the dev cluster: srun printed "Node failure on node02" and the batch script got
// SIGTERM at once, `scontrol -o show job` saying JobState=COMPLETING). That is the allocation gone, not an
// operator's interrupt: INCOMPLETE with the cases not run listed once, never INTERRUPTED.
namespace {

// The line `scontrol -o show job 12` printed while the dev cluster's job 12 was being ended, with `state`.
std::string scontrol_printing(const std::string& state) {
  return "echo 'JobId=12 JobName=nightly UserId=root(0) GroupId=root(0) JobState=" + state +
         " Reason=None Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 NodeList=node[01-04] "
         "BatchHost=node01 NumNodes=4 NumCPUs=4 NumTasks=4'";
}

// A 4-rank plan of three cases run inside job 12 with the fake srun of `scenario`; SIGTERM is sent to the
// controller once case "dies" has every rank measuring; `scontrol` says the job's state is `state`.
outcome_of_run sigterm_while_dying(const std::string& name, const std::string& scenario,
                                   const std::string& state) {
  const auto dir = fresh_temp_dir("sigterm-" + name);
  write_text(dir / "plan.yaml",
             "schema: exacheck/plan/v1\nname: " + name +
                 "\ndefaults: {launcher: srun, timeout: 60s}\ncases:\n"
                 "  - {name: first, benchmark: selftest, ranks: 4, params: {loop: 1000}}\n"
                 "  - {name: dies, benchmark: selftest, ranks: 4, params: {loop: 1000}}\n"
                 "  - {name: after, benchmark: selftest, ranks: 4, params: {loop: 1000}}\n");
  const scoped_environment job(four_node_allocation("12"));
  const fake_launcher fake(scenario, "srun");
  fake.add_program("scontrol", scontrol_printing(state));
  bool sent = false;
  outcome_of_run outcome;
  outcome.dir = dir;
  outcome.cli = run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()},
                        dir / "out.txt", [&](pid_t pid) {
                          const auto dies = case_dir(dir / "run" / "cases", "dies");
                          if (sent || dies.empty() || !fs::exists(dies / "fake-measuring")) return;
                          ::kill(pid, SIGTERM);
                          sent = true;
                        });
  EXPECT_TRUE(sent) << outcome.cli.output;
  outcome.run = read_json(dir / "run" / "run.json");
  return outcome;
}

}  // namespace

TEST(failures_named, slurm_ending_the_job_by_sigterm_after_a_node_failure_is_incomplete_naming_the_node) {
  const auto [cli, run, dir] = sigterm_while_dying("node-fail", "slurm_ends_job", "COMPLETING");
  EXPECT_EQ(cli.exit_code, 3) << cli.output;
  EXPECT_EQ(run["verdict"], "INCOMPLETE");
  EXPECT_EQ(run["interrupted"], false);
  EXPECT_EQ(case_named(run, "first")["outcome"], "PASS");
  const auto& dies = case_named(run, "dies");
  EXPECT_EQ(dies["outcome"], "ERROR");
  EXPECT_EQ(dies["status"], "error");
  EXPECT_TRUE(has(dies["message"], "node02")) << dies.dump();
  EXPECT_EQ(dies["failure"]["cause"], "node_failure") << dies.dump();
  EXPECT_EQ(dies["failure"]["hosts"], nlohmann::json::array({"node02"})) << dies.dump();
  EXPECT_EQ(case_named(run, "after")["status"], "not_run");
  EXPECT_EQ(run["stopped"]["cause"], "allocation_gone");
  EXPECT_EQ(
      run["stopped"]["reason"],
      "the Slurm allocation (job 12) is gone: its state is COMPLETING (after srun: error: Node failure on "
      "node02)");
  EXPECT_EQ(run["summary"]["counts"]["ERROR"], 1);
  EXPECT_TRUE(has(cli.output, "stopped: the Slurm allocation (job 12) is gone")) << cli.output;
  EXPECT_FALSE(has(cli.output, "interrupted (SIGTERM)")) << cli.output;
  // The failed node leads the devices needing attention, before the nodes that only sent nothing.
  const auto node02 = cli.output.find("MISSING   node02"), node01 = cli.output.find("MISSING   node01");
  ASSERT_NE(node02, std::string::npos) << cli.output;
  EXPECT_LT(node02, node01) << cli.output;
  EXPECT_TRUE(
      has(slurp(dir / "run" / "report.md"), "The run stopped: the Slurm allocation (job 12) is gone"));
}

TEST(failures_named, slurm_ending_the_job_before_srun_says_why_is_incomplete_with_the_job_state) {
  const auto [cli, run, dir] = sigterm_while_dying("ending", "slurm_ends_job_silently", "COMPLETING");
  EXPECT_EQ(cli.exit_code, 3) << cli.output;
  EXPECT_EQ(run["verdict"], "INCOMPLETE");
  EXPECT_EQ(case_named(run, "dies")["outcome"], "ERROR");
  EXPECT_EQ(case_named(run, "after")["status"], "not_run");
  EXPECT_EQ(run["stopped"]["job_state"], "COMPLETING");
  EXPECT_TRUE(has(run["stopped"]["reason"], "the Slurm allocation (job 12) is gone: its state is COMPLETING"))
      << run["stopped"].dump();
}

TEST(failures_named, sigterm_while_the_job_still_runs_is_an_interrupt) {
  // Someone's `kill` (or scancel --signal=TERM of the batch step alone): the job is RUNNING, so the run was
  // interrupted, as before.
  const auto [cli, run, dir] = sigterm_while_dying("kill", "slurm_ends_job_silently", "RUNNING");
  EXPECT_EQ(cli.exit_code, 130) << cli.output;
  EXPECT_EQ(run["verdict"], "INTERRUPTED");
  EXPECT_FALSE(run.contains("stopped")) << run.dump();
  EXPECT_EQ(case_named(run, "dies")["status"], "interrupted");
  EXPECT_EQ(case_named(run, "after")["status"], "skipped");
  EXPECT_TRUE(has(cli.output, "interrupted (SIGTERM)")) << cli.output;
}
