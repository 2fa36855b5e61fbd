// Identities that last night to night (docs/run-json.md "Points"): two real runs that differ only in what the
// suites derived while running — flops' auto-sized inner_iterations and threads per rank, a collective's size
// rounded to the rank count — name the same points everywhere: compare matches every point, metrics.prom has
// the same series, junit.xml the same test names, and a reference `where: {bytes: 1MiB}` applies at 3 ranks
// too. A baseline written by an exacheck that kept the derived values in `params` compares the same.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>

#include "../support/cli_runner.hpp"
#include "../support/prometheus_text.hpp"
#include "harness/core/stable_hash.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path source_dir = EXACHECK_SOURCE_DIR;

std::string plan_text(const std::string& system_file, const std::string& cases) {
  return "schema: exacheck/plan/v1\nname: identity\nsystem: " + system_file +
         "\ndefaults: {launcher: mpirun, timeout: 120s, measure: {max_time: 300ms, min_time: 10ms}}\n"
         "cases:\n" +
         cases;
}

// What names a point in each report, from a run directory.
struct identities {
  std::set<std::string> points;      // benchmark, params and metric of every result
  std::set<std::string> series;      // metrics.prom: family and labels, device labels left out
  std::set<std::string> test_names;  // junit.xml: classname and name of every testcase
};

identities identities_of(const fs::path& run_dir) {
  identities found;
  const json run = read_json(run_dir / "run.json");
  for (const auto& c : run["cases"])
    for (const auto& point : c["results"])
      for (const auto& m : point["metrics"])
        found.points.insert(c["benchmark"].get<std::string>() + " " + point["params"].dump() + " " +
                            m["name"].get<std::string>());
  // A rank-scoped sample names its device (host, gpu, uuid): a run on more ranks has more of them. An
  // outcome is what was found (a loaded machine may miss a floor in one run only), not what was measured.
  for (const auto& sample : parse_prometheus_text(slurp(run_dir / "metrics.prom")).samples) {
    std::string text = sample.name;
    for (const auto& [name, value] : sample.labels)
      if (name != "host" && name != "gpu" && name != "uuid" && name != "outcome")
        text += " " + name + "=" + value;
    found.series.insert(text);
  }
  const std::string junit = slurp(run_dir / "junit.xml");
  static const std::regex testcase(
      "<testcase [^>]*name=\"([^\"]*)\"[^>]*classname=\"([^\"]*)\"|"
      "<testcase [^>]*classname=\"([^\"]*)\"[^>]*name=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(junit.begin(), junit.end(), testcase); it != std::sregex_iterator();
       ++it)
    found.test_names.insert((*it)[1].matched ? (*it)[2].str() + " / " + (*it)[1].str()
                                             : (*it)[3].str() + " / " + (*it)[4].str());
  return found;
}

// The params an exacheck before `derived` wrote for a point (harness/results/point_identity.hpp lists them).
json legacy_params(const std::string& benchmark, const json& point) {
  json params = point["params"];
  const json derived = point.value("derived", json::object());
  if (benchmark == "flops") {
    for (const char* key : {"inner_iterations", "isa", "threads"})
      if (derived.contains(key)) params[key] = derived[key];
  } else if (derived.contains("bytes") && derived["bytes"] != params["bytes"]) {
    params["requested_bytes"] = params["bytes"];
    params["bytes"] = derived["bytes"];
  }
  if (derived.contains("array_bytes_used")) params["array_bytes_used"] = derived["array_bytes_used"];
  return params;
}

// run.json as that older exacheck wrote it: derived values in the params of every point, check and analysis
// entry, and no `derived` anywhere.
json legacy_form(json run) {
  std::map<std::string, std::vector<std::pair<json, json>>> renamed_by_case;  // case id -> (params, old)
  for (auto& c : run["cases"]) {
    auto& renamed = renamed_by_case[c["id"].get<std::string>()];
    for (auto& point : c["results"]) {
      const json old = legacy_params(c["benchmark"], point);
      renamed.emplace_back(point["params"], old);
      point["params"] = old;
      point.erase("derived");
      for (auto& rank : point["ranks"]) rank.erase("derived");
    }
    for (auto& check : c["checks"])
      for (const auto& [today, old] : renamed)
        if (check["params"] == today) check["params"] = old;
  }
  for (const char* list : {"metrics", "collectives"})
    for (auto& entry : run["analysis"][list])
      for (const auto& [today, old] : renamed_by_case[entry["case_id"].get<std::string>()])
        if (entry["params"] == today) entry["params"] = old;
  return run;
}

