// exacheck simulate: the synthetic machine (deterministic with a seed), the shape of its run.json, the
// planted slow GPUs, and SYNTHETIC in every renderer's title.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "harness/plan/plan.hpp"
#include "harness/core/registry.hpp"
#include "harness/simulate/simulate.hpp"
#include "reports/render/render.hpp"

using namespace exacheck;
namespace fs = std::filesystem;

namespace {
const fs::path source_dir = EXACHECK_SOURCE_DIR;

system_spec h100() {
  return load_system((source_dir / "configs/systems/h100-sxm.yaml").string());
}

plan acceptance() {
  return load_plan((source_dir / "configs/plans/acceptance.yaml").string(), registry::instance());
}

// A small simulated run (its result files in a scratch directory, removed after).
nlohmann::json small_run(int nodes, int gpus_per_node, std::uint64_t seed, int slow) {
  const fs::path dir = fs::temp_directory_path() / ("exacheck-unit-simulate-" + std::to_string(::getpid()));
  const synthetic_fleet fleet(nodes, gpus_per_node, seed, slow);
  auto run = simulate_run(acceptance(), h100(), fleet, {"exacheck", "simulate"}, dir.string());
  fs::remove_all(dir);
  return run;
}

const expanded_case& first_case_of(const std::vector<expanded_case>& cases, const std::string& benchmark) {
  for (const auto& c : cases)
    if (c.benchmark == benchmark) return c;
  throw std::runtime_error("no case of " + benchmark);
}
}  // namespace

