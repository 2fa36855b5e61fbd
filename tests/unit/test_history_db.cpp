// The history database (harness/history, docs/history.md): schema and migrations, adding runs, a device's
// nights, retention, concurrent writers.
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "harness/core/errors.hpp"
#include "harness/history/history_db.hpp"
#include "harness/history/history_query.hpp"
#include "harness/history/history_store.hpp"
#include "harness/history/run_reader.hpp"
#include "harness/io/files.hpp"
#include "harness/results/run_document.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/history_runs.hpp"

namespace {

namespace fs = std::filesystem;
namespace history = exacheck::history;
using exacheck::testing::history_fleet;
using exacheck::testing::history_run;

std::int64_t count(history::database& db, const std::string& sql) {
  auto query = db.sql().prepare(sql);
  query.step();
  return query.integer(0);
}

std::string night(int day) {
  return fmt::format("2026-11-{:02d}T01:00:00Z", day);
}

class history_db : public ::testing::Test {
 protected:
  void SetUp() override { m_dir = exacheck::testing::fresh_temp_dir("history-db"); }
  void TearDown() override { fs::remove_all(m_dir); }
  std::string path() const { return (m_dir / "history.sqlite").string(); }
  fs::path m_dir;
};

TEST_F(history_db, a_new_database_has_the_current_schema_in_wal_mode) {
  history::database db(path());
  EXPECT_EQ(db.opened_version(), 0);
  EXPECT_EQ(count(db, "PRAGMA user_version"), history::schema_version);
  auto mode = db.sql().prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.text(0), "wal");
  for (const std::string table : {"runs", "devices", "series", "run_devices", "measurements"})
    EXPECT_EQ(count(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" + table + "'"),
              1)
        << table;
}

TEST_F(history_db, a_version_1_database_is_migrated_and_keeps_its_runs) {
  {
    // The schema as the first exacheck with a history wrote it, with one run in it.
    history::connection old(path(), true);
    old.exec(R"sql(
      CREATE TABLE runs(id INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, plan TEXT, system TEXT,
        started_at TEXT, finished_at TEXT, slurm_job TEXT, hosts TEXT, verdict TEXT, exit_code INTEGER,
        run_dir TEXT, synthetic INTEGER NOT NULL DEFAULT 0, added_at TEXT);
      CREATE TABLE devices(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, kind TEXT, uuid TEXT, serial TEXT,
        name TEXT);
      CREATE TABLE series(id INTEGER PRIMARY KEY, case_id TEXT NOT NULL, params TEXT NOT NULL, metric TEXT NOT NULL,
        statistic TEXT NOT NULL, unit TEXT NOT NULL, benchmark TEXT, case_name TEXT, better TEXT,
        UNIQUE(case_id, params, metric, statistic, unit));
      CREATE TABLE run_devices(run INTEGER NOT NULL, device INTEGER NOT NULL, host TEXT, gpu INTEGER, verdict TEXT,
        PRIMARY KEY(run, device)) WITHOUT ROWID;
      CREATE TABLE measurements(run INTEGER NOT NULL, device INTEGER NOT NULL, series INTEGER NOT NULL, value REAL,
        outcome TEXT, PRIMARY KEY(run, device, series)) WITHOUT ROWID;
      INSERT INTO runs(run_id, plan, started_at, verdict) VALUES('run-old', 'nightly', '2026-11-02T23:59:00Z', 'PASS');
      PRAGMA user_version = 1;)sql");
  }
  history::database db(path());
  EXPECT_EQ(db.opened_version(), 1);
  EXPECT_EQ(count(db, "PRAGMA user_version"), history::schema_version);
  auto run = db.sql().prepare("SELECT run_id, night FROM runs");
  ASSERT_TRUE(run.step());
  EXPECT_EQ(run.text(0), "run-old");
  EXPECT_EQ(run.text(1), "2026-11-02");  // filled in from started_at by the migration
  run.reset();
  // And it takes new runs as a database created today does.
  EXPECT_TRUE(history::add_run(db, history_run(night(3), history_fleet(1, 2, 700)), "/runs/3").added);
  EXPECT_EQ(history::list_runs(db).size(), 2u);
}

TEST_F(history_db, a_newer_schema_is_refused_naming_the_file_and_both_versions_never_downgraded) {
  { history::database db(path()); }
  {
    history::connection raw(path(), false);
    raw.exec("PRAGMA user_version = 99");
  }
  try {
    history::database db(path());
    FAIL() << "a newer schema was opened";
  } catch (const exacheck::usage_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path()), std::string::npos) << message;
    EXPECT_NE(message.find("99"), std::string::npos) << message;
    EXPECT_NE(message.find("this exacheck's " + std::to_string(history::schema_version)), std::string::npos)
        << message;
  }
  history::connection raw(path(), false);
  auto version = raw.prepare("PRAGMA user_version");
  version.step();
  EXPECT_EQ(version.integer(0), 99);
}

