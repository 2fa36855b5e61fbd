// End-to-end tests of `exacheck compare` and `exacheck export-reference`: run directories made from the
// golden run, one with a planted regression; exit codes, what is printed, compare.md/compare.json, usage
// errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "../support/cli_runner.hpp"
#include "../support/reanalyse.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {

const fs::path golden_run = fs::path(EXACHECK_TEST_DATA_DIR) / "golden" / "run_small.json";

// A run directory holding the golden run, with `change` applied to it first.
fs::path make_run_dir(const fs::path& parent, const std::string& name,
                      const std::function<void(nlohmann::json&)>& change = {}) {
  nlohmann::json run = read_json(golden_run);
  if (change) {
    change(run);
    reanalyse(run);  // as `exacheck report` would after the values changed
  }
  const fs::path dir = parent / name;
  fs::create_directories(dir);
  write_text(dir / "run.json", run.dump(2));
  return dir;
}

// GEMM fp64 20% slower on every rank.
void plant_gemm_regression(nlohmann::json& run) {
  for (auto& rank : run["cases"][0]["results"][0]["ranks"]) {
    auto& tflops = rank["values"]["tflops"];
    tflops = tflops.get<double>() * 0.8;
  }
}

// node002 did not report tonight: its ranks are gone from every per-GPU point (the collectives' global values
// are rank 0's, on node001).
void remove_node002(nlohmann::json& run) {
  for (auto& c : run["cases"])
    for (auto& point : c["results"]) {
      if (point.value("scope", "rank") == "global") continue;
      auto& ranks = point["ranks"];
      ranks.erase(std::remove_if(ranks.begin(), ranks.end(),
                                 [](const nlohmann::json& rank) { return rank["host"] == "node002"; }),
                  ranks.end());
    }
}

class compare_cli : public ::testing::Test {
 protected:
  void SetUp() override { m_dir = fresh_temp_dir("compare"); }
  void TearDown() override { fs::remove_all(m_dir); }
  cli_result run(const std::vector<std::string>& args) { return run_cli(args, m_dir / "output.txt"); }
  fs::path m_dir;
};

}  // namespace