TEST(simulate, fleet_identities_are_well_formed_and_unique) {
  const synthetic_fleet fleet(12, 4, 7, 3);
  ASSERT_EQ(fleet.gpus().size(), 48u);
  EXPECT_EQ(fleet.gpus().front().host, "node001");
  EXPECT_EQ(fleet.gpus().back().host, "node012");
  EXPECT_EQ(fleet.gpus().back().index, 3);
  EXPECT_EQ(fleet.gpus().back().rank, 47);
  const std::regex uuid("GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  const std::regex serial("[0-9]{13}");
  const std::regex bus("00000000:[0-9A-F]{2}:00\\.0");
  std::set<std::string> uuids;
  for (const auto& gpu : fleet.gpus()) {
    EXPECT_TRUE(std::regex_match(gpu.uuid, uuid)) << gpu.uuid;
    EXPECT_TRUE(std::regex_match(gpu.serial, serial)) << gpu.serial;
    EXPECT_TRUE(std::regex_match(gpu.pci_bus_id, bus)) << gpu.pci_bus_id;
    EXPECT_GE(gpu.speed, 0.98);
    EXPECT_LE(gpu.speed, 1.02);
    uuids.insert(gpu.uuid);
  }
  EXPECT_EQ(uuids.size(), 48u);
}

TEST(simulate, same_seed_same_machine_other_seed_other_machine) {
  const synthetic_fleet a(30, 4, 42, 3), b(30, 4, 42, 3), c(30, 4, 43, 3);
  for (std::size_t i = 0; i < a.gpus().size(); ++i) {
    EXPECT_EQ(a.gpus()[i].uuid, b.gpus()[i].uuid);
    EXPECT_EQ(a.gpus()[i].speed, b.gpus()[i].speed);
  }
  EXPECT_NE(a.gpus()[0].uuid, c.gpus()[0].uuid);
  ASSERT_EQ(a.planted().size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(a.planted()[i].rank, b.planted()[i].rank);
    EXPECT_EQ(a.planted()[i].factor, b.planted()[i].factor);
  }
}

TEST(simulate, missing_nodes_leave_every_other_gpu_as_it_was_and_ranks_in_a_row) {
  const synthetic_fleet all(10, 4, 9, 0), some(10, 4, 9, 0, 3);
  ASSERT_EQ(some.missing_hosts().size(), 3u);
  EXPECT_EQ(some.hosts(), all.hosts());
  ASSERT_EQ(some.gpus().size(), 28u);
  const std::set<std::string> missing(some.missing_hosts().begin(), some.missing_hosts().end());
  std::size_t next = 0;
  for (const auto& gpu : all.gpus()) {
    if (missing.count(gpu.host)) continue;
    const auto& kept = some.gpus()[next];
    EXPECT_EQ(kept.rank, static_cast<int>(next));
    EXPECT_EQ(kept.uuid, gpu.uuid);
    EXPECT_EQ(kept.speed, gpu.speed);
    ++next;
  }
  EXPECT_EQ(next, some.gpus().size());
  EXPECT_THROW(synthetic_fleet(2, 2, 1, 0, 2), std::invalid_argument);  // one node must report
  EXPECT_THROW(synthetic_fleet(2, 2, 1, 3, 1), std::invalid_argument);  // 3 slow of the 2 that report
}

TEST(simulate, the_run_expects_every_node_of_the_machine) {
  const fs::path dir = fs::temp_directory_path() / ("exacheck-unit-simulate-x-" + std::to_string(::getpid()));
  const synthetic_fleet fleet(6, 2, 3, 0, 1);
  const auto run = simulate_run(acceptance(), h100(), fleet, {"exacheck", "simulate"}, dir.string());
  fs::remove_all(dir);
  EXPECT_EQ(run["provenance"]["expected_hosts"], nlohmann::json(fleet.hosts()));
  EXPECT_EQ(run["provenance"]["expected_gpus_per_host"], 2);
  EXPECT_EQ(run["synthetic_detail"]["missing_nodes"], nlohmann::json(fleet.missing_hosts()));
  for (const auto& c : run["cases"]) EXPECT_EQ(c["ranks"], 10) << c["id"];
}

TEST(simulate, planted_gpus_are_distinct_slow_at_one_benchmark_each) {
  const synthetic_fleet fleet(4, 2, 5, 6);
  ASSERT_EQ(fleet.planted().size(), 6u);
  std::set<int> ranks;
  std::multiset<std::string> benchmarks;
  for (const auto& slow : fleet.planted()) {
    ranks.insert(slow.rank);
    benchmarks.insert(slow.benchmark);
    EXPECT_GE(slow.factor, 0.70);
    EXPECT_LT(slow.factor, 0.80);
    EXPECT_EQ(fleet.gpus()[static_cast<std::size_t>(slow.rank)].host, slow.host);
    const double speed = fleet.gpus()[static_cast<std::size_t>(slow.rank)].speed;
    EXPECT_DOUBLE_EQ(fleet.factor(slow.rank, slow.benchmark), speed * slow.factor);
    EXPECT_DOUBLE_EQ(fleet.factor(slow.rank, "allreduce"), speed);
  }
  EXPECT_EQ(ranks.size(), 6u);
  EXPECT_EQ(benchmarks.count("gemm"), 2u);
  EXPECT_EQ(benchmarks.count("membw"), 2u);
  EXPECT_EQ(benchmarks.count("flops"), 2u);
  EXPECT_THROW(synthetic_fleet(2, 2, 1, 5), std::invalid_argument);
  EXPECT_THROW(synthetic_fleet(0, 4, 1, 0), std::invalid_argument);
}

TEST(simulate, gemm_values_lie_around_the_datasheet_peak) {
  const auto cases = expand(acceptance(), registry::instance());
  expanded_case bf16 = first_case_of(cases, "gemm");
  bf16.params["dtype"] = "bf16";
  const synthetic_fleet fleet(3, 4, 1, 0);
  const auto result = simulate_case_result(bf16, h100(), fleet);
  ASSERT_EQ(result["rank_results"].size(), 12u);
  for (const auto& rank : result["rank_results"]) {
    EXPECT_EQ(rank["device"]["name"], "simulated h100-sxm");
    const auto& point = rank["points"][0];
    EXPECT_EQ(point["scope"], "rank");
    EXPECT_EQ(point["samples"][0]["values"].size(), 5u);
    const double tflops = point["metrics"][0]["value"].get<double>();
    EXPECT_EQ(point["metrics"][0]["name"], "tflops");
    EXPECT_GT(tflops, 989.5 * 0.75 * 0.97);  // 75–85 % of the bf16 peak, ±2.5 % per GPU and noise
    EXPECT_LT(tflops, 989.5 * 0.85 * 1.03);
  }
}

TEST(simulate, collectives_are_global_points_at_the_full_rank_count) {
  const auto cases = expand(acceptance(), registry::instance());
  const synthetic_fleet fleet(16, 4, 1, 0);
  const auto result = simulate_case_result(first_case_of(cases, "allreduce"), h100(), fleet);
  ASSERT_EQ(result["rank_results"].size(), 1u);  // global: rank 0's record holds the reduced figures
  const auto& points = result["rank_results"][0]["points"];
  ASSERT_GT(points.size(), 20u);
  double previous_busbw = 0;
  for (const auto& point : points) {
    EXPECT_EQ(point["scope"], "global");
    const auto& metrics = point["metrics"];
    const auto busbw =
        std::find_if(metrics.begin(), metrics.end(), [](const auto& m) { return m["name"] == "busbw"; });
    ASSERT_NE(busbw, metrics.end());
    EXPECT_NE((*busbw)["description"].get<std::string>().find("n = 64"), std::string::npos);
    EXPECT_GT((*busbw)["value"].get<double>(), previous_busbw * 0.98);  // the curve rises with the size
    previous_busbw = (*busbw)["value"].get<double>();
  }
  EXPECT_GT(previous_busbw, 150.0);  // 1 GiB reaches most of the 180 GB/s the model allows
  EXPECT_LT(previous_busbw, 180.0);
}

TEST(simulate, run_has_every_case_every_gpu_and_the_planted_list) {
  const auto run = small_run(2, 4, 9, 2);
  EXPECT_EQ(run["schema"], "exacheck/run/v3");
  // Each GPU once in the run's devices (v3); every rank names its own by position.
  EXPECT_EQ(run["devices"].size(), 8u);
  for (const auto& c : run["cases"])
    for (const auto& point : c["results"])
      for (const auto& rank : point["ranks"]) EXPECT_TRUE(rank["device"].is_number_integer()) << rank;
  EXPECT_EQ(run["synthetic"], true);
  const auto& detail = run["synthetic_detail"];
  EXPECT_EQ(detail["nodes"], 2);
  EXPECT_EQ(detail["gpus_per_node"], 4);
  EXPECT_EQ(detail["seed"], 9);
  ASSERT_EQ(detail["planted"].size(), 2u);
  EXPECT_EQ(run["cases"].size(), expand(acceptance(), registry::instance()).size());
  for (const auto& c : run["cases"]) {
    EXPECT_EQ(c["status"], "completed") << c["id"] << c["message"];
    EXPECT_EQ(c["ranks"], 8);
    for (const auto& point : c["results"])
      EXPECT_EQ(point["ranks"].size(), point["scope"] == "rank" ? 8u : 1u) << c["id"];
  }
  EXPECT_EQ(run["provenance"]["hosts"], nlohmann::json({"node001", "node002"}));
}

TEST(simulate, same_seed_gives_the_same_cases) {
  const auto a = small_run(1, 4, 3, 1), b = small_run(1, 4, 3, 1), c = small_run(1, 4, 4, 1);
  EXPECT_EQ(a["cases"], b["cases"]);
  EXPECT_EQ(a["synthetic_detail"], b["synthetic_detail"]);
  EXPECT_NE(a["cases"], c["cases"]);
}

TEST(simulate, every_renderer_title_says_synthetic) {
  const auto run = small_run(1, 2, 1, 0);
  std::ostringstream markdown, junit, csv;
  reports::render_markdown(run, markdown);
  reports::render_junit(run, junit);
  reports::render_csv(run, csv);
  EXPECT_EQ(markdown.str().substr(0, markdown.str().find('\n')),
            "# exacheck report: acceptance — SYNTHETIC on h100-sxm");
  EXPECT_NE(junit.str().find("<testsuites name=\"exacheck acceptance (SYNTHETIC)\""), std::string::npos);
  EXPECT_EQ(csv.str().substr(0, csv.str().find('\n')),
            "# SYNTHETIC: generated by exacheck simulate, not measured");
  // A measured run says none of it.
  auto measured = run;
  measured["synthetic"] = false;
  std::ostringstream measured_junit, measured_csv;
  reports::render_junit(measured, measured_junit);
  reports::render_csv(measured, measured_csv);
  EXPECT_EQ(measured_junit.str().find("SYNTHETIC"), std::string::npos);
  EXPECT_EQ(measured_csv.str().rfind("case_id,", 0), 0u);
}
