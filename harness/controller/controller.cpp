#include "harness/controller/controller.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "harness/controller/allocation.hpp"
#include "harness/controller/allocation_state.hpp"
#include "harness/controller/case_attempts.hpp"
#include "harness/controller/gpu_preflight.hpp"
#include "harness/controller/guardian.hpp"
#include "harness/controller/launch_layout.hpp"
#include "harness/controller/launch_record.hpp"
#include "harness/controller/launcher.hpp"
#include "harness/controller/process.hpp"
#include "harness/controller/prom_textfile.hpp"
#include "harness/controller/run_directory.hpp"
#include "harness/core/clock.hpp"
#include "harness/core/errors.hpp"
#include "harness/core/granted_cpus.hpp"
#include "harness/core/registry.hpp"
#include "harness/core/stable_hash.hpp"
#include "harness/history/history_reports.hpp"
#include "harness/io/files.hpp"
#include "harness/node/gpu_runtime.hpp"  // resolve_backend
#include "harness/plan/plan.hpp"
#include "harness/plan/system_references.hpp"
#include "harness/results/commitments.hpp"
#include "harness/results/outcome.hpp"
#include "harness/results/provenance.hpp"
#include "harness/results/rank_progress.hpp"
#include "harness/results/result_accounting.hpp"
#include "harness/results/run_document.hpp"
#include "harness/results/run_read.hpp"
#include "reports/analysis/aggregate.hpp"
#include "reports/render/render.hpp"

