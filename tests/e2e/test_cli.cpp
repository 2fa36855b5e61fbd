// End-to-end tests of the exacheck command line: real plans, real worker launches, real reports.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include "../support/cli_runner.hpp"
#include "harness/node/gpu_runtime.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {
const fs::path source_dir = EXACHECK_SOURCE_DIR;

// A small plan of harness self-tests: `extra` adds cases after an ordinary one.
std::string selftest_plan(const std::string& extra_cases, const std::string& defaults = "") {
  return "schema: exacheck/plan/v1\nname: e2e\ndefaults: {launcher: mpirun, timeout: 60s, measure: "
         "{max_time: 200ms, "
         "min_time: 10ms}" +
         defaults +
         "}\ncases:\n"
         "  - {name: first, benchmark: selftest, params: {loop: 1000}}\n" +
         extra_cases + "  - {name: last, benchmark: selftest, params: {loop: 1000}}\n";
}

}  // namespace

TEST(cli, quick_plan_passes_and_writes_every_report) {
  const auto dir = fresh_temp_dir("quick");
  const auto result =
      run_cli({"run", (source_dir / "configs/plans/quick.yaml").string(), "--out", (dir / "run").string()},
              dir / "output.txt");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  for (const char* file : {"run.json", "report.md", "junit.xml", "results.csv"})
    EXPECT_TRUE(fs::exists(dir / "run" / file)) << file;
  const auto run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(run["verdict"], "PASS");
  EXPECT_EQ(run["complete"], true);
  std::set<std::string> benchmarks;
  for (const auto& c : run["cases"]) {
    EXPECT_EQ(c["status"], "completed") << c["id"] << ": " << c["message"];
    benchmarks.insert(c["benchmark"].get<std::string>());
  }
  EXPECT_EQ(benchmarks, (std::set<std::string>{"gemm", "allreduce", "allgather", "reduce_scatter",
                                               "broadcast", "alltoall", "membw", "copybw", "flops"}));
  // The harness's own time outside the benchmarks stays under a second per case.
  EXPECT_LT(run["timing"]["aggregation_s"].get<double>() + run["timing"]["reports_s"].get<double>(), 1.0);
  EXPECT_NE(result.output.find("report.md"), std::string::npos);
  EXPECT_NE(result.output.find("verdict: PASS"), std::string::npos);
}

TEST(cli, broken_plan_exits_2_naming_file_line_and_suggestion) {
  const auto dir = fresh_temp_dir("broken");
  write_text(dir / "plan.yaml",
             "schema: exacheck/plan/v1\nname: broken\ncases:\n  - name: g\n    benchmark: gemm\n    parms: "
             "{m: 8}\n");
  const auto result =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "out.txt");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("plan.yaml:6:"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("params"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(dir / "run" / "run.json"));  // nothing ran
}

TEST(cli, unknown_benchmark_gets_a_did_you_mean) {
  const auto dir = fresh_temp_dir("unknown-benchmark");
  write_text(dir / "plan.yaml",
             "schema: exacheck/plan/v1\nname: p\ncases:\n  - {name: a, benchmark: alreduce}\n");
  const auto result = run_cli({"validate", (dir / "plan.yaml").string()}, dir / "out.txt");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("plan.yaml:4:"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("allreduce"), std::string::npos) << result.output;
}

TEST(cli, crashing_case_is_error_and_the_other_results_are_kept) {
  const auto dir = fresh_temp_dir("crash");
  write_text(
      dir / "plan.yaml",
      selftest_plan("  - {name: crash, benchmark: selftest, ranks: 2, params: {mode: crash, rank: 1}}\n"));
  const auto result =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "out.txt");
  EXPECT_EQ(result.exit_code, 3) << result.output;  // incomplete: an ERROR, no failed check
  const auto run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(case_named(run, "crash")["status"], "error");
  EXPECT_EQ(case_named(run, "crash")["outcome"], "ERROR");
  EXPECT_FALSE(case_named(run, "crash")["log_tail"].get<std::string>().empty());
  EXPECT_EQ(case_named(run, "first")["status"], "completed");
  EXPECT_EQ(case_named(run, "last")["status"], "completed");
  EXPECT_FALSE(case_named(run, "last")["results"].empty());
}

