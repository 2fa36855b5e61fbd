// End-to-end: `exacheck history add|show|drift|prune`, `run --history` and `report --history` on the real
// binary (docs/history.md). The nights are one simulated machine (exacheck simulate, a one-GEMM plan) whose
// values the test sets night by night, then analysed by `exacheck report` as any run.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <regex>

#include "../support/cli_runner.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path source_dir = EXACHECK_SOURCE_DIR;

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

class history_e2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = fresh_temp_dir("history-e2e");
    write_text(
        s_dir / "gemm.yaml",
        "schema: exacheck/plan/v1\nname: drift-test\n"
        "defaults: {backend: auto, launcher: srun, ranks_per_node: 4, timeout: 5m}\n"
        "cases:\n  - {name: gemm, benchmark: gemm, params: {dtype: bf16, m: 8192, n: 8192, k: 8192}}\n");
    const auto simulated = run_cli(
        {"simulate", "--nodes", "3", "--gpus-per-node", "4", "--system",
         (source_dir / "configs/systems/h200-sxm.yaml").string(), "--plan", (s_dir / "gemm.yaml").string(),
         "--slow", "0", "--seed", "3", "--out", (s_dir / "base").string()},
        s_dir / "simulate.txt");
    ASSERT_EQ(simulated.exit_code, 0) << simulated.output;
    s_base = read_json(s_dir / "base/run.json");
    for (const auto& device : s_base["devices"]) s_uuids.push_back(device["uuid"].get<std::string>());
  }
  static void TearDownTestSuite() { fs::remove_all(s_dir); }

  // Night `day` (2026-11-<day>) of the machine: GPU i's GEMM rates × factor(i) (its time ÷), then analysed.
  // Returns `exacheck report`'s exit code.
  static int write_night(const fs::path& dir, int day, const std::function<double(std::size_t)>& factor) {
    json run = s_base;
    run["provenance"]["started_at"] = fmt::format("2026-11-{:02d}T02:00:00Z", day);
    run.erase("analysis");
    for (auto& test_case : run["cases"])
      for (auto& point : test_case["results"])
        for (auto& rank : point["ranks"]) {
          const double f = factor(rank["device"].get<std::size_t>());
          for (auto& [name, value] : rank["values"].items())
            if (value.is_number()) value = name == "time" ? value.get<double>() / f : value.get<double>() * f;
        }
    fs::create_directories(dir);
    write_text(dir / "run.json", run.dump());
    return run_cli({"report", dir.string()}, dir / "report.txt").exit_code;
  }

  static inline fs::path s_dir;
  static inline json s_base;
  static inline std::vector<std::string> s_uuids;
};