namespace exacheck {
namespace fs = std::filesystem;
namespace {

std::string self_executable() {
  std::error_code error;
  const auto path = fs::read_symlink("/proc/self/exe", error);
  return error ? std::string("exacheck") : path.string();
}

std::string compact_params(const nlohmann::json& params) {
  std::string text;
  for (const auto& [key, value] : params.items()) {
    if (!text.empty()) text += ' ';
    std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
    if (value.is_array() && value.size() > 4)
      shown = fmt::format("[{} … {}] ({} values)", value.front().dump(), value.back().dump(), value.size());
    text += key + "=" + shown;
  }
  return text;
}

std::string default_run_dir(const std::string& plan_name) {
  std::string stamp = utc_timestamp_now();  // 2026-11-24T08:00:00Z → 20261124-080000
  std::erase(stamp, '-');
  std::erase(stamp, ':');
  std::erase(stamp, 'Z');
  std::replace(stamp.begin(), stamp.end(), 'T', '-');
  return (fs::path("runs") / fmt::format("{}-{}", plan_name, stamp)).string();
}

struct prepared_case {
  expanded_case spec;
  launch_command command;
  std::string dir, case_file, result_file, log_file;
  int threads = 1;
  launch_layout layout;
};

struct prepared_run {
  std::optional<slurm_allocation> allocation;
  std::vector<prepared_case> cases;
  std::vector<std::string> warnings;  // distinct, in order: printed before anything runs
};

// Applies command-line overrides and builds every case's launch command before anything runs, so a bad
// override or an unlaunchable case is a usage error (exit 2) with nothing run.
prepared_run prepare_cases(const plan& p, const run_options& options, const std::string& run_dir) {
  auto cases = expand(p, registry::instance(), {options.tags, options.case_names});
  if (cases.empty()) {
    std::vector<std::string> names, tags;
    for (const auto& c : p.cases) {
      names.push_back(c.name);
      for (const auto& t : c.tags)
        if (std::find(tags.begin(), tags.end(), t) == tags.end()) tags.push_back(t);
    }
    throw usage_error(fmt::format(
        "no case of plan '{}' matches --tags '{}' --case '{}'; the plan's cases are: {}; its tags are: {}",
        p.name, fmt::join(options.tags, ","), fmt::join(options.case_names, ","), fmt::join(names, ", "),
        tags.empty() ? "(none)" : fmt::format("{}", fmt::join(tags, ", "))));
  }
  prepared_run prepared;
  // Every size of a launch inside an allocation comes from it, never from this process's own CPU mask
  // (a login or batch node's): harness/controller/launch_layout.hpp.
  prepared.allocation = read_slurm_allocation();
  const launch_site site{prepared.allocation, read_cpu_info().allowed_cpus};
  const std::string self = self_executable();
  std::vector<launch_layout> layouts;
  for (auto& c : cases) {
    if (options.backend) c.backend = *options.backend;
    if (options.launcher) c.launcher = *options.launcher;
    if (options.ranks) c.ranks = *options.ranks;
    if (options.hosts) c.hosts = *options.hosts;
    if (options.cpus_per_node) c.cpus_per_node = *options.cpus_per_node;
    try {
      resolve_backend(c.backend);  // throws usage_error for a backend this build or machine cannot run
    } catch (const usage_error& e) {
      throw usage_error(fmt::format("case '{}': {}", c.name, e.what()));
    }
    layouts.push_back(lay_out_case(c, site));  // throws usage_error naming the case
    c.ranks = layouts.back().ranks;            // `all` resolved
    if (const auto& w = layouts.back().warning;
        w && std::find(prepared.warnings.begin(), prepared.warnings.end(), *w) == prepared.warnings.end())
      prepared.warnings.push_back(*w);
  }
  // More ranks on this node than GPUs: refused here, every such case named, rather than by each launch's
  // device binding after its ranks started.
  refuse_cases_short_of_gpus(p, cases);
  // Absolute, so that the recorded launch command reruns the case from any directory.
  const fs::path absolute_run_dir = fs::absolute(run_dir).lexically_normal();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto& c = cases[i];
    prepared_case pc;
    pc.dir = (absolute_run_dir / "cases" / c.id).string();
    pc.case_file = pc.dir + "/case.json";
    pc.result_file = pc.dir + "/result.json";
    pc.log_file = pc.dir + "/worker.log";
    pc.layout = std::move(layouts[i]);
    pc.threads = pc.layout.threads_per_rank;
    launch_request request = pc.layout.request;
    request.worker_argv = {self,       "worker",       "--case",    pc.case_file,
                           "--result", pc.result_file, "--threads", std::to_string(pc.threads)};
    try {
      pc.command = build_launch_command(request);
    } catch (const usage_error& e) {
      throw usage_error(fmt::format("case '{}': {}", c.name, e.what()));
    }
    pc.spec = std::move(c);
    prepared.cases.push_back(std::move(pc));
  }
  return prepared;
}

// Returns the launch's token: random, written in case.json for the worker to echo in its result, so that a
// result file this launch did not write is never taken for its own (harness/results/result_accounting.hpp).
std::string write_case_file(const prepared_case& pc) {
  // cases/<id> inside the run directory, never through a link planted there.
  const fs::path dir(pc.dir);
  create_directories_inside(dir.parent_path().parent_path().string(), "cases/" + dir.filename().string());
  const auto& c = pc.spec;
  const std::string token = new_launch_token();
  const nlohmann::json case_json = {{"schema", "exacheck/case/v1"},
                                    {"id", c.id},
                                    {"name", c.name},
                                    {"benchmark", c.benchmark},
                                    {"params", c.params},
                                    {"backend", c.backend},
                                    {"verify", c.verify},
                                    {"allow_gpu_sharing", c.allow_gpu_sharing},
                                    {"measurement", c.measurement},
                                    {"seed", case_input_seed(c.id)},
                                    {"threads", pc.threads},
                                    {"ranks", c.ranks},
                                    {"token", token}};
  write_file_atomically(pc.case_file, json_dump(case_json, 2));
  return token;
}

// A case never adopts what an earlier run left in its directory: its result and log go before it launches
// (a symlink goes as a link, never followed).
void remove_stale_case_files(const prepared_case& pc) {
  fs::remove(pc.result_file);
  fs::remove(pc.log_file);
  // The ranks' progress files (harness/results/rank_progress.hpp).
  fs::remove_all(progress_directory(pc.dir));
}

void save_run(nlohmann::json& run, const std::string& run_dir, bool interrupted, bool complete) {
  update_summary(run, interrupted, complete);
  store_devices_once(run);
  write_json_atomically(run_dir + "/run.json", run);
}

// Whether run.json's boolean `key` is true (false when absent or not a boolean).
bool flag(const nlohmann::json& run, const char* key) {
  const auto found = run.find(key);
  return found != run.end() && *found == true;
}

// The cases that never finished (summary.unfinished_cases), or why a run whose cases all ended is still not
// complete (`unsaved`: run.json could not be saved at the end); nothing for a complete run.
void print_unfinished(const nlohmann::json& run, const std::string& run_dir, bool unsaved = false) {
  if (flag(run, "complete")) return;
  if (const auto stopped = run.find("stopped"); stopped != run.end() && stopped->is_object())
    fmt::print("the run stopped: {}\n", stopped->value("reason", ""));
  const nlohmann::json* unfinished = nullptr;
  if (const auto summary = run.find("summary"); summary != run.end() && summary->is_object())
    if (const auto list = summary->find("unfinished_cases"); list != summary->end() && list->is_array())
      unfinished = &*list;
  if (!unfinished || unfinished->empty()) {
    if (unsaved)
      fmt::print(
          "not finished: every case was recorded, but run.json could not be saved at the end; once it can "
          "be, `exacheck report {}` completes it\n",
          run_dir);
    else if (!flag(run, "interrupted"))
      fmt::print(
          "not finished: every case was recorded, but the run stopped before its final analysis and save; "
          "`exacheck report {}` completes them\n",
          run_dir);
    return;
  }
  fmt::print("not finished: {} case(s) never finished:\n", unfinished->size());
  std::size_t shown = 0;
  for (const auto& c : *unfinished) {
    if (++shown > 20) break;
    fmt::print("  {:<24} {} ({})\n", c.value("id", ""), c.value("name", ""), c.value("status", ""));
  }
  if (unfinished->size() > 20) fmt::print("  … and {} more (see report.md)\n", unfinished->size() - 20);
}

void print_summary(const nlohmann::json& run, const std::vector<std::string>& report_paths,
                   const std::string& run_dir, const std::string& unsaved) {
  // The verdict, then the devices that need attention by host and GPU (reports/render/console.cpp).
  std::fflush(stdout);
  reports::render_console_verdict(run, std::cout);
  std::cout.flush();
  print_unfinished(run, run_dir, !unsaved.empty());
  const auto& t = run["timing"];
  fmt::print(
      "time: total {:.1f} s = launch {:.1f} s + benchmarks {:.1f} s + aggregation {:.3f} s + reports {:.3f} "
      "s\n",
      t["total_s"].get<double>(), t["launch_s"].get<double>(), t["benchmark_s"].get<double>(),
      t["aggregation_s"].get<double>(), t["reports_s"].get<double>());
  fmt::print("run directory: {}\n", run_dir);
  if (unsaved.empty())
    fmt::print("  {}/run.json\n", run_dir);
  else
    fmt::print(
        "  {}/run.json could not be saved at the end ({}): the one on disk is the last that could be written "
        "and says the run did not finish; each case's measured result is in cases/<id>/result.json\n",
        run_dir, unsaved);
  for (const auto& path : report_paths) fmt::print("  {}\n", path);
  fmt::print("exit code {}\n", run["exit_code"].get<int>());
}

// The system-wide analysis and fleet outliers (reports/analysis/aggregate.hpp); returns the seconds it took.
// A failure here costs the analysis, never the results measured: the reports are rendered without it.
double analyse(nlohmann::json& run, const reports::outlier_rules& rules) {
  const auto start = std::chrono::steady_clock::now();
  try {
    reports::analyse_run(run, rules);
  } catch (const std::exception& e) {
    fmt::print(stderr, "exacheck: could not analyse the run: {} (results and reports are kept)\n", e.what());
  }
  return seconds_since(start);
}

// One attempt of a case: its stale files removed, case.json written, the launch run and its entry filled.
// `ended_by_slurm` is set when the launch was stopped by a SIGTERM with which Slurm ended the job.
process_result launch_case(const prepared_case& pc, const std::atomic<bool>& interrupt,
                           case_guardian& guardian, nlohmann::json& entry, const system_spec* system,
                           double& aggregation_s, std::optional<allocation_gone>& ended_by_slurm) {
  process_result ended;
  std::string token;
  try {
    remove_stale_case_files(pc);
    token = write_case_file(pc);
    // Long cases (acceptance sizes run for minutes) show they are alive once a minute, on the same line.
    double next_progress_s = 60;
    const auto show_progress = [&](double elapsed_s) {
      if (elapsed_s < next_progress_s) return;
      fmt::print("{:.0f} s … ", next_progress_s);
      std::fflush(stdout);
      next_progress_s += 60;
    };
    ended = run_process(pc.command.argv, pc.command.environment, pc.log_file, pc.spec.timeout_s, &interrupt,
                        show_progress, 3.0, &guardian);
  } catch (const std::exception& e) {
    ended.how = process_result::ending::failed_to_start;
    ended.error = e.what();
  }
  ended_by_slurm.reset();
  if (ended.how == process_result::ending::interrupted) {
    // Not an operator's interrupt: under sbatch, a node failure or the job's time limit reaches the run as
    // Slurm's SIGTERM. The launch is then the failure it is, described from the launcher's own words ("Node
    // failure on node02"), and the run stops as for any lost allocation.
    ended_by_slurm = job_ending_after_signal(last_interrupt_signal(), pc.dir + "/slurm-job-state.txt");
    if (ended_by_slurm) {
      ended.how = process_result::ending::signaled;
      ended.signal = SIGTERM;
    }
  }
  const auto aggregation_start = std::chrono::steady_clock::now();
  complete_case_entry(entry, ended, pc.result_file, pc.log_file, system, pc.spec.ranks, token, false,
                      {.progress_dir = progress_directory(pc.dir),
                       .timeout_s = pc.spec.timeout_s,
                       .launcher = pc.spec.launcher});
  entry["hosts"] = reported_hosts(pc.result_file, pc.spec.id, token);
  aggregation_s += seconds_since(aggregation_start);
  return ended;
}

}  // namespace

