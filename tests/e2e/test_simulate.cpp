// exacheck simulate end to end: a 2,100-GPU machine (525 nodes × 4 H100) with planted slow GPUs; the fleet
// analysis must name exactly those GPUs (and their nodes), no healthy one, and every report must say
// SYNTHETIC.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <tuple>

#include "../support/cli_runner.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {
const fs::path source_dir = EXACHECK_SOURCE_DIR;

std::string first_line(const fs::path& file) {
  const std::string text = slurp(file);
  return text.substr(0, text.find('\n'));
}

using gpu_key = std::tuple<std::string, int, std::string>;  // host, GPU index, benchmark

gpu_key key_of(const nlohmann::json& host, const nlohmann::json& gpu, const nlohmann::json& benchmark) {
  return {host.get<std::string>(), gpu.get<int>(), benchmark.get<std::string>()};
}

struct found {
  std::set<gpu_key> gpus;
  std::set<std::string> nodes;
  std::set<std::pair<std::string, int>> spread_worst;  // host and GPU a spread check names
  std::set<std::string> other_levels;
};

// Every OUTLIER check of the run, by level.
found outlier_checks(const nlohmann::json& run) {
  found f;
  for (const auto& c : run["cases"])
    for (const auto& check : c["checks"]) {
      if (check["outcome"] != "OUTLIER") continue;
      const std::string level = check.value("level", "");
      const std::string host = check.value("worst_host", "");
      if (level == "gpu")
        f.gpus.insert({host, check.value("gpu", -1), c["benchmark"].get<std::string>()});
      else if (level == "node")
        f.nodes.insert(host);
      else if (level == "spread")
        f.spread_worst.insert({host, check.value("gpu", -1)});
      else
        f.other_levels.insert(level + " " + host);
    }
  return f;
}
}  // namespace

TEST(simulate_cli, machine_of_2100_gpus_reports_exactly_the_planted_outliers) {
  const auto dir = fresh_temp_dir("simulate-2100");
  const auto result = run_cli({"simulate", "--nodes", "525", "--gpus-per-node", "4", "--system",
                               (source_dir / "configs/systems/h100-sxm.yaml").string(), "--plan",
                               (source_dir / "configs/plans/acceptance.yaml").string(), "--seed", "11",
                               "--out", (dir / "run").string()},
                              dir / "output.txt");
  // Planted slow GPUs are OUTLIERs (and the slow gemm and membw ones also miss their references): exit 1.
  ASSERT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("SYNTHETIC"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find((dir / "run" / "report.md").string()), std::string::npos) << result.output;

  const auto run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(run["synthetic"], true);
  EXPECT_EQ(run["verdict"], "FAIL");
  EXPECT_EQ(run["exit_code"], 1);
  EXPECT_EQ(run["analysis"]["measured"]["gpus"], 2100);
  EXPECT_EQ(run["analysis"]["measured"]["nodes"], 525);
  const auto& planted = run["synthetic_detail"]["planted"];
  ASSERT_EQ(planted.size(), 3u);
  std::set<gpu_key> planted_gpus;
  std::set<std::string> planted_hosts;
  for (const auto& p : planted) {
    planted_gpus.insert(key_of(p["host"], p["gpu"], p["benchmark"]));
    planted_hosts.insert(p["host"].get<std::string>());
  }

  const found outliers = outlier_checks(run);
  EXPECT_EQ(outliers.gpus, planted_gpus);    // every planted GPU, at what it is slow at, and no other GPU
  EXPECT_EQ(outliers.nodes, planted_hosts);  // their nodes are below the other nodes too
  // The plan's spread rule (membw triad within 5 %) names the worst GPU: the planted membw one.
  for (const auto& [host, gpu] : outliers.spread_worst) {
    EXPECT_TRUE(planted_gpus.count({host, gpu, "membw"})) << host << " GPU " << gpu;
  }
  EXPECT_TRUE(outliers.other_levels.empty()) << *outliers.other_levels.begin();
  // The analysis lists the same GPUs; and the reference failures are the planted GPUs' too.
  for (const auto& metric : run["analysis"]["metrics"])
    for (const auto& o : metric["outliers"]) {
      if (o["level"] == "gpu") {
        EXPECT_TRUE(planted_gpus.count(key_of(o["host"], o["gpu"], metric["benchmark"]))) << o.dump();
      } else {
        EXPECT_TRUE(planted_hosts.count(o["host"].get<std::string>())) << o.dump();
      }
    }
  for (const auto& c : run["cases"])
    for (const auto& check : c["checks"])
      if (check["outcome"] == "FAIL") {
        EXPECT_TRUE(planted_hosts.count(check["worst_host"].get<std::string>())) << check.dump();
      }

  // Every report leads with those GPUs: device verdicts, report.md's table, the console, Prometheus.
  const auto& verdicts = run["analysis"]["device_verdicts"];
  EXPECT_EQ(verdicts["summary"]["gpus"], 2100);
  EXPECT_EQ(verdicts["summary"]["gpus_needing_attention"], 3);
  EXPECT_EQ(verdicts["summary"]["nodes_listed"], 0);  // their nodes are slow because of them only
  EXPECT_EQ(verdicts["summary"]["missing"], nlohmann::json({{"gpus", 0}, {"nodes", 0}}));
  std::set<std::pair<std::string, int>> named, planted_slots;
  for (const auto& p : planted) planted_slots.insert({p["host"].get<std::string>(), p["gpu"].get<int>()});
  ASSERT_EQ(verdicts["attention"].size(), 3u);
  for (const auto& entry : verdicts["attention"]) {
    ASSERT_TRUE(entry.contains("gpu")) << entry.dump();
    const auto& gpu = verdicts["gpus"][entry["gpu"].get<std::size_t>()];
    named.insert({gpu["host"].get<std::string>(), gpu["gpu"].get<int>()});
    EXPECT_NE(gpu["verdict"], "PASS");
  }
  EXPECT_EQ(named, planted_slots);
  const std::string md = slurp(dir / "run" / "report.md");
  const auto section = md.find("## Devices needing attention");
  ASSERT_NE(section, std::string::npos);
  EXPECT_LT(section, md.find("## System totals"));
  const std::string table = md.substr(section, md.find("\n\n###", section) - section);
  EXPECT_NE(table.find("3 of 2100 GPU(s) need attention, on 3 of 525 node(s)"), std::string::npos) << table;
  int rows = 0;
  for (auto at = table.find("\n| node"); at != std::string::npos; at = table.find("\n| node", at + 1)) ++rows;
  EXPECT_EQ(rows, 3) << table;
  for (const auto& [host, gpu] : planted_slots)
    EXPECT_NE(table.find("| " + host + " | " + std::to_string(gpu) + " | GPU-"), std::string::npos) << host;
  for (const auto& [host, gpu] : planted_slots)
    EXPECT_NE(result.output.find(host + " GPU " + std::to_string(gpu) + " (GPU-"), std::string::npos)
        << result.output;
  const std::string prom = slurp(dir / "run" / "metrics.prom");
  int unhealthy = 0;
  for (auto at = prom.find("exacheck_device_healthy{"); at != std::string::npos;
       at = prom.find("exacheck_device_healthy{", at + 1))
    if (prom.compare(prom.find('}', at), 3, "} 0") == 0) ++unhealthy;
  EXPECT_EQ(unhealthy, 3);

  EXPECT_EQ(first_line(dir / "run" / "report.md"), "# exacheck report: acceptance — SYNTHETIC on h100-sxm");
  EXPECT_NE(slurp(dir / "run" / "junit.xml").find("<testsuites name=\"exacheck acceptance (SYNTHETIC)\""),
            std::string::npos);
  EXPECT_EQ(first_line(dir / "run" / "results.csv"),
            "# SYNTHETIC: generated by exacheck simulate, not measured");
  fs::remove_all(dir);
}

