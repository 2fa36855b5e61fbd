// Bad input to the command line is a clear error (exit 2, the file and the place, one line), never a crash, a
// hang or a loss: bytes that are not UTF-8, sizes past what any node holds, run.json that is nested too deep,
// not a regular file or malformed (never rewritten with less), and links planted in a run directory.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include "../support/cli_runner.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {
const fs::path source_dir = EXACHECK_SOURCE_DIR;
const fs::path golden_run = fs::path(EXACHECK_TEST_DATA_DIR) / "golden" / "run_small.json";

// Kills the command if it is still running after `seconds` (a hang is then a failure, not a stuck test).
std::function<void(pid_t)> kill_after(int seconds) {
  const auto start = std::chrono::steady_clock::now();
  return [start, seconds](pid_t pid) {
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(seconds)) ::kill(pid, SIGKILL);
  };
}

// A run directory holding the golden run.json.
fs::path golden_run_dir(const fs::path& dir) {
  const fs::path run = dir / "run";
  fs::create_directories(run);
  fs::copy_file(golden_run, run / "run.json");
  return run;
}

const std::string selftest_cases =
    "cases:\n  - {name: one, benchmark: selftest, tags: [e2e], launcher: local, params: {loop: 1000}}\n";
}  // namespace

TEST(bad_input, a_plan_with_bytes_that_are_not_utf8_exits_2_naming_line_and_column_and_runs_nothing) {
  const auto dir = fresh_temp_dir("latin1");
  write_text(dir / "plan.yaml",
             "schema: exacheck/plan/v1\nname: latin1\ndescription: caf\xe9\n" + selftest_cases);
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"validate", (dir / "plan.yaml").string()},
        std::vector<std::string>{"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}}) {
    const auto result = run_cli(command, dir / "out.txt");
    EXPECT_EQ(result.exit_code, 2) << command[0] << ": " << result.output;
    EXPECT_NE(result.output.find((dir / "plan.yaml").string() + ":3:17: byte 0xe9 is not UTF-8 text"),
              std::string::npos)
        << result.output;
  }
  EXPECT_FALSE(fs::exists(dir / "run"));
}

TEST(bad_input, an_argument_that_is_not_utf8_never_costs_the_run_its_results) {
  // The command line goes into run.json: a Latin-1 byte in it once made every write of run.json throw, and
  // the run ended with exit 3 and no results at all.
  const auto dir = fresh_temp_dir("argv-latin1");
  write_text(dir / "plan.yaml", "schema: exacheck/plan/v1\nname: argv\n" + selftest_cases);
  const auto result =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string(), "--tags", "e2e,caf\xe9"},
              dir / "out.txt");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(run["verdict"], "PASS");
  EXPECT_EQ(run["cases"][0]["status"], "completed");
  EXPECT_EQ(run["provenance"]["command_line"].back(), "e2e,caf\uFFFD");
  EXPECT_TRUE(fs::exists(dir / "run" / "report.md"));
}