int run_plan(const run_options& options) {
  const auto run_start = std::chrono::steady_clock::now();
  if (!options.prom_textfile.empty()) check_prom_textfile(options.prom_textfile);
  const plan p = load_plan(options.plan_file, registry::instance());
  std::optional<system_spec> system;
  const std::string system_file =
      !options.system_file.empty() ? options.system_file : p.system_file.value_or("");
  if (!system_file.empty()) system = load_system_for_plan(system_file, p, registry::instance()).system;
  const std::string run_dir = options.out_dir.empty() ? default_run_dir(p.name) : options.out_dir;
  auto prepared = prepare_cases(p, options, run_dir);
  auto& cases = prepared.cases;
  for (const auto& warning : prepared.warnings) fmt::print("exacheck: warning: {}\n", warning);
  if (prepared.allocation)
    fmt::print("exacheck: Slurm job {}{}: {} node(s) {}, {} task(s), {} CPU(s) per task\n",
               prepared.allocation->job_id,
               prepared.allocation->partition.empty() ? "" : " (" + prepared.allocation->partition + ")",
               prepared.allocation->nodes.size(), prepared.allocation->node_list, prepared.allocation->tasks,
               prepared.allocation->cpus_for_each_task());
  // What the launcher is given of this process's environment (OMPI_*, SLURM_* options, …), recorded with
  // each case's command so that its rerun line runs it as it ran.
  const auto inherited = launch_relevant_environment();

  if (options.dry_run) {
    fmt::print("plan '{}': {} case(s); dry run, nothing is launched\n", p.name, cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const auto& c = cases[i].spec;
      const auto launch = case_launch_json(cases[i].command, cases[i].layout, inherited);
      fmt::print(
          "[{}/{}] {} ({}) {}\n      ranks {} · {} threads/rank · backend {} · time-out {:.0f} s\n      $ "
          "{}\n",
          i + 1, cases.size(), c.name, c.id, compact_params(c.params), c.ranks, cases[i].threads, c.backend,
          c.timeout_s, launch["rerun"].get<std::string>());
    }
    return exit_code::all_passed;
  }

  fs::create_directories(run_dir);
  const run_directory_lock lock(run_dir);  // held until the end: two runs never write one directory
  claim_run_directory(run_dir, options.replace);
  const auto& interrupt = install_interrupt_handlers();
  // Forked before any launch: it stops the launch that runs if this process dies, however it dies.
  case_guardian guardian;
  // After SIGHUP the terminal may be gone; the results so far are saved and rendered all the same.
  const auto notice_interrupt = [] {
    if (last_interrupt_signal() == SIGHUP) leave_hung_up_terminal();
  };
  nlohmann::json run = make_run_header(p, system ? &*system : nullptr, options.command_line);
  run["provenance"]["slurm"] = slurm_job_json(prepared.allocation);
  // The site's OMP_PROC_BIND/OMP_PLACES had bound this controller to one CPU (harness/cli/main.cpp undid it).
  if (const auto& released = released_openmp_binding(); !released.empty()) {
    run["provenance"]["openmp_binding"] = released;
    fmt::print("exacheck: note: {}\n", released);
  }
  std::vector<launch_layout> layouts;
  for (const auto& pc : cases) {
    layouts.push_back(pc.layout);
    auto entry = make_case_entry(pc.spec, pc.command.argv);
    entry["launch"] = case_launch_json(pc.command, pc.layout, inherited);
    if (!pc.layout.expected_hosts.empty()) entry["expected_hosts"] = pc.layout.expected_hosts;
    run["cases"].push_back(std::move(entry));
  }
  // Every host a launch spans must report, or it is MISSING in the analysis (reports/analysis).
  if (const auto expected = expected_hosts_of(layouts); !expected.empty())
    run["provenance"]["expected_hosts"] = expected;
  save_run(run, run_dir, false, false);
  fmt::print("exacheck: plan '{}' · {} case(s) · run directory {}\n", p.name, cases.size(), run_dir);
  std::fflush(stdout);

  double aggregation_s = 0;
  bool interrupted = false;
  // The allocation gone (a node failure, its time limit): no later case can run. The run stops after case
  // `done` and lists the rest once, rather than one ERROR per remaining case.
  const auto announce_stop = [&](const allocation_gone& gone, std::size_t done) {
    fmt::print("\nstopped: {}; {} case(s) not run (listed in the reports)\n", gone.reason,
               cases.size() - done);
    std::fflush(stdout);
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto& entry = run["cases"][i];
    const auto& pc = cases[i];
    if (interrupt.load() && !interrupted) {
      // Slurm's SIGTERM between two cases.
      if (const auto gone =
              job_ending_after_signal(last_interrupt_signal(), run_dir + "/slurm-job-state.txt")) {
        stop_for_lost_allocation(run, i, *gone);
        announce_stop(*gone, i);
        break;
      }
    }
    if (interrupt.load()) {
      interrupted = true;
      notice_interrupt();
      entry["status"] = "skipped";
      entry["message"] = "not run: the run was interrupted";
      entry["outcome"] = "SKIPPED";
      continue;
    }
    fmt::print("[{}/{}] {:<14} {} · {} rank(s) … ", i + 1, cases.size(), pc.spec.name,
               compact_params(pc.spec.params), pc.spec.ranks);
    std::fflush(stdout);
    // A launch that fails before any rank measures is tried again (plan key launch_retries); each attempt is
    // recorded (harness/controller/case_attempts.hpp).
    const nlohmann::json pending_entry = entry;
    nlohmann::json earlier_attempts = nlohmann::json::array();
    process_result ended;
    std::optional<allocation_gone> ended_by_slurm;
    for (int attempt = 1;; ++attempt) {
      ended = launch_case(pc, interrupt, guardian, entry, system ? &*system : nullptr, aggregation_s,
                          ended_by_slurm);
      if (!should_retry_launch(entry, attempt, pc.spec.launch_retries) || interrupt.load()) break;
      earlier_attempts.push_back(attempt_record(entry, attempt));
      fmt::print("{} ({:.1f} s) — {}\n      retrying (attempt {} of {}) … ", entry.value("outcome", "ERROR"),
                 ended.elapsed_s, entry.value("message", ""), attempt + 1, pc.spec.launch_retries + 1);
      std::fflush(stdout);
      for (double waited_s = 0; waited_s < launch_retry_pause_s && !interrupt.load(); waited_s += 0.05)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (interrupt.load()) {  // no retry after an interrupt: the failed attempt stays the case's end
        earlier_attempts.erase(earlier_attempts.size() - 1);
        break;
      }
      entry = pending_entry;
    }
    record_attempts(entry, std::move(earlier_attempts));
    if (ended.how == process_result::ending::interrupted) {
      interrupted = true;
      notice_interrupt();
    }
    const auto saving_start = std::chrono::steady_clock::now();
    std::optional<allocation_gone> gone;
    if (!interrupted && entry.value("status", "") != "completed")
      gone = check_allocation(entry, pc.dir + "/slurm-job-state.txt");
    if (!gone) gone = ended_by_slurm;
    if (gone) stop_for_lost_allocation(run, i + 1, *gone);
    try {
      save_run(run, run_dir, interrupted, false);
    } catch (const std::exception& e) {
      fmt::print(stderr, "\nexacheck: could not save run.json: {}\n", e.what());
    }
    aggregation_s += seconds_since(saving_start);
    const auto message = entry.value("message", "");
    fmt::print("{} ({:.1f} s){}\n", entry.value("outcome", "ERROR"), ended.elapsed_s,
               message.empty() ? "" : " — " + message);
    std::fflush(stdout);
    if (gone) {
      announce_stop(*gone, i + 1);
      break;
    }
  }
  if (interrupted)
    fmt::print("\ninterrupted ({}): results measured so far are kept\n", interrupt_signal_name());

  run["provenance"]["finished_at"] = utc_timestamp_now();
  if (system) add_unmeasured_commitments(run, *system, registry::instance());
  update_summary(run, interrupted, !interrupted);
  aggregation_s += analyse(run, p.outliers.value_or(reports::outlier_rules{}));
  const auto reports_start = std::chrono::steady_clock::now();
  run["timing"]["aggregation_s"] = aggregation_s;
  run["timing"]["total_s"] = seconds_since(run_start);  // provisional: the reports' own time is added below
  // --history: the run added as analysed, and its devices' trend shown in the reports (never in run.json:
  // it is the database's). A failure is a warning; the run's results and exit code stay as they are.
  if (!options.history_file.empty())
    if (auto trend = history::history_for_reports(options.history_file, run, run_dir, true); !trend.is_null())
      run["history_trend"] = std::move(trend);
  std::vector<std::string> report_paths;
  try {
    report_paths = reports::render_all(run, run_dir);
  } catch (const std::exception& e) {
    fmt::print(stderr, "exacheck: could not render the reports: {} (run.json is kept)\n", e.what());
  }
  run.erase("history_trend");
  run["timing"]["reports_s"] = seconds_since(reports_start);
  run["timing"]["total_s"] = seconds_since(run_start);
  // The final save: only from here on does run.json say that the run finished.
  std::string unsaved;
  try {
    save_run(run, run_dir, interrupted, !interrupted);
  } catch (const std::exception& e) {
    unsaved = e.what();
    fmt::print(stderr, "exacheck: could not save run.json: {}\n", unsaved);
    // The run.json on disk is from before the end of the run and says it did not finish: so must the reports
    // (rendered a moment ago as if it had) and the exit code.
    update_summary(run, interrupted, false);
    std::error_code ignored;
    for (const auto& name : reports::report_file_names()) fs::remove(fs::path(run_dir) / name, ignored);
    report_paths.clear();
    try {
      report_paths = reports::render_all(run, run_dir);
    } catch (const std::exception& again) {
      fmt::print(stderr, "exacheck: could not render the reports: {}\n", again.what());
      for (const auto& name : reports::report_file_names())
        if (fs::exists(fs::path(run_dir) / name, ignored)) report_paths.push_back(run_dir + "/" + name);
    }
  }
  if (interrupt.load()) notice_interrupt();  // a SIGHUP after the last case
  print_summary(run, report_paths, run_dir, unsaved);
  if (!options.prom_textfile.empty())
    return publish_prom_textfile(run_dir + "/metrics.prom", options.prom_textfile,
                                 run["exit_code"].get<int>());
  return run["exit_code"].get<int>();
}