TEST(cli, hanging_case_times_out_and_the_run_goes_on) {
  const auto dir = fresh_temp_dir("hang");
  write_text(
      dir / "plan.yaml",
      selftest_plan(
          "  - {name: hang, benchmark: selftest, ranks: 2, timeout: 3s, params: {mode: hang, rank: 0}}\n"));
  const auto start = std::chrono::steady_clock::now();
  const auto result =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "out.txt");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(40));
  EXPECT_EQ(result.exit_code, 3) << result.output;
  const auto run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(case_named(run, "hang")["status"], "timeout");
  EXPECT_EQ(case_named(run, "hang")["outcome"], "TIMEOUT");
  EXPECT_EQ(case_named(run, "last")["status"], "completed");
}

TEST(cli, wrong_answer_is_incorrect_and_exits_1) {
  const auto dir = fresh_temp_dir("wrong");
  write_text(
      dir / "plan.yaml",
      selftest_plan("  - {name: wrong, benchmark: selftest, ranks: 2, params: {mode: wrong, rank: 1}}\n"));
  const auto result =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "out.txt");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  const auto run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(run["verdict"], "INCORRECT");
  EXPECT_EQ(case_named(run, "wrong")["outcome"], "INCORRECT");
  // The wrong rank's device is named: in run.json's device verdicts, on the console, in junit.xml.
  const auto& verdicts = run["analysis"]["device_verdicts"];
  ASSERT_EQ(verdicts["attention"].size(), 1u) << verdicts.dump();
  const auto& wrong = verdicts["gpus"][verdicts["attention"][0]["gpu"].get<std::size_t>()];
  EXPECT_EQ(wrong["verdict"], "INCORRECT");
  EXPECT_EQ(wrong["gpu"], 1);  // rank 1's slot on its host (cpu backend: its local rank)
  const std::string name = wrong["host"].get<std::string>() + " CPU 1";
  EXPECT_NE(result.output.find("INCORRECT " + name + ": selftest correctness"), std::string::npos)
      << result.output;
  EXPECT_NE(slurp(dir / "run" / "junit.xml").find("<failure message=\"" + name + ": "), std::string::npos);
}

TEST(cli, ctrl_c_stops_the_running_case_keeps_results_and_exits_130) {
  const auto dir = fresh_temp_dir("interrupt");
  write_text(dir / "plan.yaml",
             selftest_plan("  - {name: hang, benchmark: selftest, timeout: 10m, params: {mode: hang}}\n"));
  bool sent = false;
  const auto result = run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()},
                              dir / "out.txt", [&](pid_t pid) {
                                if (sent || !fs::exists(dir / "run" / "cases")) return;
                                // Interrupt once the hanging case has started (its log exists).
                                for (const auto& entry : fs::directory_iterator(dir / "run" / "cases"))
                                  if (entry.path().filename().string().rfind("hang-", 0) == 0 &&
                                      fs::exists(entry.path() / "worker.log")) {
                                    ::kill(pid, SIGINT);
                                    sent = true;
                                  }
                              });
  ASSERT_TRUE(sent);
  EXPECT_EQ(result.exit_code, 130) << result.output;
  const auto run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(run["interrupted"], true);
  EXPECT_EQ(case_named(run, "first")["status"], "completed");
  EXPECT_FALSE(case_named(run, "first")["results"].empty());
  EXPECT_EQ(case_named(run, "hang")["status"], "interrupted");
  EXPECT_EQ(case_named(run, "last")["status"], "skipped");
  EXPECT_TRUE(fs::exists(dir / "run" / "report.md"));
}

TEST(cli, dry_run_prints_each_case_and_its_command_and_runs_nothing) {
  const auto dir = fresh_temp_dir("dry-run");
  const auto result = run_cli({"run", (source_dir / "configs/plans/quick.yaml").string(), "--dry-run",
                               "--out", (dir / "run").string()},
                              dir / "out.txt");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("mpirun -np 2"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("worker --case"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "run"));
}

TEST(cli, cuda_backend_without_cuda_is_a_clear_usage_error) {
  const auto dir = fresh_temp_dir("cuda");
  const auto result = run_cli({"run", (source_dir / "configs/plans/quick.yaml").string(), "--backend", "cuda",
                               "--out", (dir / "run").string()},
                              dir / "out.txt");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("cuda"), std::string::npos);
  // The choices come from the backend table: a build without CUDA names what it has.
  if (!exacheck::gpus().built()) {
    EXPECT_NE(result.output.find("backend 'cuda' is not available in this build (available: auto, cpu)"),
              std::string::npos)
        << result.output;
  }
  EXPECT_FALSE(fs::exists(dir / "run" / "run.json"));
}

