// --prom-textfile FILE on `exacheck run` and `exacheck report`: metrics.prom published at a stable path for
// node_exporter's textfile collector, atomically (the collector reads the old file or the new one, never
// half of one), and never when the command cannot stand behind it.
#include <gtest/gtest.h>

#include <filesystem>

#include "../support/cli_runner.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {
const fs::path source_dir = EXACHECK_SOURCE_DIR;

// A small simulated run to re-render (no MPI needed).
fs::path simulated_run(const fs::path& dir) {
  const auto made =
      run_cli({"simulate", "--nodes", "2", "--gpus-per-node", "2", "--slow", "0", "--system",
               (source_dir / "configs/systems/h100-sxm.yaml").string(), "--out", (dir / "run").string()},
              dir / "simulate.txt");
  EXPECT_EQ(made.exit_code, 0) << made.output;
  return dir / "run";
}

// Every entry of `dir`, by name: the textfile collector reads every *.prom in its directory.
std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}
}  // namespace

TEST(prom_textfile, run_publishes_its_metrics_prom_at_the_chosen_path) {
  const auto dir = fresh_temp_dir("prom-textfile-run");
  fs::create_directories(dir / "textfile");
  const auto plan = dir / "plan.yaml";
  write_text(
      plan,
      "schema: exacheck/plan/v1\nname: node-check\ndefaults: {launcher: local, timeout: 60s, measure: "
      "{max_time: 100ms, min_time: 10ms}}\ncases:\n  - {name: loop, benchmark: selftest, params: {loop: "
      "1000}}\n");
  const auto textfile = dir / "textfile" / "exacheck-node-check.prom";
  const auto result =
      run_cli({"run", plan.string(), "--out", (dir / "run").string(), "--prom-textfile", textfile.string()},
              dir / "output.txt");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("prometheus textfile: " + textfile.string()), std::string::npos)
      << result.output;
  ASSERT_TRUE(fs::exists(textfile));
  EXPECT_EQ(slurp(textfile), slurp(dir / "run" / "metrics.prom"));
  EXPECT_NE(slurp(textfile).find("exacheck_run_timestamp_seconds{plan=\"node-check\"}"), std::string::npos);
  EXPECT_EQ(entries(dir / "textfile"), std::vector<std::string>{"exacheck-node-check.prom"});
  fs::remove_all(dir);
}

TEST(prom_textfile, report_replaces_the_old_file_whole_and_leaves_nothing_beside_it) {
  const auto dir = fresh_temp_dir("prom-textfile-report");
  const auto run_dir = simulated_run(dir);
  fs::create_directories(dir / "textfile");
  const auto textfile = dir / "textfile" / "node.prom";
  write_text(textfile, "# last night's file\n");
  const auto result =
      run_cli({"report", run_dir.string(), "--prom-textfile", textfile.string()}, dir / "report.txt");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(slurp(textfile), slurp(run_dir / "metrics.prom"));
  EXPECT_EQ(entries(dir / "textfile"), std::vector<std::string>{"node.prom"});  // no temporary file left
  fs::remove_all(dir);
}

TEST(prom_textfile, a_report_that_fails_leaves_the_old_file_as_it_was) {
  const auto dir = fresh_temp_dir("prom-textfile-kept");
  fs::create_directories(dir / "textfile");
  const auto textfile = dir / "textfile" / "node.prom";
  const std::string old_text = "exacheck_run_exit_code{plan=\"nightly\"} 0\n";
  write_text(textfile, old_text);
  // No run.json: usage error, nothing rendered.
  fs::create_directories(dir / "empty");
  const auto nothing = run_cli({"report", (dir / "empty").string(), "--prom-textfile", textfile.string()},
                               dir / "nothing.txt");
  EXPECT_EQ(nothing.exit_code, 2) << nothing.output;
  // A run.json cut short (a disk that filled up): refused whole, nothing rendered.
  fs::create_directories(dir / "cut");
  write_text(dir / "cut" / "run.json", "{\"schema\": \"exacheck/run/v3\", \"cases\": [");
  const auto cut =
      run_cli({"report", (dir / "cut").string(), "--prom-textfile", textfile.string()}, dir / "cut.txt");
  EXPECT_EQ(cut.exit_code, 2) << cut.output;
  EXPECT_EQ(slurp(textfile), old_text);
  EXPECT_EQ(entries(dir / "textfile"), std::vector<std::string>{"node.prom"});
  fs::remove_all(dir);
}

TEST(prom_textfile, a_textfile_that_cannot_be_written_turns_a_pass_into_exit_code_3) {
  const auto dir = fresh_temp_dir("prom-textfile-unwritable");
  const auto run_dir = simulated_run(dir);
  // /proc exists and is a directory, but no file can be created in it, not even by root.
  const auto result = run_cli({"report", run_dir.string(), "--prom-textfile", "/proc/exacheck-test.prom"},
                              dir / "report.txt");
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_NE(result.output.find("exacheck: --prom-textfile: cannot write /proc/exacheck-test.prom"),
            std::string::npos)
      << result.output;
  fs::remove_all(dir);
}

TEST(prom_textfile, bad_textfile_paths_are_usage_errors_before_anything_runs) {
  const auto dir = fresh_temp_dir("prom-textfile-usage");
  const auto plan = (source_dir / "configs/plans/quick.yaml").string();
  const auto no_dir = run_cli({"run", plan, "--out", (dir / "run").string(), "--prom-textfile",
                               (dir / "absent" / "node.prom").string()},
                              dir / "a.txt");
  EXPECT_EQ(no_dir.exit_code, 2) << no_dir.output;
  EXPECT_NE(no_dir.output.find("does not exist"), std::string::npos) << no_dir.output;
  EXPECT_FALSE(fs::exists(dir / "run"));  // nothing ran
  const auto not_prom =
      run_cli({"run", plan, "--out", (dir / "run").string(), "--prom-textfile", (dir / "node.txt").string()},
              dir / "b.txt");
  EXPECT_EQ(not_prom.exit_code, 2) << not_prom.output;
  EXPECT_NE(not_prom.output.find("must end in .prom"), std::string::npos) << not_prom.output;
  EXPECT_FALSE(fs::exists(dir / "run"));
  fs::create_directories(dir / "textfile.prom");
  const auto a_dir = run_cli(
      {"report", (dir / "x").string(), "--prom-textfile", (dir / "textfile.prom").string()}, dir / "c.txt");
  EXPECT_EQ(a_dir.exit_code, 2) << a_dir.output;
  EXPECT_NE(a_dir.output.find("is a directory"), std::string::npos) << a_dir.output;
  fs::remove_all(dir);
}