int validate_plan(const std::string& plan_file, const std::string& system_file) {
  const plan p = load_plan(plan_file, registry::instance());
  const std::string system_path = !system_file.empty() ? system_file : p.system_file.value_or("");
  std::optional<checked_system> system;
  if (!system_path.empty()) system = load_system_for_plan(system_path, p, registry::instance());
  const auto cases = expand(p, registry::instance());
  fmt::print("{}: valid plan '{}' — {} case(s) in {} launch(es)", plan_file, p.name, p.cases.size(),
             cases.size());
  if (system)
    fmt::print(
        ", system '{}' with {} reference(s): {} apply to this plan{}", system->system.name,
        system->references.total, system->references.apply,
        system->references.for_other_benchmarks == 0
            ? ""
            : fmt::format(", {} for benchmarks it does not run", system->references.for_other_benchmarks));
  fmt::print("\n");
  for (const auto& c : cases)
    fmt::print("  {:<24} {} · {} rank(s)\n", c.id, compact_params(c.params),
               c.ranks == all_ranks ? std::string("all") : std::to_string(c.ranks));
  return exit_code::all_passed;
}

int rerender_reports(const std::string& run_dir, std::optional<double> z_threshold,
                     const std::string& history_file, const std::string& prom_textfile) {
  if (!prom_textfile.empty()) check_prom_textfile(prom_textfile);
  const std::string path = run_dir + "/run.json";
  std::error_code missing;
  if (!fs::exists(fs::symlink_status(path, missing)))
    throw usage_error(fmt::format("{} does not exist: is '{}' a run directory?", path, run_dir));
  // Never while a run (or another report) writes the directory.
  const run_directory_lock lock(run_dir);
  // Never freed, on purpose: the run of a machine of thousands of GPUs is millions of small allocations, and
  // freeing them one by one as the command ends costs ~0.8 s at 2,100 GPUs (scripts/bench/report_scale.sh);
  // the process exits right after and the OS takes the memory back at once.
  nlohmann::json& run = *new nlohmann::json;
  // Read without what neither the analysis nor a report reads of the rank records (samples, correctness,
  // warnings...) and without the old analysis (only its rules and a digest of it, to tell whether the new
  // analysis differs): harness/run_read.hpp. run.json is re-read whole below when it has to be rewritten.
  run_for_report read = read_run_for_report(path);
  run = std::move(read.run);
  bool had_analysis = read.had_analysis;
  std::uint64_t previous_hash = read.analysis_digest;
  const nlohmann::json previous_rules = std::move(read.analysis_rules);
  // A run.json of an older exacheck (exacheck/run/v1) is read as v2 and written back as v2 below.
  const bool upgraded = upgrade_run_document(run);
  const auto schema = run.find("schema");
  const std::string schema_text =
      schema != run.end() && schema->is_string() ? schema->get<std::string>() : "";
  if (schema_text != run_schema)
    throw usage_error(fmt::format("{}: schema {} is not {} (nor {} or {}, which are read too)", path,
                                  quoted_text(schema_text), run_schema, run_schema_v2, run_schema_v1));
  // What cannot be read whole is neither rendered in part nor written back with less than it had.
  const auto refuse_malformed = [&](const nlohmann::json& document) {
    if (const auto problem = run_document_problem(document))
      throw usage_error(fmt::format("{}: {}; nothing was rendered or rewritten", path, *problem));
  };
  refuse_malformed(run);
  if (const auto other = run.find("analysis"); other != run.end()) {  // not an object: no rules in it
    had_analysis = true;  // previous_hash stays that of no analysis: run.json is rewritten with an object
    run.erase(other);
  }
  // The rules the run was analysed with (its plan's `outliers:`), so that a re-render is the same analysis.
  reports::outlier_rules rules;
  try {
    if (!previous_rules.is_null()) rules = reports::rules_from_json(previous_rules);
  } catch (const std::invalid_argument& e) {
    throw usage_error(fmt::format("{}: {}", path, e.what()));
  }
  if (z_threshold) rules.z_threshold = *z_threshold;
  const std::string previous_verdict = run.value("verdict", "");
  const bool was_complete = flag(run, "complete");
  // `report` finishes what the run's controller may not have: the analysis and the final save. The run is
  // complete when every case was recorded (update_summary keeps it INCOMPLETE while one never finished); an
  // interrupted run stays interrupted.
  const auto analyse_to_the_end = [&](nlohmann::json& document) {
    update_summary(document, flag(document, "interrupted"), true);
    return analyse(document, rules);
  };
  const double analysis_s = analyse_to_the_end(run);
  // Rewriting a run.json of thousands of GPUs costs more than the analysis: only when the analysis changed
  // (its rules, or the text of any other member: analysis_text_digest, a 64-bit digest).
  // No analysis after analysing: it failed (said above); run.json keeps the one it has rather than lose it.
  const auto analysis = run.find("analysis");
  if (analysis != run.end() &&
      (upgraded || !had_analysis || analysis_text_digest(*analysis) != previous_hash ||
       analysis->value("rules", nlohmann::json()) != previous_rules ||
       run.value("verdict", "") != previous_verdict || flag(run, "complete") != was_complete)) {
    // The slow path (the analysis changed: another --z-threshold, a run.json of an older exacheck, or one in
    // schema v1): the whole document, series included, upgraded, analysed again and written; the reports are
    // rendered from it.
    run = parse_json_file(path);
    upgrade_run_document(run);
    refuse_malformed(run);
    analyse_to_the_end(run);
    if (run.contains("analysis")) write_json_atomically(path, run);
  }
  fmt::print("{}  (analysed in {:.3f} s: verdict {}, exit code {})\n", path, analysis_s,
             run.value("verdict", ""), run.value("exit_code", 0));
  print_unfinished(run, run_dir);
  if (!was_complete && flag(run, "complete"))
    fmt::print("every case was recorded: the analysis its run did not finish is complete now\n");
  std::fflush(stdout);
  reports::render_console_devices(run, std::cout);
  std::cout.flush();
  // --history: the trend of the devices needing attention, for the reports only (run.json was saved above).
  if (!history_file.empty())
    if (auto trend = history::history_for_reports(history_file, run, run_dir, false); !trend.is_null())
      run["history_trend"] = std::move(trend);
  for (const auto& written : reports::render_all(run, run_dir)) fmt::print("{}\n", written);
  // The verdict's exit code, as `exacheck run` would have returned it (0, 1, 3 or 130).
  if (!prom_textfile.empty())
    return publish_prom_textfile(run_dir + "/metrics.prom", prom_textfile, run["exit_code"].get<int>());
  return run["exit_code"].get<int>();
}

}  // namespace exacheck