TEST(cli, list_info_validate_and_report_work) {
  const auto dir = fresh_temp_dir("misc");
  auto r = run_cli({"list"}, dir / "list.txt");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* name : {"gemm", "allreduce", "membw", "flops", "dtype", "bytes"})
    EXPECT_NE(r.output.find(name), std::string::npos) << name;
  r = run_cli({"info"}, dir / "info.txt");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("mpi"), std::string::npos);
  EXPECT_NE(r.output.find("no GPU"), std::string::npos);
  r = run_cli({"validate", (source_dir / "configs/plans/acceptance.yaml").string()}, dir / "validate.txt");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // report: re-render from run.json alone.
  write_text(dir / "plan.yaml", selftest_plan(""));
  r = run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "run.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  fs::remove(dir / "run" / "report.md");
  r = run_cli({"report", (dir / "run").string()}, dir / "report.txt");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "run" / "report.md"));
  r = run_cli({"report", (dir / "missing").string()}, dir / "report2.txt");
  EXPECT_EQ(r.exit_code, 2);
}

TEST(cli, list_shows_each_benchmarks_backends_and_the_builds_as_the_backend_table_has_them) {
  const auto dir = fresh_temp_dir("list-backends");
  const bool cuda = exacheck::gpus().built();  // this test program is of the same build as the binary
  auto r = run_cli({"list"}, dir / "list.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string all = cuda ? "backends in this build: cpu, cuda (every benchmark but selftest)\n"
                               : "backends in this build: cpu\n";
  EXPECT_TRUE(r.output.ends_with(all)) << r.output;
  for (const char* benchmark : {"gemm", "allreduce", "membw", "copybw", "flops"}) {
    r = run_cli({"list", benchmark}, dir / (std::string(benchmark) + ".txt"));
    EXPECT_NE(
        r.output.find(cuda ? "\n  backends in this build: cpu, cuda\n" : "\n  backends in this build: cpu\n"),
        std::string::npos)
        << r.output;
  }
  r = run_cli({"list", "selftest"}, dir / "selftest.txt");
  EXPECT_NE(r.output.find("\n  backends in this build: cpu\n"), std::string::npos) << r.output;
}

// CLI11 has no suggestions of its own: exacheck names the closest subcommand or option.
TEST(cli, a_misspelt_subcommand_gets_a_did_you_mean_and_exits_2) {
  const auto dir = fresh_temp_dir("misspelt-command");
  const auto result = run_cli({"reprot", "runs/x"}, dir / "out.txt");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("exacheck: unknown command 'reprot'; did you mean 'report'?"),
            std::string::npos)
      << result.output;
}

TEST(cli, a_misspelt_option_gets_a_did_you_mean_naming_the_closest_option_and_exits_2) {
  const auto dir = fresh_temp_dir("misspelt-option");
  const std::string plan = (source_dir / "configs/plans/quick.yaml").string();
  struct expectation {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<expectation> cases = {
      {{"run", plan, "--rank", "2"}, "exacheck run: unknown option '--rank'; did you mean '--ranks'?"},
      {{"run", plan, "--out-dir", (dir / "run").string()},
       "exacheck run: unknown option '--out-dir'; did you mean '--out'?"},
      {{"run", plan, "--dryrun"}, "exacheck run: unknown option '--dryrun'; did you mean '--dry-run'?"},
      {{"compare", "runs/a", "--baseline", "runs/b", "--allow-mising"},
       "exacheck compare: unknown option '--allow-mising'; did you mean '--allow-missing'?"},
      {{"--verison"}, "exacheck: unknown option '--verison'; did you mean '--version'?"},
  };
  for (const auto& c : cases) {
    const auto result = run_cli(c.args, dir / "out.txt");
    EXPECT_EQ(result.exit_code, 2) << result.output;
    EXPECT_NE(result.output.find(c.message), std::string::npos) << result.output;
  }
  EXPECT_FALSE(fs::exists(dir / "run"));  // nothing ran
}

TEST(cli, ranks_0_says_at_least_1_and_exits_2) {
  const auto dir = fresh_temp_dir("ranks-0");
  const auto result = run_cli({"run", (source_dir / "configs/plans/quick.yaml").string(), "--ranks", "0",
                               "--out", (dir / "run").string()},
                              dir / "out.txt");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("--ranks: must be at least 1, got 0"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(dir / "run"));
}