TEST_F(history_db, adding_the_same_run_twice_is_a_no_op_said_as_such) {
  history::database db(path());
  const auto run = history_run(night(5), history_fleet(2, 4, 700));
  const auto first = history::add_run(db, run, "/runs/a");
  EXPECT_TRUE(first.added);
  EXPECT_EQ(first.devices, 8u);
  EXPECT_EQ(first.values, 8u);
  EXPECT_EQ(first.night, "2026-11-05");
  // The same run.json from a copy of its directory elsewhere: the same run.
  const auto again = history::add_run(db, run, "/copies/a");
  EXPECT_FALSE(again.added);
  EXPECT_EQ(again.run_id, first.run_id);
  EXPECT_EQ(count(db, "SELECT count(*) FROM runs"), 1);
  EXPECT_EQ(count(db, "SELECT count(*) FROM measurements"), 8);
}

TEST_F(history_db, every_device_value_has_its_outcome_and_an_invalid_value_is_null_and_fail) {
  history::database db(path());
  auto gpus = history_fleet(1, 3, 700);
  gpus[1].value = 600;
  gpus[1].verdict = "FAIL";
  gpus[2].value = std::nullopt;
  history::add_run(db, history_run(night(5), gpus), "/runs/a");
  auto rows = db.sql().prepare(
      "SELECT d.uuid, m.value, m.outcome FROM measurements m JOIN devices d ON d.id = m.device ORDER BY "
      "d.uuid");
  std::vector<std::tuple<std::string, bool, std::string>> seen;
  while (rows.step()) seen.emplace_back(rows.text(0), rows.is_null(1), rows.text(2));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], std::make_tuple(std::string("GPU-10"), false, std::string("PASS")));
  EXPECT_EQ(seen[1], std::make_tuple(std::string("GPU-11"), false, std::string("FAIL")));
  EXPECT_EQ(seen[2], std::make_tuple(std::string("GPU-12"), true, std::string("FAIL")));
}

TEST_F(history_db, a_gpu_that_moves_to_another_node_keeps_its_history) {
  history::database db(path());
  auto gpus = history_fleet(2, 1, 700);
  history::add_run(db, history_run(night(1), gpus), "/runs/1");
  std::swap(gpus[0].uuid, gpus[1].uuid);  // the two GPUs swapped nodes
  std::swap(gpus[0].serial, gpus[1].serial);
  gpus[0].value = 650;
  history::add_run(db, history_run(night(2), gpus), "/runs/2");
  const auto found = history::history_of(db, {.gpu = "GPU-10", .host = "", .metric = ""});
  ASSERT_EQ(found.size(), 1u);
  ASSERT_EQ(found[0].nights.size(), 2u);
  EXPECT_EQ(found[0].nights[0].host, "node001");
  EXPECT_EQ(found[0].nights[1].host, "node002");
  EXPECT_EQ(found[0].nights[1].value, std::optional<double>(700));
  // By serial too, and a CPU rank (no UUID, no serial) by its host and local rank.
  EXPECT_EQ(history::history_of(db, {.gpu = "S10", .host = "", .metric = ""}).size(), 1u);
  EXPECT_EQ(history::device_key({{"host", "n1"}, {"kind", "cpu"}, {"gpu", 3}, {"uuid", nullptr}}),
            "n1/cpu:3");
}

