// `exacheck simulate`: assembles a synthetic run through the controller's own steps (expand the plan, one
// case entry per launch, complete_case_entry from the case's result file, update_summary), then analyses and
// renders it like `exacheck report`.
#include "harness/simulate/simulate.hpp"

#include <fmt/core.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "harness/controller/launcher.hpp"
#include "harness/controller/process.hpp"
#include "harness/core/clock.hpp"
#include "harness/core/errors.hpp"
#include "harness/core/registry.hpp"
#include "harness/io/files.hpp"
#include "harness/plan/shipped_plans.hpp"
#include "harness/results/outcome.hpp"
#include "harness/results/result_accounting.hpp"
#include "harness/results/run_document.hpp"
#include "reports/analysis/aggregate.hpp"
#include "reports/render/render.hpp"

namespace exacheck {
namespace fs = std::filesystem;
namespace {

// The launch a real run of this case on the simulated machine would use (shown in reports of errors).
std::vector<std::string> launch_argv(const expanded_case& c, const std::string& run_dir) {
  const std::string dir = (fs::path(run_dir) / "cases" / c.id).string();
  const launch_request request{.launcher = c.launcher == "local" ? "mpirun" : c.launcher,
                               .ranks = c.ranks,
                               .ranks_per_node = c.ranks_per_node,
                               .threads_per_rank = 1,
                               .cpus_on_node = c.ranks_per_node,
                               .worker_argv = {"exacheck", "worker", "--case", dir + "/case.json", "--result",
                                               dir + "/result.json", "--threads", "1"}};
  return build_launch_command(request).argv;
}

nlohmann::json synthetic_detail(const synthetic_fleet& fleet, const std::string& start) {
  nlohmann::json planted = nlohmann::json::array();
  for (const auto& slow : fleet.planted())
    planted.push_back({{"host", slow.host},
                       {"gpu", slow.gpu},
                       {"rank", slow.rank},
                       {"uuid", fleet.gpus()[static_cast<std::size_t>(slow.rank)].uuid},
                       {"benchmark", slow.benchmark},
                       {"factor", slow.factor}});
  nlohmann::json detail = {{"nodes", fleet.nodes()},        {"gpus_per_node", fleet.gpus_per_node()},
                           {"gpus", fleet.gpus().size()},   {"seed", fleet.seed()},
                           {"planted", std::move(planted)}, {"missing_nodes", fleet.missing_hosts()}};
  if (fleet.night() > 0) {
    nlohmann::json drift = nlohmann::json::array();
    for (const auto& d : fleet.drift())
      for (const auto& gpu : fleet.gpus())
        if (gpu.host == d.host && gpu.index == d.gpu)
          drift.push_back({{"host", d.host},
                           {"gpu", d.gpu},
                           {"rank", gpu.rank},
                           {"uuid", gpu.uuid},
                           {"percent_per_night", d.percent_per_night},
                           {"factor", fleet.drift_factor(gpu.rank)}});
    detail["night"] = fleet.night();
    detail["start"] = start;
    detail["drift"] = std::move(drift);
  }
  return detail;
}

}  // namespace

nlohmann::json simulate_run(const plan& p, const system_spec& system, const synthetic_fleet& fleet,
                            const std::vector<std::string>& command_line, const std::string& run_dir,
                            const std::string& start_at) {
  auto cases = expand(p, registry::instance());
  nlohmann::json run = make_run_header(p, &system, command_line);
  run["synthetic"] = true;
  const std::string start = start_at.empty() ? default_night_start : start_at;
  run["synthetic_detail"] = synthetic_detail(fleet, start);
  // Night N of a series is dated N − 1 days after its start, so that a history has one dated row a night.
  if (fleet.night() > 0) run["provenance"]["started_at"] = night_timestamp(start, fleet.night());
  // The machine the run was given: every node and its GPUs must report, or be MISSING.
  run["provenance"]["expected_hosts"] = fleet.hosts();
  run["provenance"]["expected_gpus_per_host"] = fleet.gpus_per_node();
  const int gpus = static_cast<int>(fleet.gpus().size());
  for (auto& c : cases) {
    // The whole machine, one rank per GPU, every case (the plan's rank counts are for the partition it was
    // written for).
    c.ranks = gpus;
    c.ranks_per_node = fleet.gpus_per_node();
    c.backend = "cuda";
    run["cases"].push_back(make_case_entry(c, launch_argv(c, run_dir)));
  }
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const fs::path dir = fs::path(run_dir) / "cases" / c.id;
    fs::create_directories(dir);
    nlohmann::json result = simulate_case_result(c, system, fleet);
    // As a worker echoes its case.json's: the simulated result is this launch's.
    const std::string token = new_launch_token();
    result["token"] = token;
    process_result ended;
    for (const auto& r : result["rank_results"])
      ended.elapsed_s = std::max(ended.elapsed_s, r["timing"].value("benchmark_s", 0.0));
    write_file_atomically((dir / "result.json").string(), json_dump(result));
    complete_case_entry(run["cases"][i], ended, (dir / "result.json").string(), (dir / "worker.log").string(),
                        &system, c.ranks, token, /*global_points_from_rank_zero=*/true);
  }
  run["provenance"]["finished_at"] = run["provenance"]["started_at"];
  update_summary(run, false, true);
  store_devices_once(run);  // as run.json holds them (v3)
  return run;
}

