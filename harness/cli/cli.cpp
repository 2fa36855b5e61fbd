#include "harness/cli/cli.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <limits>
#include <optional>
#include <string_view>

#include "exacheck_version.hpp"
#include "harness/cli/cli_suggest.hpp"
#include "harness/cli/fleet_commands.hpp"
#include "harness/cli/history_command.hpp"
#include "harness/cli/inventory.hpp"
#include "harness/compare/compare.hpp"
#include "harness/controller/controller.hpp"
#include "harness/controller/node_check.hpp"
#include "harness/core/errors.hpp"
#include "harness/core/registry.hpp"
#include "harness/plan/plan.hpp"
#include "harness/results/outcome.hpp"
#include "harness/simulate/simulate.hpp"
#include "harness/worker/worker.hpp"
#include "kernels/cpu/cpu_gemm.hpp"
#include "kernels/register_backends.hpp"

namespace exacheck {
namespace {

// A count that must be positive. CLI11's PositiveNumber says "Value 0 not in range 0 to 1.79769e+308",
// which names neither the rule nor the option.
const CLI::Validator at_least_one(
    [](std::string& text) -> std::string {
      long long value = 0;
      if (!CLI::detail::lexical_cast(text, value)) return "'" + text + "' is not a whole number";
      return value >= 1 ? "" : "must be at least 1, got " + text;
    },
    "INT>=1", "at least 1");

// --ranks: a count >= 1, or "all" (every task of the Slurm allocation, or the slots of mpirun's hosts).
const CLI::Validator ranks_count_or_all(
    [](std::string& text) -> std::string {
      if (text == "all") return "";
      long long value = 0;
      if (!CLI::detail::lexical_cast(text, value))
        return "'" + text + "' is neither a whole number nor 'all'";
      return value >= 1 && value <= std::numeric_limits<int>::max()
                 ? ""
                 : "must be at least 1, got " + text + " (or 'all': every task of the allocation)";
    },
    "INT>=1|all", "ranks");

// "auto" and every backend this build registered (the backend table, through the suites): cpu, and cuda
// in a build with CUDA.
std::vector<std::string> backend_choices() {
  std::vector<std::string> names{"auto"};
  const auto& suites = registry::instance();
  for (const auto& benchmark : suites.benchmark_names())
    for (const auto& backend : suites.find(benchmark)->backends())
      if (std::find(names.begin(), names.end(), backend) == names.end()) names.push_back(backend);
  return names;
}

// --backend: one of backend_choices(), or the table's error naming what there is.
CLI::Validator backend_of_this_build() {
  const auto names = backend_choices();
  const std::string listed = fmt::format("{}", fmt::join(names, ", "));
  return CLI::Validator(
      [names, listed](std::string& text) -> std::string {
        if (std::find(names.begin(), names.end(), text) != names.end()) return "";
        return fmt::format("backend '{}' is not available in this build (available: {})", text, listed);
      },
      "BACKEND in {" + listed + "}", "backend");
}

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options()) {
    for (const auto& name : option->get_lnames()) names.push_back("--" + name);
    for (const auto& name : option->get_snames()) names.push_back("-" + name);
  }
  return names;
}