TEST_F(history_db, prune_keeps_the_days_before_the_newest_night_and_drops_the_rest) {
  history::database db(path());
  for (const int day : {1, 10, 20})
    history::add_run(db, history_run(night(day), history_fleet(1, 2, 700)), "/r");
  const auto pruned = history::prune(db, 10);
  EXPECT_EQ(pruned.runs, 1u);  // 11-01 only: 11-10 is 10 days before 11-20, kept
  EXPECT_EQ(pruned.kept_from, "2026-11-10");
  EXPECT_EQ(count(db, "SELECT count(*) FROM runs"), 2);
  EXPECT_EQ(count(db, "SELECT count(*) FROM measurements"), 4);
  EXPECT_EQ(count(db, "SELECT count(*) FROM run_devices"), 4);
  EXPECT_EQ(history::prune(db, 10).runs, 0u);  // again: nothing more
}

TEST_F(history_db, several_processes_adding_different_runs_at_once_all_succeed) {
  constexpr int writers = 6;
  constexpr int gpus = 1024;
  std::vector<pid_t> children;
  for (int w = 0; w < writers; ++w) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      int code = 0;
      try {
        // Each opens the file itself (the first ones race to create it) and adds its own night.
        history::database db(path());
        code =
            history::add_run(db, history_run(night(w + 1), history_fleet(gpus / 4, 4, 700 + w)), "/r").added
                ? 0
                : 3;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "writer %d: %s\n", w, e.what());
        code = 1;
      }
      ::_exit(code);
    }
    children.push_back(pid);
  }
  for (const pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a writer failed: status " << status;
  }
  history::database db(path());
  EXPECT_EQ(count(db, "SELECT count(*) FROM runs"), writers);
  EXPECT_EQ(count(db, "SELECT count(*) FROM devices"), gpus);
  EXPECT_EQ(count(db, "SELECT count(*) FROM measurements"), writers * gpus);
}

TEST_F(history_db, drift_flags_a_device_below_its_own_baseline_and_not_its_steady_neighbours) {
  history::database db(path());
  for (int day = 1; day <= 12; ++day) {
    auto gpus = history_fleet(1, 3, 700);
    gpus[1].value = 700 * (1 - 0.005 * day);          // loses 0.5% a night
    gpus[2].value = 700 * (day % 2 ? 1.004 : 0.996);  // noise, no trend
    history::add_run(db, history_run(night(day), gpus), "/r");
  }
  const auto found = history::find_drift(db, {.nights = 7, .recent = 3, .threshold_pct = 2.0});
  EXPECT_EQ(found.recent_nights, (std::vector<std::string>{"2026-11-10", "2026-11-11", "2026-11-12"}));
  EXPECT_EQ(found.baseline_nights.size(), 7u);
  EXPECT_EQ(found.judged, 3u);
  ASSERT_EQ(found.drifting.size(), 1u);
  EXPECT_EQ(found.drifting[0].device.uuid, "GPU-11");
  EXPECT_EQ(found.drifting[0].host, "node001");
  EXPECT_NEAR(found.drifting[0].change_pct, -2.6, 0.1);  // nights 10-12 vs 3-9: 5 nights of 0.5%
}

TEST_F(history_db, drift_of_a_lower_is_better_metric_is_a_rise) {
  history::database db(path());
  for (int day = 1; day <= 10; ++day) {
    auto gpus = history_fleet(1, 2, 10);
    gpus[0].value = 10 * (1 + 0.01 * day);  // latency rising 1% a night
    gpus[1].value = 10 * (1 - 0.01 * day);  // falling: better, not drift
    history::add_run(db, history_run(night(day), gpus, "time_us", "lower"), "/r");
  }
  const auto found = history::find_drift(db, {.nights = 7, .recent = 3, .threshold_pct = 2.0});
  ASSERT_EQ(found.drifting.size(), 1u);
  EXPECT_EQ(found.drifting[0].device.uuid, "GPU-10");
  EXPECT_GT(found.drifting[0].change_pct, 2.0);
}