class identity_cli : public ::testing::Test {
 protected:
  void SetUp() override { m_dir = fresh_temp_dir("identity"); }
  void TearDown() override { fs::remove_all(m_dir); }

  fs::path run_plan(const std::string& plan, const std::string& name, int ranks) {
    write_text(m_dir / "plan.yaml", plan);
    const fs::path out = m_dir / name;
    const auto result = run_cli(
        {"run", (m_dir / "plan.yaml").string(), "--out", out.string(), "--ranks", std::to_string(ranks)},
        m_dir / (name + ".txt"));
    EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.output;
    return out;
  }

  // `exacheck compare current --baseline baseline`: compare.json, after checking that every point matched.
  json compare(const fs::path& current, const fs::path& baseline) {
    const auto result = run_cli(
        {"compare", current.string(), "--baseline", baseline.string(), "--out", (m_dir / "compare").string()},
        m_dir / "compare.txt");
    EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.output;
    json comparison = read_json(m_dir / "compare" / "compare.json");
    EXPECT_FALSE(comparison["metrics"].empty());
    for (const auto& row : comparison["metrics"])
      EXPECT_TRUE(row["verdict"] != "MISSING" && row["verdict"] != "NEW") << row.dump();
    comparison.erase("baseline");  // its path
    return comparison;
  }

  // The baseline in the form an older exacheck wrote, in its own run directory.
  fs::path legacy_copy(const fs::path& run_dir) {
    const fs::path dir = m_dir / (run_dir.filename().string() + "-legacy");
    fs::create_directories(dir);
    write_text(dir / "run.json", legacy_form(read_json(run_dir / "run.json")).dump());
    return dir;
  }

  fs::path m_dir;
};

}  // namespace

TEST_F(identity_cli, a_cases_random_inputs_are_seeded_from_its_id_the_same_on_every_build) {
  // The seed in case.json is the low 32 bits of the FNV-1a 64 of the case id (published test vectors pin
  // fnv1a_64 in test_plan_expand.cpp), not std::hash, which differs between standard libraries: one plan
  // gives the same GEMM and copybw inputs on every build.
  const std::string plan =
      plan_text((source_dir / "configs/systems/generic-cpu.yaml").string(),
                "  - {name: seeded, benchmark: selftest, params: {loop: [1000, 2000]}}\n");
  const fs::path run_dir = run_plan(plan, "seeded", 1);
  const json run = read_json(run_dir / "run.json");
  ASSERT_EQ(run["cases"].size(), 2u);
  for (const auto& c : run["cases"]) {
    const std::string id = c["id"];
    const json case_json = read_json(run_dir / "cases" / id / "case.json");
    EXPECT_EQ(case_json["seed"].get<std::uint64_t>(), exacheck::fnv1a_64(id) & 0xffffffffu) << id;
  }
}

TEST_F(identity_cli, flops_auto_sized_on_other_thread_counts_keeps_its_points_series_and_test_names) {
  const std::string plan = plan_text((source_dir / "configs/systems/generic-cpu.yaml").string(),
                                     "  - {name: flops, benchmark: flops, params: {dtype: [fp64, fp32]}}\n");
  // One rank has every CPU of this machine, two ranks half of them each: threads per rank and the auto-sized
  // steps per chain differ between the runs.
  const fs::path one = run_plan(plan, "one-rank", 1);
  const fs::path two = run_plan(plan, "two-ranks", 2);
  const json point = read_json(one / "run.json")["cases"][0]["results"][0];
  EXPECT_EQ(point["params"], json({{"dtype", "fp64"}, {"engine", "cpu_simd"}, {"inner_iterations", 0}}));
  const json derived = point.value("derived", json::object());
  EXPECT_GT(derived.value("inner_iterations", 0LL), 0) << point.dump();
  EXPECT_TRUE(derived.contains("isa")) << point.dump();
  EXPECT_TRUE(derived.contains("threads")) << point.dump();
  EXPECT_NE(slurp(one / "report.md").find("(derived: inner_iterations="), std::string::npos);

  const identities a = identities_of(one), b = identities_of(two);
  EXPECT_EQ(a.points, b.points);
  EXPECT_EQ(a.series, b.series);
  EXPECT_EQ(a.test_names, b.test_names);
  const json against_today = compare(two, one);
  EXPECT_EQ(compare(two, legacy_copy(one)), against_today);
}