// One GPU loses 0.5% a night for 20 nights. Every GPU has a speed of its own (±6%, as chips do) and a little
// noise each night; the slowly failing one started fast, so on no night is it a fleet outlier (every night's
// report exits 0), yet `history drift` names it, and only it.
TEST_F(history_e2e, drift_names_the_one_gpu_losing_half_a_percent_a_night_that_no_night_flags) {
  const fs::path dir = s_dir / "drift";
  const std::string db = (dir / "history.sqlite").string();
  constexpr std::size_t target = 5;
  const auto own_speed = [](std::size_t gpu) {
    return gpu == target ? 1.06 : 0.94 + 0.12 * static_cast<double>(gpu) / 11.0;
  };
  std::vector<std::string> nights;
  for (int day = 1; day <= 20; ++day) {
    const auto factor = [&](std::size_t gpu) {
      const double noise = 0.002 * std::sin(static_cast<double>(day * 7 + gpu * 13));
      return own_speed(gpu) * (1 + noise) * (gpu == target ? 1 - 0.005 * (day - 1) : 1.0);
    };
    const fs::path night = dir / fmt::format("night{:02d}", day);
    ASSERT_EQ(write_night(night, day, factor), 0)
        << "night " << day << " was flagged: " << slurp(night / "report.txt");
    nights.push_back(night.string());
  }
  std::vector<std::string> add{"history", "add"};
  add.insert(add.end(), nights.begin(), nights.end());
  add.insert(add.end(), {"--db", db});
  const auto added = run_cli(add, dir / "add.txt");
  ASSERT_EQ(added.exit_code, 0) << added.output;
  EXPECT_EQ(occurrences(added.output, ": added run-"), 20u) << added.output;

  const auto drift = run_cli({"history", "drift", "--db", db}, dir / "drift.txt");
  EXPECT_EQ(drift.exit_code, 1) << drift.output;  // something drifts
  EXPECT_NE(drift.output.find("1 device(s) drifting"), std::string::npos) << drift.output;
  EXPECT_NE(drift.output.find("3 series drifting"), std::string::npos) << drift.output;  // tflops, %, time
  for (std::size_t gpu = 0; gpu < s_uuids.size(); ++gpu)
    EXPECT_EQ(drift.output.find(s_uuids[gpu]) != std::string::npos, gpu == target) << s_uuids[gpu] << "\n"
                                                                                   << drift.output;
  EXPECT_NE(drift.output.find("recent nights 2026-11-18 … 2026-11-20 (3)"), std::string::npos)
      << drift.output;

  // Its nights, one dated row each, and a sparkline going down.
  const auto show = run_cli({"history", "show", "--db", db, "--gpu", s_uuids[target], "--metric", "tflops"},
                            dir / "show.txt");
  EXPECT_EQ(show.exit_code, 0) << show.output;
  for (int day = 1; day <= 20; ++day)
    EXPECT_NE(show.output.find(fmt::format("2026-11-{:02d}  node", day)), std::string::npos) << show.output;
  EXPECT_NE(show.output.find("█"), std::string::npos) << show.output;
  EXPECT_NE(show.output.find("▁"), std::string::npos) << show.output;

  // Adding a night again changes nothing, and says so.
  const auto again = run_cli({"history", "add", nights[4], "--db", db}, dir / "again.txt");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("in the history already: nothing added"), std::string::npos) << again.output;

  // The night it finally fails its reference, report --history shows its trend beside its verdict.
  const fs::path bad = dir / "night21";
  EXPECT_EQ(write_night(bad, 21, [&](std::size_t gpu) { return gpu == target ? 0.7 : own_speed(gpu); }), 1);
  const auto report = run_cli({"report", bad.string(), "--history", db}, dir / "report21.txt");
  EXPECT_EQ(report.exit_code, 1) << report.output;  // the run's verdict, as without --history
  const std::string markdown = slurp(bad / "report.md");
  EXPECT_NE(markdown.find("## Trend from the history"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("This run is not in the history"), std::string::npos);
  const auto trend = markdown.find("## Trend from the history");
  EXPECT_NE(markdown.find(s_uuids[target], trend), std::string::npos);
  EXPECT_NE(markdown.find("2026-11-11 … 2026-11-20 (10)", trend), std::string::npos)
      << markdown.substr(trend, 2000);
  const std::string html = slurp(bad / "report.html");
  EXPECT_NE(html.find("<section id=\"trend\">"), std::string::npos);
  EXPECT_NE(html.find("<svg class=\"spark\""), std::string::npos);
  EXPECT_EQ(slurp(bad / "run.json").find("history_trend"),
            std::string::npos);  // the database's, not the run's
}

TEST_F(history_e2e, drift_on_too_little_history_is_not_a_pass) {
  const fs::path dir = s_dir / "short";
  const std::string db = (dir / "history.sqlite").string();
  ASSERT_EQ(write_night(dir / "night01", 1, [](std::size_t) { return 1.0; }), 0);
  ASSERT_EQ(run_cli({"history", "add", (dir / "night01").string(), "--db", db}, dir / "add.txt").exit_code,
            0);
  const auto drift = run_cli({"history", "drift", "--db", db}, dir / "drift.txt");
  EXPECT_EQ(drift.exit_code, 3) << drift.output;
  EXPECT_NE(drift.output.find("not judged"), std::string::npos) << drift.output;
}

TEST_F(history_e2e, the_default_database_is_exacheck_history_and_a_missing_one_is_a_usage_error) {
  const fs::path dir = s_dir / "default";
  ASSERT_EQ(write_night(dir / "night01", 1, [](std::size_t) { return 1.0; }), 0);
  const std::string db = (dir / "from-env.sqlite").string();
  ::setenv("EXACHECK_HISTORY", db.c_str(), 1);
  const auto added = run_cli({"history", "add", (dir / "night01").string()}, dir / "add.txt");
  const auto shown = run_cli({"history", "show"}, dir / "show.txt");
  ::unsetenv("EXACHECK_HISTORY");
  EXPECT_EQ(added.exit_code, 0) << added.output;
  EXPECT_TRUE(fs::exists(db));
  EXPECT_NE(shown.output.find("2026-11-01  run-"), std::string::npos) << shown.output;
  const auto missing =
      run_cli({"history", "show", "--db", (dir / "none.sqlite").string()}, dir / "missing.txt");
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("none.sqlite: no history database there"), std::string::npos)
      << missing.output;
}

