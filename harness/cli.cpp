#include "harness/cli.hpp"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "exacheck_version.hpp"
#include "harness/compare.hpp"
#include "harness/controller.hpp"
#include "harness/errors.hpp"
#include "harness/inventory.hpp"
#include "harness/outcome.hpp"
#include "harness/simulate.hpp"
#include "harness/worker.hpp"

namespace exacheck {

int cli_main(int argc, char** argv) {
  CLI::App app{
      "exacheck — HPC acceptance tests: runs YAML test plans of MPI-spread microbenchmarks (GEMM, "
      "collectives,\n"
      "memory bandwidth, peak FLOPS), verifies every answer, compares against references, and writes "
      "reports.\n\n"
      "Start with:  exacheck run configs/plans/quick.yaml\n"
      "Exit codes:  0 all passed · 1 a check failed · 2 plan/usage error · 3 incomplete · 130 interrupted",
      "exacheck"};
  app.set_version_flag("--version", fmt::format("exacheck {} ({})", version, git_revision));
  app.require_subcommand(1);

  run_options run;
  auto* run_cmd =
      app.add_subcommand("run", "Run a plan: every case in its own worker launch, then the reports");
  run_cmd->add_option("plan", run.plan_file, "Plan file (YAML, schema exacheck/plan/v1)")
      ->required()
      ->check(CLI::ExistingFile);
  run_cmd->add_option("--out,-o", run.out_dir, "Run directory (default: runs/<plan>-<UTC time>)");
  run_cmd
      ->add_option("--system", run.system_file, "System file with peaks and references (default: the plan's)")
      ->check(CLI::ExistingFile);
  run_cmd->add_option("--tags", run.tags, "Only cases with any of these tags (comma-separated)")
      ->delimiter(',');
  run_cmd->add_option("--case", run.case_names, "Only these cases, by name (repeatable)")->delimiter(',');
  run_cmd->add_option("--backend", run.backend, "Backend for every case")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  run_cmd->add_option("--launcher", run.launcher, "Launcher for every case")
      ->check(CLI::IsMember({"local", "mpirun", "srun"}));
  run_cmd->add_option("--ranks", run.ranks, "Ranks for every case")->check(CLI::PositiveNumber);
  run_cmd->add_flag("--dry-run", run.dry_run, "Print every case and its exact launch command; run nothing");

  std::string validate_file, validate_system;
  auto* validate_cmd =
      app.add_subcommand("validate", "Check a plan (and its system file) without running anything");
  validate_cmd->add_option("plan", validate_file, "Plan file")->required();
  validate_cmd->add_option("--system", validate_system, "System file (default: the plan's)");

  auto* list_cmd = app.add_subcommand(
      "list", "Benchmarks, their parameters (type, unit, default, allowed values), backends");
  std::string list_benchmark;
  list_cmd->add_option("benchmark", list_benchmark, "Only this benchmark");

  app.add_subcommand("info", "This machine: host, CPU, cores, memory, MPI and library versions, GPUs");

  std::string report_dir;
  std::optional<double> report_z_threshold;
  auto* report_cmd =
      app.add_subcommand("report",
                         "Re-analyse RUN_DIR/run.json (fleet outliers) and re-render report.md, "
                         "junit.xml, results.csv, metrics.prom");
  report_cmd->add_option("run_dir", report_dir, "Run directory")->required();
  report_cmd
      ->add_option(
          "--z-threshold", report_z_threshold,
          "Flag GPUs and nodes past this robust z (default: the run's rules, from its plan's outliers:)")
      ->check(CLI::PositiveNumber);

  // ---- compare, export-reference (harness/compare_command.cpp) ----
  compare_options compare;
  auto* compare_cmd = app.add_subcommand(
      "compare",
      "Compare RUN_DIR with a baseline run or a reference file: Δ% per metric, GPU and node; exit code 1 on "
      "any regression");
  compare_cmd->add_option("run_dir", compare.run_dir, "Run directory")->required();
  compare_cmd
      ->add_option("--baseline", compare.baseline,
                   "Baseline: another run directory (or its run.json), or a reference file (YAML)")
      ->required();
  compare_cmd->add_option("--tolerance", compare.tolerance, "Allowed change before a REGRESSION, e.g. 5%")
      ->capture_default_str();
  compare_cmd->add_option("--out,-o", compare.out_dir,
                          "Where compare.md and compare.json go (default: RUN_DIR)");

  export_reference_options export_reference;
  auto* export_cmd = app.add_subcommand(
      "export-reference", "Write a reference file (per-GPU medians with provenance) from RUN_DIR");
  export_cmd->add_option("run_dir", export_reference.run_dir, "Run directory")->required();
  export_cmd->add_option("--out,-o", export_reference.out_file, "Reference file to write (YAML)")->required();
  export_cmd->add_option("--who", export_reference.organisation, "Organisation publishing the numbers")
      ->required();
  export_cmd->add_option("--contact", export_reference.contact, "Contact (e-mail) for questions");
  export_cmd->add_option("--notes", export_reference.notes, "Free text: how and where it was measured");

  // ---- simulate: a synthetic whole-machine run (harness/simulate.hpp, docs/simulate.md) ----
  simulate_options simulate;
  auto* simulate_cmd = app.add_subcommand(
      "simulate", "Write a SYNTHETIC run of N nodes × G GPUs (planted slow GPUs included), then its reports");
  simulate_cmd->add_option("--nodes", simulate.nodes, "Nodes")->required()->check(CLI::PositiveNumber);
  simulate_cmd->add_option("--gpus-per-node", simulate.gpus_per_node, "GPUs per node")
      ->required()
      ->check(CLI::PositiveNumber);
  simulate_cmd->add_option("--system", simulate.system_file, "System file: peaks and references")
      ->required()
      ->check(CLI::ExistingFile);
  simulate_cmd->add_option("--out,-o", simulate.out_dir, "Run directory to write")->required();
  simulate_cmd
      ->add_option("--plan", simulate.plan_file,
                   "Plan to simulate (default: configs/plans/acceptance.yaml of this checkout)")
      ->check(CLI::ExistingFile);
  simulate_cmd->add_option("--seed", simulate.seed, "Seed: the same seed gives the same run")
      ->capture_default_str();
  simulate_cmd->add_option("--slow", simulate.slow_gpus, "Planted slow GPUs")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  simulate_cmd
      ->add_option("--missing-nodes", simulate.missing_nodes,
                   "Planted nodes that are expected but never report (MISSING)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  // ---- end simulate ----

  worker_options worker;
  auto* worker_cmd = app.add_subcommand("worker", "");  // internal: started by the launcher, one per rank
  worker_cmd->group("");
  worker_cmd->add_option("--case", worker.case_file)->required();
  worker_cmd->add_option("--result", worker.result_file)->required();
  worker_cmd->add_option("--threads", worker.threads);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : exit_code::usage_error;
  }

  try {
    if (*worker_cmd) return run_worker(worker);
    if (*run_cmd) {
      run.command_line.assign(argv, argv + argc);
      return run_plan(run);
    }
    if (*validate_cmd) return validate_plan(validate_file, validate_system);
    if (*list_cmd) return print_benchmark_list(list_benchmark);
    if (app.got_subcommand("info")) return print_machine_info();
    if (*report_cmd) return rerender_reports(report_dir, report_z_threshold);
    if (*compare_cmd) return run_compare(compare);
    if (*export_cmd) return run_export_reference(export_reference);
    if (*simulate_cmd) {
      simulate.command_line.assign(argv, argv + argc);
      return run_simulate(simulate);
    }
  } catch (const validation_error& e) {
    std::cerr << e.what() << "\n";
    return exit_code::usage_error;
  } catch (const usage_error& e) {
    std::cerr << "exacheck: " << e.what() << "\n";
    return exit_code::usage_error;
  } catch (const std::exception& e) {
    std::cerr << "exacheck: error: " << e.what() << "\n";
    return exit_code::incomplete;
  }
  return exit_code::usage_error;
}

}  // namespace exacheck
