// Every rank is accounted for, through the real CLI: a fake mpirun (tests/support/fake_launcher.hpp) writes a
// crafted result for the case it is given. Whatever is wrong with that result — a missing, repeated or extra
// rank, another case's or another launch's file, a NaN or an impossible number, no points, no checks — the
// case is ERROR with the reason in run.json and on the console, and the run exits 3: never PASS.
#include <gtest/gtest.h>

#include <filesystem>

#include "../support/cli_runner.hpp"
#include "../support/fake_launcher.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {

struct outcome_of_run {
  cli_result cli;
  nlohmann::json run;
};

// One selftest case of two ranks, launched by the fake mpirun of `scenario`.
outcome_of_run run_with_fake_launcher(const std::string& scenario) {
  const auto dir = fresh_temp_dir("accounting-" + scenario);
  write_text(
      dir / "plan.yaml",
      "schema: exacheck/plan/v1\nname: accounting\ndefaults: {launcher: mpirun, timeout: 60s}\ncases:\n"
      "  - {name: counted, benchmark: selftest, ranks: 2, params: {loop: 1000}}\n");
  const fake_launcher launcher(scenario);
  outcome_of_run outcome;
  outcome.cli =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "out.txt");
  outcome.run = read_json(dir / "run" / "run.json");
  return outcome;
}

void expect_error_with_reason(const std::string& scenario, const std::string& reason) {
  SCOPED_TRACE(scenario);
  const auto [cli, run] = run_with_fake_launcher(scenario);
  EXPECT_EQ(cli.exit_code, 3) << cli.output;  // incomplete: an ERROR and nothing failed
  EXPECT_EQ(run["verdict"], "ERROR");
  const auto& c = run["cases"][0];
  EXPECT_EQ(c["status"], "error");
  EXPECT_EQ(c["outcome"], "ERROR");
  EXPECT_NE(c["message"].get<std::string>().find(reason), std::string::npos) << c["message"];
  EXPECT_TRUE(c["results"].empty()) << "an unaccounted result's numbers must not reach run.json";
  EXPECT_EQ(run["summary"]["counts"]["PASS"], 0);
  EXPECT_NE(cli.output.find(reason), std::string::npos) << cli.output;
  EXPECT_EQ(cli.output.find("verdict: PASS"), std::string::npos) << cli.output;
}

}  // namespace

TEST(result_accounting_cli, the_fake_launchers_correct_result_passes) {
  // The control: the same fake launcher writing a complete result of this launch is accounted for and judged,
  // so what fails below fails for its fault alone.
  const auto [cli, run] = run_with_fake_launcher("ok");
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_EQ(run["verdict"], "PASS");
  EXPECT_EQ(run["cases"][0]["status"], "completed") << run["cases"][0]["message"];
  EXPECT_EQ(run["cases"][0]["results"][0]["ranks"].size(), 2u);
}

TEST(result_accounting_cli, missing_rank_is_error_naming_the_rank) {
  expect_error_with_reason("missing_rank", "no result from rank 1 (1 of 2 launched)");
}

TEST(result_accounting_cli, duplicated_rank_is_error) {
  expect_error_with_reason("duplicate_rank", "rank 1 reported more than once");
}

TEST(result_accounting_cli, extra_rank_is_error) {
  expect_error_with_reason("extra_rank", "rank 2 reported, but only ranks 0-1 were launched");
}

TEST(result_accounting_cli, another_cases_result_is_foreign) {
  expect_error_with_reason("foreign_case", "foreign result: it is of case 'someone-elses-case'");
}

TEST(result_accounting_cli, a_result_of_another_launch_is_foreign) {
  expect_error_with_reason("wrong_token", "its launch token 'not-this-launchs-token' is not this launch's");
  expect_error_with_reason("no_token", "carries no launch token");
}

TEST(result_accounting_cli, nan_value_is_error) {
  expect_error_with_reason("nan_value", "loop_rate is not a finite number (null, NaN or infinite) on rank 1");
}

TEST(result_accounting_cli, impossible_value_is_error) {
  expect_error_with_reason("impossible_value", "loop_rate = 4e+15 GOP/s on rank 1 is physically impossible");
}

TEST(result_accounting_cli, no_points_is_error) {
  expect_error_with_reason("no_points", "no point: the result holds no measurement");
}

TEST(result_accounting_cli, no_checks_is_error) {
  expect_error_with_reason("no_checks", "no metric and no correctness check");
}

TEST(result_accounting_cli, correctness_on_fewer_ranks_than_ran_is_error) {
  expect_error_with_reason("unverified_rank", "correctness checked on 1 of 2 ranks (not on rank 1)");
}

TEST(result_accounting_cli, the_worker_echoes_the_launch_token_of_its_case) {
  // The real worker, under the real mpirun: its result carries the token the controller wrote in case.json.
  const auto dir = fresh_temp_dir("accounting-token");
  write_text(
      dir / "plan.yaml",
      "schema: exacheck/plan/v1\nname: token\ndefaults: {launcher: mpirun, timeout: 60s, measure: "
      "{max_time: 200ms, min_time: 10ms}}\ncases:\n  - {name: real, benchmark: selftest, ranks: 2, params: "
      "{loop: 1000}}\n");
  const auto cli =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "out.txt");
  ASSERT_EQ(cli.exit_code, 0) << cli.output;
  const auto run = read_json(dir / "run" / "run.json");
  const auto case_dir = dir / "run" / "cases" / run["cases"][0]["id"].get<std::string>();
  const auto case_json = read_json(case_dir / "case.json");
  const auto result = read_json(case_dir / "result.json");
  ASSERT_TRUE(case_json["token"].is_string());
  EXPECT_EQ(case_json["token"].get<std::string>().size(), 32u);
  EXPECT_EQ(result["token"], case_json["token"]);
}