int run_simulate(const simulate_options& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.out_dir.empty()) throw usage_error("simulate: --out DIR is required");
  if (options.night == 0 && (!options.start.empty() || !options.drift.empty()))
    throw usage_error("simulate: --start and --drift describe a night: give --night N too");
  const plan p = load_plan(
      options.plan_file.empty() ? shipped_plan_file("acceptance.yaml", "simulate") : options.plan_file,
      registry::instance());
  const system_spec system = load_system(options.system_file);
  std::optional<synthetic_fleet> fleet;
  try {
    fleet.emplace(options.nodes, options.gpus_per_node, options.seed, options.slow_gpus,
                  options.missing_nodes);
    if (options.night > 0) {
      std::vector<gpu_drift> drift;
      for (const auto& spec : options.drift)
        for (auto& d : parse_drift(spec)) drift.push_back(std::move(d));
      fleet->set_night(options.night, drift);
      (void)night_timestamp(options.start.empty() ? default_night_start : options.start, options.night);
    }
  } catch (const std::invalid_argument& e) {
    throw usage_error(fmt::format("simulate: {}", e.what()));
  }
  fs::create_directories(options.out_dir);
  // Never freed, as in rerender_reports: the process ends right after, and the OS frees it all at once.
  nlohmann::json& run = *new nlohmann::json(
      simulate_run(p, system, *fleet, options.command_line, options.out_dir, options.start));
  const double simulate_s = seconds_since(start);

  // As `exacheck run` ends: the fleet analysis with the plan's outlier rules, run.json, then the reports.
  const auto analysis_start = std::chrono::steady_clock::now();
  reports::analyse_run(run, p.outliers.value_or(reports::outlier_rules{}));
  run["timing"]["aggregation_s"] = seconds_since(analysis_start);
  const auto reports_start = std::chrono::steady_clock::now();
  write_json_atomically(options.out_dir + "/run.json", run);
  std::vector<std::string> report_paths = reports::render_all(run, options.out_dir);
  run["timing"]["reports_s"] = seconds_since(reports_start);

  fmt::print(
      "exacheck simulate: SYNTHETIC run of {} node(s) × {} GPU(s) = {} GPUs, plan '{}', system '{}', "
      "seed {}\n",
      fleet->nodes(), fleet->gpus_per_node(), fleet->gpus().size(), p.name, system.name, fleet->seed());
  for (const auto& slow : fleet->planted())
    fmt::print("  planted: {} GPU {} (rank {}) at {:.2f}× on {}\n", slow.host, slow.gpu, slow.rank,
               slow.factor, slow.benchmark);
  for (const auto& host : fleet->missing_hosts()) fmt::print("  planted: {} never reports\n", host);
  if (fleet->night() > 0)
    fmt::print("  night {} of this machine, dated {}\n", fleet->night(),
               run["provenance"]["started_at"].get<std::string>());
  for (const auto& d : fleet->drift())
    fmt::print("  drift: {} GPU {} at {:+g} % a night (×{:.4f} tonight)\n", d.host, d.gpu,
               d.percent_per_night, std::pow(1.0 + d.percent_per_night / 100.0, fleet->night() - 1));
  fmt::print("verdict: {} (exit code {}) in {:.2f} s\n", run["verdict"].get<std::string>(),
             run["exit_code"].get<int>(), simulate_s + seconds_since(reports_start));
  std::fflush(stdout);
  reports::render_console_devices(run, std::cout);
  std::cout.flush();
  fmt::print("run directory: {}\n  {}/run.json\n", options.out_dir, options.out_dir);
  for (const auto& path : report_paths) fmt::print("  {}\n", path);
  return run["exit_code"].get<int>();
}

}  // namespace exacheck