TEST_F(history_db, drift_with_too_few_nights_judges_nothing) {
  history::database db(path());
  for (int day = 1; day <= 3; ++day)
    history::add_run(db, history_run(night(day), history_fleet(1, 2, 700)), "/r");
  const auto found = history::find_drift(db, {.nights = 7, .recent = 3, .threshold_pct = 2.0});
  EXPECT_EQ(found.judged, 0u);
  EXPECT_EQ(found.not_enough, 2u);
}

const fs::path golden_dir = fs::path(EXACHECK_TEST_DATA_DIR) / "golden";

TEST_F(history_db, a_run_json_is_read_without_its_cases_and_an_older_one_upgraded) {
  // Today's schema: everything but the cases, the analysis as written.
  nlohmann::json run = exacheck::parse_json_file((golden_dir / "run_fleet.json").string());
  exacheck::upgrade_run_document(run);
  ASSERT_EQ(run["schema"], "exacheck/run/v3");
  exacheck::write_json_atomically((m_dir / "run.json").string(), run);
  const auto read = history::read_run_for_history(m_dir.string());
  EXPECT_FALSE(read.contains("cases"));
  EXPECT_EQ(read["analysis"], run["analysis"]);
  EXPECT_EQ(read["provenance"], run["provenance"]);
  // Older schemas (v2, and v1 with its analysis of one object per GPU) are upgraded first.
  for (const char* older : {"run_fleet.json", "run_small_v1.json"}) {
    const auto upgraded = history::read_run_for_history((golden_dir / older).string());
    EXPECT_EQ(upgraded["schema"], "exacheck/run/v3") << older;
    EXPECT_FALSE(upgraded["analysis"]["devices"].empty()) << older;
  }
  history::database db(path());
  const auto added = history::add_run(db, read, m_dir.string());
  EXPECT_EQ(added.devices, 72u);
  EXPECT_GT(added.values, 72u);
}

TEST_F(history_db, a_run_json_without_an_analysis_is_refused_naming_the_way_out) {
  exacheck::write_file_atomically((m_dir / "run.json").string(),
                                  R"({"schema": "exacheck/run/v3", "cases": []})");
  try {
    history::read_run_for_history(m_dir.string());
    FAIL() << "read a run without an analysis";
  } catch (const exacheck::usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("exacheck report"), std::string::npos) << e.what();
  }
}

TEST(history_default_location, environment_then_xdg_then_home) {
  const auto restore = [](const char* name, const char* value) {
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  };
  const char* saved[] = {std::getenv("EXACHECK_HISTORY"), std::getenv("XDG_DATA_HOME"), std::getenv("HOME")};
  const std::string kept[] = {saved[0] ? saved[0] : "", saved[1] ? saved[1] : "", saved[2] ? saved[2] : ""};
  ::setenv("EXACHECK_HISTORY", "/data/h.sqlite", 1);
  ::setenv("XDG_DATA_HOME", "/xdg", 1);
  ::setenv("HOME", "/home/op", 1);
  EXPECT_EQ(history::default_database_path(), "/data/h.sqlite");
  ::setenv("EXACHECK_HISTORY", "", 1);  // empty: as unset
  EXPECT_EQ(history::default_database_path(), "/xdg/exacheck/history.sqlite");
  ::unsetenv("XDG_DATA_HOME");
  EXPECT_EQ(history::default_database_path(), "/home/op/.local/share/exacheck/history.sqlite");
  ::unsetenv("HOME");
  ::unsetenv("EXACHECK_HISTORY");
  EXPECT_THROW(history::default_database_path(), exacheck::usage_error);
  restore("EXACHECK_HISTORY", saved[0] ? kept[0].c_str() : nullptr);
  restore("XDG_DATA_HOME", saved[1] ? kept[1].c_str() : nullptr);
  restore("HOME", saved[2] ? kept[2].c_str() : nullptr);
}

}  // namespace