// What CLI11 left over when it refused a command line, said with a did-you-mean: a misspelt subcommand
// ("exacheck reprot") or option ("exacheck run plan.yaml --rank 2"). nullopt when nothing was unknown (a
// missing argument, a value its check refused): CLI11's own message says that well enough.
std::optional<std::string> unknown_argument_message(const CLI::App& app) {
  const auto is_option = [](const std::string& token) { return token.size() > 1 && token[0] == '-'; };
  const auto unknown_option = [&](const CLI::App& context,
                                  const std::string& command) -> std::optional<std::string> {
    for (const auto& token : context.remaining()) {
      if (!is_option(token)) continue;
      const std::string suggestion = did_you_mean_option(token, option_names(context));
      return fmt::format("{}: unknown option '{}'{} ({} --help lists its options)", command,
                         token.substr(0, token.find('=')),
                         suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?", command);
    }
    return std::nullopt;
  };
  for (const CLI::App* sub : app.get_subcommands()) {
    const std::string command = "exacheck " + sub->get_name();
    // A command of commands (`exacheck history show`): its own command's options, or a misspelt command.
    for (const CLI::App* nested : sub->get_subcommands())
      if (auto message = unknown_option(*nested, command + " " + nested->get_name())) return message;
    if (auto message = unknown_option(*sub, command)) return message;
    if (!sub->get_subcommands({}).empty() && sub->get_subcommands().empty())
      for (const auto& token : sub->remaining()) {
        std::vector<std::string> commands;
        for (const CLI::App* nested : sub->get_subcommands({})) commands.push_back(nested->get_name());
        const std::string suggestion = did_you_mean(token, commands);
        return fmt::format("{}: unknown command '{}'{} ({} --help lists its commands)", command, token,
                           suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?", command);
      }
  }
  if (auto message = unknown_option(app, "exacheck")) return message;
  if (!app.get_subcommands().empty()) return std::nullopt;
  for (const auto& token : app.remaining()) {
    std::vector<std::string> commands;
    for (const CLI::App* sub : app.get_subcommands({}))
      if (!sub->get_group().empty()) commands.push_back(sub->get_name());  // not the internal worker
    const std::string suggestion = did_you_mean(token, commands);
    return fmt::format("exacheck: unknown command '{}'{} (exacheck --help lists the commands)", token,
                       suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?");
  }
  return std::nullopt;
}

}  // namespace

int cli_main(int argc, char** argv) {
  // Every command reads the backend table: list and info show it, run checks plans against it, the worker
  // makes its kernels from it.
  register_backends();
  // Only a worker computes with BLAS.
  if (argc < 2 || std::string_view(argv[1]) != "worker") gemm::release_blas_threads();
  CLI::App app{
      "exacheck — HPC acceptance tests: runs YAML test plans of MPI-spread microbenchmarks (GEMM, "
      "collectives,\n"
      "memory bandwidth, peak FLOPS), verifies every answer, compares against references, and writes "
      "reports.\n\n"
      "Start with:  exacheck run configs/plans/quick.yaml\n"
      "Exit codes (of run, and of report for the run it reads):\n"
      "  0 all passed · 1 a check failed · 2 plan/usage error · 3 incomplete (a case errored, timed out or\n"
      "  never finished) · 130 interrupted (Ctrl-C, SIGTERM, SIGHUP: results so far are written)",
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
  run_cmd
      ->add_option(
          "--backend", run.backend,
          "Backend for every case: auto (a GPU's where this node has one, else cpu) or one this build has")
      ->check(backend_of_this_build());
  run_cmd->add_option("--launcher", run.launcher, "Launcher for every case")
      ->check(CLI::IsMember({"local", "mpirun", "srun"}));
  std::optional<std::string> ranks_text, hosts_text, hostfile;
  run_cmd
      ->add_option("--ranks", ranks_text,
                   "Ranks for every case: a count, or 'all' (every task of the Slurm allocation; for mpirun "
                   "with hosts, their slots)")
      ->check(ranks_count_or_all);
  auto* hosts_option = run_cmd->add_option(
      "--hosts", hosts_text, "mpirun's hosts for every case, outside Slurm: a,b,c or with slots a:4,b:4");
  run_cmd
      ->add_option("--hostfile", hostfile,
                   "mpirun's hosts for every case, outside Slurm: an Open MPI hostfile ('node01 slots=4')")
      ->check(CLI::ExistingFile)
      ->excludes(hosts_option);
  run_cmd
      ->add_option("--cpus-per-node", run.cpus_per_node,
                   "CPUs of each of mpirun's hosts (threads per rank = these / ranks on the node; default: "
                   "the hosts' slots)")
      ->check(at_least_one);
  run_cmd->add_option("--prom-textfile", run.prom_textfile,
                      "Also write metrics.prom to FILE (*.prom), atomically: for node_exporter's textfile "
                      "collector");
  run_cmd->add_flag("--dry-run", run.dry_run, "Print every case and its exact launch command; run nothing");
  run_cmd->add_option("--history", run.history_file,
                      "Add the run to this history database as it finishes, and show its devices' trend in "
                      "the reports (docs/history.md)");
  run_cmd->add_flag("--replace", run.replace,
                    "The --out directory holds an earlier run: remove its files (run.json, reports, cases/) "
                    "first instead of refusing");

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

  std::string report_dir, report_history;
  std::optional<double> report_z_threshold;
  auto* report_cmd =
      app.add_subcommand("report",
                         "Re-analyse RUN_DIR/run.json (fleet outliers) and re-render report.md, "
                         "junit.xml, results.csv, metrics.prom; exits with the run's verdict code (0, 1, 3, "
                         "130)");
  auto* report_dir_option = report_cmd->add_option("run_dir", report_dir, "Run directory");
  report_cmd
      ->add_option(
          "--z-threshold", report_z_threshold,
          "Flag GPUs and nodes past this robust z (default: the run's rules, from its plan's outliers:)")
      ->check(CLI::PositiveNumber);
  std::string report_prom_textfile;
  report_cmd->add_option("--prom-textfile", report_prom_textfile,
                         "Also write metrics.prom to FILE (*.prom), atomically: for node_exporter's textfile "
                         "collector");
  report_cmd->add_option("--history", report_history,
                         "Show the trend of the devices needing attention from this history database");

  // ---- history: add, show, drift, prune (harness/cli/history_command.cpp, docs/history.md) ----
  history_command_options history;
  add_history_commands(app, history);

  // ---- report --merge, drain, resume: the nightly fleet (harness/cli/fleet_commands.hpp) ----
  fleet_commands fleet;
  add_fleet_commands(app, *report_cmd, *report_dir_option, fleet);

  // ---- compare, export-reference (harness/compare/compare_command.cpp) ----
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
  compare_cmd->add_flag(
      "--allow-missing", compare.allow_missing,
      "Report GPUs, nodes, points and metrics of the baseline that this run lacks as MISSING "
      "without failing (default: each is a regression, exit code 1)");

  export_reference_options export_reference;
  auto* export_cmd = app.add_subcommand(
      "export-reference", "Write a reference file (per-GPU medians with provenance) from RUN_DIR");
  export_cmd->add_option("run_dir", export_reference.run_dir, "Run directory")->required();
  export_cmd->add_option("--out,-o", export_reference.out_file, "Reference file to write (YAML)")->required();
  export_cmd->add_option("--who", export_reference.organisation, "Organisation publishing the numbers")
      ->required();
  export_cmd->add_option("--contact", export_reference.contact, "Contact (e-mail) for questions");
  export_cmd->add_option("--notes", export_reference.notes, "Free text: how and where it was measured");

  // ---- simulate: a synthetic whole-machine run (harness/simulate/simulate.hpp, docs/simulate.md) ----
  simulate_options simulate;
  auto* simulate_cmd = app.add_subcommand(
      "simulate", "Write a SYNTHETIC run of N nodes × G GPUs (planted slow GPUs included), then its reports");
  simulate_cmd->add_option("--nodes", simulate.nodes, "Nodes")->required()->check(at_least_one);
  simulate_cmd->add_option("--gpus-per-node", simulate.gpus_per_node, "GPUs per node")
      ->required()
      ->check(at_least_one);
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
  simulate_cmd
      ->add_option("--night", simulate.night,
                   "Night N of the same machine (fixed by --seed): fresh noise, dated --start + N-1 days")
      ->check(at_least_one);
  simulate_cmd->add_option("--start", simulate.start,
                           "First night's date, UTC (default 2026-11-01T02:00:00Z); with --night");
  simulate_cmd->add_option(
      "--drift", simulate.drift,
      "host:gpu=PCT[,...]: that GPU loses PCT % a night, compounded (e.g. node003:2=-0.5); "
      "with --night");
  // ---- end simulate ----

  // ---- node-check: for Slurm's HealthCheckProgram, Prolog, Epilog (harness/controller/node_check.hpp) ----
  node_check_options node_check;
  auto* node_check_cmd = app.add_subcommand(
      "node-check",
      "Check this node only (configs/plans/node-check.yaml, ~1 min): silent on success, one NHC-style line "
      "and a "
      "non-zero exit on failure; the run under OUT_ROOT/<host>/<UTC time> (docs/operations.md)");
  // No ExistingFile checks: a missing plan or system file is reported as every other failure is, in the one
  // line a Slurm hook prints.
  node_check_cmd->add_option("--plan", node_check.plan_file,
                             "Plan (default: the shipped configs/plans/node-check.yaml)");
  node_check_cmd->add_option("--system", node_check.system_file,
                             "System file with references (default: the plan's)");
  node_check_cmd
      ->add_option("--out-root", node_check.out_root, "Where this node's runs go: OUT_ROOT/<host>/…")
      ->capture_default_str();
  node_check_cmd
      ->add_option("--ranks", node_check.ranks,
                   "Ranks of every case (default: one per visible GPU, else the plan's)")
      ->check(at_least_one);
  node_check_cmd->add_option("--backend", node_check.backend, "Backend for every case")
      ->check(backend_of_this_build());
  node_check_cmd->add_option("--prom-textfile", node_check.prom_textfile,
                             "Also write metrics.prom to FILE (*.prom), atomically, as run does");
  // ---- end node-check ----

  worker_options worker;
  auto* worker_cmd = app.add_subcommand("worker", "");  // internal: started by the launcher, one per rank
  worker_cmd->group("");
  worker_cmd->add_option("--case", worker.case_file)->required();
  worker_cmd->add_option("--result", worker.result_file)->required();
  worker_cmd->add_option("--threads", worker.threads);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      if (const auto message = unknown_argument_message(app)) {
        std::cerr << *message << "\n";
        return exit_code::usage_error;
      }
    }
    const int code = app.exit(e);
    return code == 0 ? 0 : exit_code::usage_error;
  }

  try {
    if (*worker_cmd) return run_worker(worker);
    if (*run_cmd) {
      run.command_line.assign(argv, argv + argc);
      if (ranks_text) run.ranks = *ranks_text == "all" ? all_ranks : std::stoi(*ranks_text);
      try {
        if (hosts_text) run.hosts = host_set{parse_host_list(*hosts_text, "--hosts"), ""};
        if (hostfile) run.hosts = read_hostfile(*hostfile);
      } catch (const std::invalid_argument& e) {
        throw usage_error(e.what());
      }
      return run_plan(run);
    }
    if (*validate_cmd) return validate_plan(validate_file, validate_system);
    if (*list_cmd) return print_benchmark_list(list_benchmark);
    if (app.got_subcommand("info")) return print_machine_info();
    if (const auto code = run_fleet_command(fleet, report_cmd->parsed(), report_z_threshold, argc, argv,
                                            report_prom_textfile))
      return *code;
    if (*report_cmd) {
      if (report_dir.empty()) throw usage_error("report needs RUN_DIR, or --merge RUN_DIR… --out DIR");
      return rerender_reports(report_dir, report_z_threshold, report_history, report_prom_textfile);
    }
    if (const auto code = run_history_command(history)) return *code;
    if (*compare_cmd) return run_compare(compare);
    if (*export_cmd) return run_export_reference(export_reference);
    if (*node_check_cmd) {
      node_check.command_line.assign(argv, argv + argc);
      return run_node_check(node_check);
    }
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