TEST(simulate_cli, healthy_machine_passes_with_no_outlier) {
  const auto dir = fresh_temp_dir("simulate-healthy");
  const auto result = run_cli({"simulate", "--nodes", "64", "--gpus-per-node", "4", "--system",
                               (source_dir / "configs/systems/h100-sxm.yaml").string(), "--slow", "0",
                               "--out", (dir / "run").string()},
                              dir / "output.txt");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  const auto run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(run["verdict"], "PASS");
  EXPECT_TRUE(run["synthetic_detail"]["planted"].empty());
  const found outliers = outlier_checks(run);
  EXPECT_TRUE(outliers.gpus.empty() && outliers.nodes.empty());
  fs::remove_all(dir);
}

TEST(simulate_cli, nodes_that_never_report_are_missing_and_the_run_is_incomplete) {
  const auto dir = fresh_temp_dir("simulate-missing");
  const auto result = run_cli({"simulate", "--nodes", "16", "--gpus-per-node", "4", "--system",
                               (source_dir / "configs/systems/h100-sxm.yaml").string(), "--slow", "0",
                               "--missing-nodes", "2", "--out", (dir / "run").string()},
                              dir / "output.txt");
  EXPECT_EQ(result.exit_code, 3) << result.output;
  const auto run = read_json(dir / "run" / "run.json");
  EXPECT_EQ(run["verdict"], "INCOMPLETE");
  const auto& missing = run["synthetic_detail"]["missing_nodes"];
  ASSERT_EQ(missing.size(), 2u);
  EXPECT_EQ(run["provenance"]["expected_hosts"].size(), 16u);
  EXPECT_EQ(run["analysis"]["measured"]["gpus"], 56);
  const auto& verdicts = run["analysis"]["device_verdicts"];
  EXPECT_EQ(verdicts["summary"]["missing"], nlohmann::json({{"gpus", 8}, {"nodes", 2}}));
  std::set<std::string> named;
  for (const auto& entry : verdicts["attention"]) {
    ASSERT_TRUE(entry.contains("node")) << entry.dump();  // a missing node's GPUs are its row's
    named.insert(verdicts["nodes"][entry["node"].get<std::size_t>()]["host"].get<std::string>());
  }
  EXPECT_EQ(named, std::set<std::string>(missing.begin(), missing.end()));
  const std::string md = slurp(dir / "run" / "report.md");
  for (const auto& host : missing)
    EXPECT_NE(md.find("| " + host.get<std::string>() + " | (node) | — | — | MISSING |"), std::string::npos)
        << md;
  EXPECT_NE(result.output.find("MISSING   " + missing[0].get<std::string>() + " (node)"), std::string::npos)
      << result.output;
  fs::remove_all(dir);
}

TEST(simulate_cli, bad_sizes_are_usage_errors) {
  const auto dir = fresh_temp_dir("simulate-usage");
  const auto system = (source_dir / "configs/systems/h100-sxm.yaml").string();
  EXPECT_EQ(run_cli({"simulate", "--nodes", "0", "--gpus-per-node", "4", "--system", system, "--out",
                     (dir / "a").string()},
                    dir / "out.txt")
                .exit_code,
            2);
  const auto too_many = run_cli({"simulate", "--nodes", "1", "--gpus-per-node", "2", "--system", system,
                                 "--slow", "3", "--out", (dir / "b").string()},
                                dir / "out.txt");
  EXPECT_EQ(too_many.exit_code, 2);
  EXPECT_NE(too_many.output.find("--slow 3"), std::string::npos) << too_many.output;
  fs::remove_all(dir);
}