TEST_F(compare_cli, planted_regression_exits_1_and_is_named) {
  const auto baseline = make_run_dir(m_dir, "baseline");
  const auto current = make_run_dir(m_dir, "current", plant_gemm_regression);
  const auto result = run({"compare", current.string(), "--baseline", baseline.string()});
  ASSERT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("exacheck compare: REGRESSION (exit code 1), tolerance ±5%"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("REGRESSION gemm dtype=fp64 m=2048 n=2048 k=2048 transa=n transb=n tflops "
                               "[per-GPU median]: 1.669 TFLOP/s → 1.335 TFLOP/s (-20.0%)"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("[node002 GPU 0]"), std::string::npos) << result.output;

  const auto comparison = read_json(current / "compare.json");
  EXPECT_EQ(comparison["schema"], "exacheck/compare/v1");
  EXPECT_EQ(comparison["counts"]["metrics"]["REGRESSION"], 1);
  EXPECT_EQ(comparison["counts"]["metrics"]["SAME"], 9);
  const std::string markdown = slurp(current / "compare.md");
  EXPECT_EQ(markdown.rfind("# exacheck compare: REGRESSION\n", 0), 0u) << markdown;
  // The regression comes before any table of unchanged metrics.
  EXPECT_LT(markdown.find("## Regressions"), markdown.find("## Metrics"));
  EXPECT_NE(
      markdown.find("| metric | gemm | dtype=fp64 m=2048 n=2048 k=2048 transa=n transb=n | tflops | per-GPU "
                    "median | 1.669 TFLOP/s | 1.335 TFLOP/s | -20.0% |"),
      std::string::npos)
      << markdown;
}

// A baseline analysed by an exacheck before the compact analysis (tests/fixtures/analysis_v1_small.json: the
// golden run's analysis in the old form, one object per GPU) compares exactly as the same run in today's
// form.
TEST_F(compare_cli, a_baseline_with_an_old_form_analysis_compares_as_one_in_todays_form) {
  const auto todays = make_run_dir(m_dir, "todays");
  const auto old = make_run_dir(m_dir, "old");
  nlohmann::json old_run = read_json(old / "run.json");
  old_run["analysis"] = read_json(fs::path(EXACHECK_TEST_DATA_DIR) / "fixtures" / "analysis_v1_small.json");
  ASSERT_TRUE(old_run["analysis"]["metrics"][0]["devices"].is_array());
  write_text(old / "run.json", old_run.dump(2));
  const auto current = make_run_dir(m_dir, "current", plant_gemm_regression);

  const auto against_todays = run({"compare", current.string(), "--baseline", todays.string()});
  ASSERT_EQ(against_todays.exit_code, 1) << against_todays.output;
  nlohmann::json expected = read_json(current / "compare.json");
  const auto against_old = run({"compare", current.string(), "--baseline", old.string()});
  ASSERT_EQ(against_old.exit_code, 1) << against_old.output;
  nlohmann::json got = read_json(current / "compare.json");
  ASSERT_FALSE(got["devices"].empty());  // per-GPU rows come from the baseline's analysis devices
  got.erase("baseline");                 // its path
  expected.erase("baseline");
  EXPECT_EQ(got, expected);
}

TEST_F(compare_cli, a_tolerance_wider_than_the_change_passes) {
  const auto baseline = make_run_dir(m_dir, "baseline");
  const auto current = make_run_dir(m_dir, "current", plant_gemm_regression);
  const auto result =
      run({"compare", current.string(), "--baseline", baseline.string(), "--tolerance", "25%"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("NO REGRESSION"), std::string::npos) << result.output;
}

TEST_F(compare_cli, the_baseline_compared_with_the_regressed_run_is_an_improvement_and_out_dir_is_used) {
  const auto baseline = make_run_dir(m_dir, "baseline", plant_gemm_regression);
  const auto current = make_run_dir(m_dir, "current");
  const auto out = m_dir / "reports";
  const auto result = run(
      {"compare", current.string(), "--baseline", (baseline / "run.json").string(), "--out", out.string()});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(read_json(out / "compare.json")["counts"]["metrics"]["IMPROVEMENT"], 1);
  EXPECT_TRUE(fs::exists(out / "compare.md"));
  EXPECT_FALSE(fs::exists(current / "compare.json"));
}

TEST_F(compare_cli, export_reference_then_compare_is_all_same) {
  const auto run_dir = make_run_dir(m_dir, "run");
  const auto reference = m_dir / "refs" / "ref.yaml";
  const auto exported = run({"export-reference", run_dir.string(), "--out", reference.string(), "--who",
                             "Example Vendor", "--contact", "perf@example.com"});
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_NE(exported.output.find("10 entries"), std::string::npos) << exported.output;
  const std::string yaml = slurp(reference);
  EXPECT_NE(yaml.find("schema: exacheck/reference/v1"), std::string::npos);
  EXPECT_NE(yaml.find("organisation: Example Vendor"), std::string::npos);

  const auto result =
      run({"compare", run_dir.string(), "--baseline", reference.string(), "--tolerance", "0%"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("metrics: 10 SAME"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("by Example Vendor (perf@example.com), measured 2026-11-24"),
            std::string::npos)
      << result.output;

  // The same reference catches the planted regression.
  const auto regressed = make_run_dir(m_dir, "regressed", plant_gemm_regression);
  const auto caught = run({"compare", regressed.string(), "--baseline", reference.string()});
  EXPECT_EQ(caught.exit_code, 1) << caught.output;
}

TEST_F(compare_cli, usage_errors_exit_2_with_a_clear_message) {
  const auto good = make_run_dir(m_dir, "good");
  struct expectation {
    std::vector<std::string> args;
    std::string message;
  };
  write_text(m_dir / "broken.json", "{ not json");
  fs::create_directories(m_dir / "empty");
  write_text(m_dir / "bad-ref.yaml",
             "schema: exacheck/reference/v1\nwho: {organisation: x}\ndate: 2026-11-24\nsystem: {name: s}\n"
             "entries:\n  - {benchmark: gemm, metric: tflops, value: 1, unit: TFLOPS}\n");
  const std::vector<expectation> cases = {
      {{"compare", (m_dir / "nowhere").string(), "--baseline", good.string()}, "RUN_DIR '"},
      {{"compare", good.string(), "--baseline", (m_dir / "nowhere").string()}, "--baseline '"},
      {{"compare", good.string(), "--baseline", (m_dir / "empty").string()}, "has no run.json"},
      {{"compare", good.string(), "--baseline", (m_dir / "broken.json").string()}, "is not valid JSON"},
      {{"compare", good.string(), "--baseline", good.string(), "--tolerance", "lots"}, "is not a tolerance"},
      {{"compare", good.string(), "--baseline", (m_dir / "bad-ref.yaml").string()},
       (m_dir / "bad-ref.yaml").string() + ":6:55: entry #1 unit 'TFLOPS' is not a unit exacheck knows"},
      {{"compare", good.string()}, "--baseline is required"},
      {{"export-reference", good.string(), "--out", (m_dir / "r.yaml").string()}, "--who is required"},
  };
  for (const auto& c : cases) {
    const auto result = run(c.args);
    EXPECT_EQ(result.exit_code, 2) << c.args[1] << "\n" << result.output;
    EXPECT_NE(result.output.find(c.message), std::string::npos) << result.output;
  }
}

// A baseline kept from an older exacheck (run.json schema exacheck/run/v1: metrics listed on every rank) is
// read as one of today's: the same run in either schema compares as all SAME, and a regression against it is
// found as against the v2 one.
TEST_F(compare_cli, a_v1_baseline_is_accepted_and_compares_like_its_v2_form) {
  const fs::path v1_dir = m_dir / "baseline-v1";
  fs::create_directories(v1_dir);
  fs::copy_file(fs::path(EXACHECK_TEST_DATA_DIR) / "golden" / "run_small_v1.json", v1_dir / "run.json");
  ASSERT_EQ(read_json(v1_dir / "run.json")["schema"], "exacheck/run/v1");
  const auto current = make_run_dir(m_dir, "current");
  const auto same = run({"compare", current.string(), "--baseline", v1_dir.string(), "--tolerance", "0%"});
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_NE(same.output.find("metrics: 10 SAME"), std::string::npos) << same.output;
  const auto regressed = make_run_dir(m_dir, "regressed", plant_gemm_regression);
  const auto caught = run({"compare", regressed.string(), "--baseline", (v1_dir / "run.json").string()});
  EXPECT_EQ(caught.exit_code, 1) << caught.output;
  EXPECT_NE(caught.output.find("1.669 TFLOP/s → 1.335 TFLOP/s (-20.0%)"), std::string::npos) << caught.output;
  // And as the run compared (RUN_DIR), too.
  const auto reversed =
      run({"compare", v1_dir.string(), "--baseline", current.string(), "--tolerance", "0%"});
  EXPECT_EQ(reversed.exit_code, 0) << reversed.output;
}

// Every rank's device is a position in the run's `devices`, which lists each device once (run.json v3).
static bool point_device_is_listed_once(const nlohmann::json& run) {
  const auto& devices = run["devices"];
  if (!devices.is_array() || devices.empty()) return false;
  for (std::size_t i = 0; i < devices.size(); ++i)
    for (std::size_t j = i + 1; j < devices.size(); ++j)
      if (devices[i] == devices[j]) return false;
  for (const auto& c : run["cases"])
    for (const auto& point : c["results"])
      for (const auto& rank : point["ranks"])
        if (!rank["device"].is_number_integer() || rank["device"].get<std::size_t>() >= devices.size())
          return false;
  return true;
}

// `exacheck report` on a run directory of an older exacheck renders its reports and writes run.json back in
// today's schema (compact), so that the next reader finds v3.
TEST_F(compare_cli, report_on_a_v1_run_writes_run_json_back_as_v3) {
  const fs::path dir = m_dir / "old-run";
  fs::create_directories(dir);
  fs::copy_file(fs::path(EXACHECK_TEST_DATA_DIR) / "golden" / "run_small_v1.json", dir / "run.json");
  const auto result = run({"report", dir.string()});
  EXPECT_EQ(result.exit_code, 1) << result.output;  // the verdict's exit code: the run has an INCORRECT check
  const std::string text = slurp(dir / "run.json");
  EXPECT_EQ(text.find('\n'), std::string::npos) << "run.json is written compact";
  const auto upgraded = nlohmann::json::parse(text);
  EXPECT_EQ(upgraded["schema"], "exacheck/run/v3");
  EXPECT_TRUE(point_device_is_listed_once(upgraded));
  const auto& point = upgraded["cases"][0]["results"][0];
  EXPECT_EQ(point["metrics"][0]["name"], "tflops");
  EXPECT_TRUE(point["ranks"][0]["values"]["tflops"].is_number());
  EXPECT_FALSE(point["ranks"][0].contains("metrics"));
  EXPECT_FALSE(point["ranks"][0].contains("statistics"));
  // Its reports are those of the same run in v2.
  const fs::path v2_dir = make_run_dir(m_dir, "new-run");
  ASSERT_EQ(run({"report", v2_dir.string()}).exit_code, 1);
  for (const char* report : {"report.md", "results.csv", "junit.xml", "metrics.prom", "report.html"})
    EXPECT_TRUE(slurp(dir / report) == slurp(v2_dir / report)) << report << " differs";
}

TEST_F(compare_cli, an_unknown_run_schema_is_a_usage_error_naming_both_known_ones) {
  const auto good = make_run_dir(m_dir, "good");
  const fs::path future = m_dir / "future";
  fs::create_directories(future);
  nlohmann::json run = read_json(golden_run);
  run["schema"] = "exacheck/run/v9";
  write_text(future / "run.json", run.dump());
  const auto result = run_cli({"compare", good.string(), "--baseline", future.string()}, m_dir / "out.txt");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("schema exacheck/run/v3, exacheck/run/v2 or exacheck/run/v1 expected"),
            std::string::npos)
      << result.output;
  const auto report = run_cli({"report", future.string()}, m_dir / "out2.txt");
  EXPECT_EQ(report.exit_code, 2) << report.output;
  EXPECT_NE(report.output.find("schema 'exacheck/run/v9' is not exacheck/run/v3"), std::string::npos)
      << report.output;
}

TEST_F(compare_cli, a_vanished_node_is_a_regression_named_in_every_output_unless_missing_is_allowed) {
  const auto baseline = make_run_dir(m_dir, "baseline");
  const auto current = make_run_dir(m_dir, "current", remove_node002);
  const auto result = run({"compare", current.string(), "--baseline", baseline.string()});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("exacheck compare: REGRESSION (exit code 1)"), std::string::npos)
      << result.output;
  // gemm fp64 and fp32 ran on both nodes; membw on node001 only.
  EXPECT_NE(result.output.find("MISSING node node002: 1 GPU(s) in the baseline; missing from 2 of the 2 "
                               "per-GPU metrics"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("MISSING GPU node002 GPU 0:"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("each fails the comparison unless --allow-missing"), std::string::npos)
      << result.output;
  const auto comparison = read_json(current / "compare.json");
  ASSERT_EQ(comparison["missing"]["nodes"].size(), 1u) << comparison["missing"].dump();
  EXPECT_EQ(comparison["missing"]["nodes"][0]["host"], "node002");
  ASSERT_EQ(comparison["missing"]["gpus"].size(), 1u);
  EXPECT_EQ(comparison["missing"]["gpus"][0]["host"], "node002");
  const std::string markdown = slurp(current / "compare.md");
  EXPECT_NE(markdown.find("**missing tonight: 1 node, 1 GPU**"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("| node | node002 | 1 GPU(s) in the baseline;"), std::string::npos) << markdown;
  EXPECT_LT(markdown.find("## Missing tonight"), markdown.find("## Metrics"));

  const auto allowed = run({"compare", current.string(), "--baseline", baseline.string(), "--allow-missing"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.output;
  EXPECT_NE(allowed.output.find("exacheck compare: NO REGRESSION (exit code 0)"), std::string::npos)
      << allowed.output;
  EXPECT_NE(allowed.output.find("MISSING node node002"), std::string::npos) << allowed.output;
  EXPECT_NE(allowed.output.find("reported, not failed: --allow-missing"), std::string::npos)
      << allowed.output;
  EXPECT_EQ(read_json(current / "compare.json")["allow_missing"], true);
}

TEST_F(compare_cli, a_reference_entry_this_run_did_not_measure_fails_unless_missing_is_allowed) {
  const auto current = make_run_dir(m_dir, "current");
  const auto reference = m_dir / "ref.yaml";
  write_text(reference,
             "schema: exacheck/reference/v1\nwho: {organisation: Example Vendor}\ndate: 2026-11-24\n"
             "system: {name: s}\nentries:\n"
             "  - {benchmark: gemm, where: {dtype: fp64}, metric: tflops, value: 1.669, unit: TFLOP/s}\n"
             "  - {benchmark: gemm, where: {dtype: fp8}, metric: tflops, value: 9, unit: TFLOP/s}\n");
  const auto result = run({"compare", current.string(), "--baseline", reference.string()});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(
      result.output.find("MISSING point gemm dtype=fp8: nothing of it measured; the baseline has tflops"),
      std::string::npos)
      << result.output;
  EXPECT_NE(slurp(current / "compare.md").find("| point | gemm dtype=fp8 |"), std::string::npos);
  const auto allowed =
      run({"compare", current.string(), "--baseline", reference.string(), "--allow-missing"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.output;
}

// A real run of the collectives (slowest_rank_ratio is in "x"): what export-reference writes loads, and the
// run compares with it as all SAME.
TEST_F(compare_cli, export_reference_of_a_run_with_collectives_loads_and_compares_same) {
  const auto run_dir = m_dir / "run";
  const auto measured = run({"run", (fs::path(EXACHECK_SOURCE_DIR) / "configs/plans/quick.yaml").string(),
                             "--case", "allreduce", "--out", run_dir.string()});
  // 1: a sanity ceiling missed on a loaded machine; the measurements are there all the same.
  ASSERT_TRUE(measured.exit_code == 0 || measured.exit_code == 1) << measured.output;
  const auto reference = m_dir / "ref.yaml";
  const auto exported =
      run({"export-reference", run_dir.string(), "--out", reference.string(), "--who", "Example Vendor"});
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  const std::string yaml = slurp(reference);
  EXPECT_NE(yaml.find("metric: slowest_rank_ratio\n    value: "), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("unit: x\n"), std::string::npos) << yaml;
  const auto compared =
      run({"compare", run_dir.string(), "--baseline", reference.string(), "--tolerance", "0%"});
  EXPECT_EQ(compared.exit_code, 0) << compared.output;
  EXPECT_EQ(compared.output.find("MISSING"), std::string::npos) << compared.output;
}

// A run whose reference file would not load (here a metric in a unit no reference can name) writes nothing:
// exit 3, the entry and the unit named, --out as it was, no temporary file left beside it.
TEST_F(compare_cli, export_reference_that_would_not_load_writes_nothing_and_names_the_problem) {
  const auto run_dir = make_run_dir(m_dir, "run", [](nlohmann::json& run) {
    run["cases"][2]["results"][0]["metrics"][0]["unit"] = "furlong/fortnight";
  });
  const auto out_dir = m_dir / "refs";
  const auto result = run({"export-reference", run_dir.string(), "--out", (out_dir / "new.yaml").string(),
                           "--who", "Example Vendor"});
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_NE(
      result.output.find("would not load, so nothing was written to " + (out_dir / "new.yaml").string()),
      std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("membw array_bytes=1073741824 threads=64 copy_bandwidth [furlong/fortnight]: "
                               "entry #"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("unit 'furlong/fortnight' is not a unit exacheck knows"), std::string::npos)
      << result.output;
  EXPECT_FALSE(fs::exists(out_dir / "new.yaml"));
  EXPECT_TRUE(fs::is_empty(out_dir));

  write_text(out_dir / "old.yaml", "last week's reference\n");
  const auto again = run({"export-reference", run_dir.string(), "--out", (out_dir / "old.yaml").string(),
                          "--who", "Example Vendor"});
  EXPECT_EQ(again.exit_code, 3) << again.output;
  EXPECT_EQ(slurp(out_dir / "old.yaml"), "last week's reference\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(out_dir), fs::directory_iterator()), 1);
}