TEST(bad_input, validate_refuses_sizes_past_the_limits_naming_the_parameter_and_the_limit) {
  const auto dir = fresh_temp_dir("sizes");
  write_text(dir / "plan.yaml",
             "schema: exacheck/plan/v1\nname: sizes\ncases:\n"
             "  - {name: s, benchmark: membw, params: {array_bytes: 18446744073709551615}}\n"
             "  - {name: g, benchmark: gemm, params: {m: 4294967296, n: 4294967296, k: 4294967296}}\n");
  const auto result = run_cli({"validate", (dir / "plan.yaml").string()}, dir / "out.txt");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  const std::string plan = (dir / "plan.yaml").string();
  EXPECT_NE(result.output.find(plan + ":4:"), std::string::npos) << result.output;
  EXPECT_NE(
      result.output.find("parameter 'array_bytes' is '18446744073709551615', out of range; expected a byte "
                         "size like 64MiB, 8GiB, 1GB or 4096 from 0B to 16TiB"),
      std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find(plan + ":5:"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("parameter 'm' is '4294967296', out of range; expected an integer from 1 to "
                               "2147483647"),
            std::string::npos)
      << result.output;
}

TEST(bad_input, report_refuses_a_run_json_nested_too_deep_and_leaves_it_as_it_was) {
  // 200,000 nested lists overflowed the stack of `exacheck report` (exit 139).
  const auto dir = fresh_temp_dir("deep");
  fs::create_directories(dir / "run");
  const std::string text = "{\"schema\": \"exacheck/run/v2\", \"cases\": " + std::string(200000, '[') +
                           std::string(200000, ']') + "}";
  write_text(dir / "run" / "run.json", text);
  const auto result = run_cli({"report", (dir / "run").string()}, dir / "out.txt", kill_after(60));
  EXPECT_EQ(result.exit_code, 2) << result.output.substr(0, 2000);
  EXPECT_NE(result.output.find("run.json:1:"), std::string::npos) << result.output.substr(0, 2000);
  EXPECT_NE(result.output.find("nested deeper than 64 levels"), std::string::npos)
      << result.output.substr(0, 2000);
  EXPECT_EQ(slurp(dir / "run" / "run.json"), text);
  EXPECT_FALSE(fs::exists(dir / "run" / "report.md"));
}

TEST(bad_input, report_and_compare_refuse_a_fifo_at_once_instead_of_waiting_for_a_writer) {
  const auto dir = fresh_temp_dir("fifo");
  fs::create_directories(dir / "run");
  ASSERT_EQ(::mkfifo((dir / "run" / "run.json").c_str(), 0644), 0);
  const auto start = std::chrono::steady_clock::now();
  auto result = run_cli({"report", (dir / "run").string()}, dir / "report.txt", kill_after(20));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("it is a FIFO (named pipe), not a regular file"), std::string::npos)
      << result.output;
  // compare: the run, or a baseline that is a FIFO (read as a reference file or a run.json)
  const fs::path good = golden_run_dir(dir / "good");
  ASSERT_EQ(::mkfifo((dir / "baseline.yaml").c_str(), 0644), 0);
  for (const auto& [run, baseline] : {std::pair{dir / "run", good}, std::pair{good, dir / "baseline.yaml"},
                                      std::pair{good, dir / "run" / "run.json"}}) {
    result =
        run_cli({"compare", run.string(), "--baseline", baseline.string(), "--out", (dir / "cmp").string()},
                dir / "compare.txt", kill_after(20));
    EXPECT_EQ(result.exit_code, 2) << run << " vs " << baseline << ": " << result.output;
    EXPECT_NE(result.output.find("FIFO"), std::string::npos) << result.output;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(bad_input, report_never_follows_a_symbolic_link_to_run_json_or_writes_through_one) {
  const auto dir = fresh_temp_dir("links");
  const fs::path elsewhere = golden_run_dir(dir / "elsewhere");
  fs::create_directories(dir / "run");
  fs::create_symlink(elsewhere / "run.json", dir / "run" / "run.json");
  auto result = run_cli({"report", (dir / "run").string()}, dir / "out.txt");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("symbolic link"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(elsewhere / "report.md"));
  // A link planted at report.md is replaced by the report, its target left alone.
  const fs::path run = golden_run_dir(dir / "real");
  write_text(dir / "precious.md", "precious");
  fs::create_symlink(dir / "precious.md", run / "report.md");
  result = run_cli({"report", run.string()}, dir / "out2.txt");
  // `report` exits with its verdict's code: the golden run has a wrong answer (1), not a usage error (2).
  EXPECT_EQ(result.exit_code, read_json(run / "run.json")["exit_code"].get<int>()) << result.output;
  EXPECT_EQ(slurp(dir / "precious.md"), "precious");
  EXPECT_FALSE(fs::is_symlink(run / "report.md"));
  EXPECT_NE(slurp(run / "report.md").find("verdict"), std::string::npos);
}

TEST(bad_input, report_on_a_malformed_run_json_exits_2_naming_the_place_and_never_rewrites_it) {
  const auto dir = fresh_temp_dir("malformed");
  const nlohmann::json good = read_json(golden_run);
  const std::vector<std::pair<std::string, std::function<void(nlohmann::json&)>>> changes = {
      {".cases is a string", [](nlohmann::json& r) { r["cases"] = "all of them"; }},
      {".cases[2] is a string", [](nlohmann::json& r) { r["cases"][2] = "membw"; }},
      {".cases[0].results[0].ranks is an object",
       [](nlohmann::json& r) {
         r["cases"][0]["results"][0]["ranks"] = {{"0", 1}};
       }},
      {".cases[0].results[0].ranks[0].values.tflops is a string",
       [](nlohmann::json& r) { r["cases"][0]["results"][0]["ranks"][0]["values"]["tflops"] = "0.05"; }},
      {".cases[1].checks[0].outcome is an integer",
       [](nlohmann::json& r) { r["cases"][1]["checks"][0]["outcome"] = 1; }},
  };
  int i = 0;
  for (const auto& [problem, change] : changes) {
    const fs::path run = dir / ("run" + std::to_string(i++));
    fs::create_directories(run);
    nlohmann::json changed = good;
    change(changed);
    // An old analysis that no longer matches: the report would otherwise rewrite run.json.
    changed["analysis"]["rules"]["z_threshold"] = 99;
    const std::string text = changed.dump();
    write_text(run / "run.json", text);
    const auto result = run_cli({"report", run.string()}, dir / "out.txt");
    EXPECT_EQ(result.exit_code, 2) << problem << ": " << result.output;
    EXPECT_NE(result.output.find((run / "run.json").string() + ": " + problem), std::string::npos)
        << result.output;
    EXPECT_EQ(slurp(run / "run.json"), text) << problem;
    EXPECT_FALSE(fs::exists(run / "report.md")) << problem;
  }
}