TEST_F(identity_cli, collectives_at_two_and_three_ranks_keep_the_plans_size_and_its_reference) {
  write_text(m_dir / "system.yaml",
             "schema: exacheck/system/v1\nname: identity\nsize: {nodes: 1, gpus_per_node: 0}\n"
             "peak_per_gpu: {unit: TFLOP/s}\nreferences:\n"
             "  - {benchmark: allgather, metric: busbw, where: {bytes: 1MiB}, value: 0.001, unit: GB/s, "
             "lower: 0%, source: floor}\n"
             "  - {benchmark: allreduce, metric: busbw, where: {bytes: 1MiB}, value: 0.001, unit: GB/s, "
             "lower: 0%, source: floor}\n");
  const std::string plan =
      plan_text("system.yaml",
                "  - {name: allgather, benchmark: allgather, params: {bytes: [1KiB, 1MiB], dtype: fp32}}\n"
                "  - {name: allreduce, benchmark: allreduce, params: {bytes: [1KiB, 1MiB], dtype: fp32}}\n");
  const fs::path two = run_plan(plan, "two-ranks", 2);
  const fs::path three = run_plan(plan, "three-ranks", 3);

  // At 3 ranks all-gather moves a whole number of fp32 elements per rank: 3 × 87381 × 4 B of the 1 MiB asked.
  const json run = read_json(three / "run.json");
  const json& allgather = run["cases"][0];
  ASSERT_EQ(allgather["results"].size(), 2u) << allgather.dump();
  EXPECT_EQ(allgather["results"][1]["params"]["bytes"], 1048576);
  EXPECT_FALSE(allgather["results"][1]["params"].contains("requested_bytes"));
  EXPECT_EQ(allgather["results"][1]["derived"], json({{"bytes", 1048572}}));
  for (const fs::path& dir : {two, three}) {
    const json judged_run = read_json(dir / "run.json");
    for (const auto& c : judged_run["cases"]) {
      int judged = 0;
      for (const auto& check : c["checks"])
        if (check["metric"] == "busbw" && check["params"]["bytes"] == 1048576) {
          EXPECT_FALSE(check["reference"].is_null()) << dir << ": " << check.dump();
          ++judged;
        }
      EXPECT_EQ(judged, 1) << dir << " " << c["name"];
    }
  }

  const identities a = identities_of(two), b = identities_of(three);
  EXPECT_EQ(a.points, b.points);
  EXPECT_EQ(a.series, b.series);
  EXPECT_EQ(a.test_names, b.test_names);
  const json against_today = compare(two, three);
  EXPECT_EQ(compare(two, legacy_copy(three)), against_today);
}

// `exacheck report` on a run directory written by an older exacheck reads it as today's and writes it back
// so.
TEST_F(identity_cli, report_on_a_legacy_run_writes_the_derived_values_apart) {
  const std::string plan =
      plan_text((source_dir / "configs/systems/generic-cpu.yaml").string(),
                "  - {name: allgather, benchmark: allgather, params: {bytes: 1MiB, dtype: fp32}}\n");
  const fs::path three = run_plan(plan, "three-ranks", 3);
  const fs::path legacy = legacy_copy(three);
  ASSERT_TRUE(read_json(legacy / "run.json")["cases"][0]["results"][0]["params"].contains("requested_bytes"));
  const auto result = run_cli({"report", legacy.string()}, m_dir / "report.txt");
  ASSERT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.output;
  const json rewritten = read_json(legacy / "run.json");
  const json today = read_json(three / "run.json");
  EXPECT_EQ(rewritten["cases"][0]["results"][0]["params"], today["cases"][0]["results"][0]["params"]);
  EXPECT_EQ(rewritten["cases"][0]["results"][0]["derived"], today["cases"][0]["results"][0]["derived"]);
  EXPECT_EQ(rewritten["cases"][0]["checks"], today["cases"][0]["checks"]);
}