TEST_F(history_e2e, a_misspelt_history_command_or_option_is_answered_with_the_closest) {
  const auto command = run_cli({"history", "shwo"}, s_dir / "shwo.txt");
  EXPECT_EQ(command.exit_code, 2);
  EXPECT_NE(command.output.find("exacheck history: unknown command 'shwo'; did you mean 'show'?"),
            std::string::npos)
      << command.output;
  const auto option = run_cli({"history", "show", "--gpuu", "GPU-1"}, s_dir / "gpuu.txt");
  EXPECT_EQ(option.exit_code, 2);
  EXPECT_NE(option.output.find("exacheck history show: unknown option '--gpuu'; did you mean '--gpu'?"),
            std::string::npos)
      << option.output;
}

TEST_F(history_e2e, add_of_a_directory_without_a_run_names_it_and_still_adds_the_others) {
  const fs::path dir = s_dir / "partial";
  ASSERT_EQ(write_night(dir / "night01", 1, [](std::size_t) { return 1.0; }), 0);
  fs::create_directories(dir / "empty");
  const auto added = run_cli({"history", "add", (dir / "empty").string(), (dir / "night01").string(), "--db",
                              (dir / "h.sqlite").string()},
                             dir / "add.txt");
  EXPECT_EQ(added.exit_code, 2) << added.output;
  EXPECT_NE(added.output.find("empty/run.json does not exist"), std::string::npos) << added.output;
  EXPECT_NE(added.output.find("night01: added run-"), std::string::npos) << added.output;
}

// `run --history` adds the run as it finishes; a database that cannot be written costs a warning, never the
// run's results or its exit code.
TEST_F(history_e2e, run_with_history_adds_the_run_and_an_unwritable_database_changes_nothing_else) {
  const fs::path dir = s_dir / "run";
  fs::create_directories(dir);
  write_text(dir / "plan.yaml",
             "schema: exacheck/plan/v1\nname: history-e2e\ndefaults: {backend: cpu, launcher: local}\n"
             "cases:\n  - {name: first, benchmark: selftest, params: {loop: 1000}}\n");
  const std::string db = (dir / "history.sqlite").string();
  const auto run =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "one").string(), "--history", db},
              dir / "one.txt");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("history: added run-"), std::string::npos) << run.output;
  const auto shown = run_cli({"history", "show", "--db", db}, dir / "show.txt");
  EXPECT_NE(shown.output.find("history-e2e"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find((dir / "one").string()), std::string::npos) << shown.output;

  write_text(dir / "not-a-folder", "a file where the database's folder would be\n");
  const auto unwritable = run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "two").string(),
                                   "--history", (dir / "not-a-folder/history.sqlite").string()},
                                  dir / "two.txt");
  EXPECT_EQ(unwritable.exit_code, 0) << unwritable.output;
  EXPECT_NE(unwritable.output.find("warning: history"), std::string::npos) << unwritable.output;
  EXPECT_NE(unwritable.output.find("exit code are unchanged"), std::string::npos) << unwritable.output;
  EXPECT_EQ(read_json(dir / "two/run.json")["verdict"], "PASS");
  EXPECT_TRUE(fs::exists(dir / "two/report.md"));
}

TEST_F(history_e2e, prune_keeps_the_days_asked_for) {
  const fs::path dir = s_dir / "prune";
  const std::string db = (dir / "history.sqlite").string();
  for (const int day : {1, 5, 9}) {
    ASSERT_EQ(write_night(dir / std::to_string(day), day, [](std::size_t) { return 1.0; }), 0);
    ASSERT_EQ(run_cli({"history", "add", (dir / std::to_string(day)).string(), "--db", db}, dir / "a.txt")
                  .exit_code,
              0);
  }
  const auto pruned = run_cli({"history", "prune", "--db", db, "--keep-days", "4"}, dir / "prune.txt");
  EXPECT_EQ(pruned.exit_code, 0) << pruned.output;
  EXPECT_NE(pruned.output.find("removed 1 run(s)"), std::string::npos) << pruned.output;
  const auto shown = run_cli({"history", "show", "--db", db}, dir / "show.txt");
  EXPECT_EQ(shown.output.find("2026-11-01"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("2026-11-05"), std::string::npos) << shown.output;
  // add --keep-days does the same as it adds.
  ASSERT_EQ(write_night(dir / "30", 30, [](std::size_t) { return 1.0; }), 0);
  const auto kept =
      run_cli({"history", "add", (dir / "30").string(), "--db", db, "--keep-days", "7"}, dir / "k.txt");
  EXPECT_NE(kept.output.find("removed 2 run(s)"), std::string::npos) << kept.output;
}

}  // namespace
