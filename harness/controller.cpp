#include "harness/controller.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "harness/errors.hpp"
#include "harness/files.hpp"
#include "harness/launcher.hpp"
#include "harness/outcome.hpp"
#include "harness/plan.hpp"
#include "harness/process.hpp"
#include "harness/provenance.hpp"
#include "harness/registry.hpp"
#include "harness/run_document.hpp"
#include "harness/worker.hpp"
#include "reports/aggregate.hpp"
#include "reports/render.hpp"

namespace exacheck {
namespace fs = std::filesystem;
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

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

// Inside a Slurm allocation, the tasks per node it was given ("4" or "4(x2)"); 0 when unknown.
int slurm_tasks_per_node() {
  const char* value = std::getenv("SLURM_NTASKS_PER_NODE");
  if (!value) value = std::getenv("SLURM_TASKS_PER_NODE");
  return value ? std::atoi(value) : 0;
}

struct prepared_case {
  expanded_case spec;
  launch_command command;
  std::string dir, case_file, result_file, log_file;
  int threads = 1;
};

// Applies command-line overrides and builds every case's launch command before anything runs, so a bad
// override or an unlaunchable case is a usage error (exit 2) with nothing run.
std::vector<prepared_case> prepare_cases(const plan& p, const run_options& options,
                                         const std::string& run_dir) {
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
  const int cpus = read_cpu_info().allowed_cpus;
  const std::string self = self_executable();
  std::vector<prepared_case> prepared;
  for (auto& c : cases) {
    if (options.backend) c.backend = *options.backend;
    if (options.launcher) c.launcher = *options.launcher;
    if (options.ranks) c.ranks = *options.ranks;
    resolve_backend(c.backend);  // throws usage_error for a backend this build or machine cannot run
    prepared_case pc;
    pc.dir = (fs::path(run_dir) / "cases" / c.id).string();
    pc.case_file = pc.dir + "/case.json";
    pc.result_file = pc.dir + "/result.json";
    pc.log_file = pc.dir + "/worker.log";
    if (c.launcher == "srun" && c.ranks_per_node == 0) c.ranks_per_node = slurm_tasks_per_node();
    const int ranks_on_node = c.ranks_per_node > 0 ? std::min(c.ranks_per_node, c.ranks) : c.ranks;
    pc.threads = threads_per_rank(cpus, ranks_on_node);
    launch_request request{c.launcher,
                           c.ranks,
                           c.ranks_per_node,
                           pc.threads,
                           cpus,
                           {self, "worker", "--case", pc.case_file, "--result", pc.result_file, "--threads",
                            std::to_string(pc.threads)}};
    try {
      pc.command = build_launch_command(request);
    } catch (const usage_error& e) {
      throw usage_error(fmt::format("case '{}': {}", c.name, e.what()));
    }
    pc.spec = std::move(c);
    prepared.push_back(std::move(pc));
  }
  return prepared;
}

void write_case_file(const prepared_case& pc) {
  // cases/<id> inside the run directory, never through a link planted there.
  const fs::path dir(pc.dir);
  create_directories_inside(dir.parent_path().parent_path().string(), "cases/" + dir.filename().string());
  const auto& c = pc.spec;
  const nlohmann::json case_json = {{"schema", "exacheck/case/v1"},
                                    {"id", c.id},
                                    {"name", c.name},
                                    {"benchmark", c.benchmark},
                                    {"params", c.params},
                                    {"backend", c.backend},
                                    {"verify", c.verify},
                                    {"allow_gpu_sharing", c.allow_gpu_sharing},
                                    {"measurement", c.measurement},
                                    {"seed", std::hash<std::string>{}(c.id) & 0xffffffffu},
                                    {"threads", pc.threads},
                                    {"ranks", c.ranks}};
  write_file_atomically(pc.case_file, json_dump(case_json, 2));
}

void save_run(nlohmann::json& run, const std::string& run_dir, bool interrupted, bool complete) {
  update_summary(run, interrupted, complete);
  write_json_atomically(run_dir + "/run.json", run);
}

void print_summary(const nlohmann::json& run, const std::vector<std::string>& report_paths,
                   const std::string& run_dir) {
  const auto& counts = run["summary"]["counts"];
  std::string line;
  for (const auto& [name, count] : counts.items())
    if (count.get<int>() > 0) line += fmt::format("{} {}  ", count.get<int>(), name);
  fmt::print("\nverdict: {}   ({}checks in {} cases)\n", run["verdict"].get<std::string>(), line,
             run["cases"].size());
  int shown = 0;
  for (const auto& c : run["cases"])
    for (const auto& check : c["checks"]) {
      const auto o = outcome_from_string(check.value("outcome", "")).value_or(outcome::error);
      if (severity(o) < severity(outcome::timeout)) continue;
      if (++shown > 20) continue;
      fmt::print("  {:<9} {} {} [{}]: {}\n", to_string(o), c["name"].get<std::string>(),
                 check["metric"].get<std::string>(), compact_params(check["params"]),
                 check["reason"].get<std::string>());
    }
  if (shown > 20) fmt::print("  … and {} more (see report.md)\n", shown - 20);
  const auto& t = run["timing"];
  fmt::print(
      "time: total {:.1f} s = launch {:.1f} s + benchmarks {:.1f} s + aggregation {:.3f} s + reports {:.3f} "
      "s\n",
      t["total_s"].get<double>(), t["launch_s"].get<double>(), t["benchmark_s"].get<double>(),
      t["aggregation_s"].get<double>(), t["reports_s"].get<double>());
  fmt::print("run directory: {}\n  {}/run.json\n", run_dir, run_dir);
  for (const auto& path : report_paths) fmt::print("  {}\n", path);
  fmt::print("exit code {}\n", run["exit_code"].get<int>());
}

// The system-wide analysis and fleet outliers (reports/aggregate.hpp); returns the seconds it took. A failure
// here costs the analysis, never the results measured: the reports are rendered without it.
double analyse(nlohmann::json& run, const reports::outlier_rules& rules) {
  const auto start = std::chrono::steady_clock::now();
  try {
    reports::analyse_run(run, rules);
  } catch (const std::exception& e) {
    fmt::print(stderr, "exacheck: could not analyse the run: {} (results and reports are kept)\n", e.what());
  }
  return seconds_since(start);
}

}  // namespace

int run_plan(const run_options& options) {
  const auto run_start = std::chrono::steady_clock::now();
  const plan p = load_plan(options.plan_file, registry::instance());
  std::optional<system_spec> system;
  const std::string system_file =
      !options.system_file.empty() ? options.system_file : p.system_file.value_or("");
  if (!system_file.empty()) system = load_system(system_file);
  const std::string run_dir = options.out_dir.empty() ? default_run_dir(p.name) : options.out_dir;
  auto cases = prepare_cases(p, options, run_dir);

  if (options.dry_run) {
    fmt::print("plan '{}': {} case(s); dry run, nothing is launched\n", p.name, cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const auto& c = cases[i].spec;
      fmt::print(
          "[{}/{}] {} ({}) {}\n      ranks {} · {} threads/rank · backend {} · time-out {:.0f} s\n      $ "
          "{}\n",
          i + 1, cases.size(), c.name, c.id, compact_params(c.params), c.ranks, cases[i].threads, c.backend,
          c.timeout_s, shell_quote(cases[i].command.argv));
    }
    return exit_code::all_passed;
  }

  fs::create_directories(run_dir);
  const auto& interrupt = install_interrupt_handlers();
  nlohmann::json run = make_run_header(p, system ? &*system : nullptr, options.command_line);
  for (const auto& pc : cases) run["cases"].push_back(make_case_entry(pc.spec, pc.command.argv));
  save_run(run, run_dir, false, false);
  fmt::print("exacheck: plan '{}' · {} case(s) · run directory {}\n", p.name, cases.size(), run_dir);
  std::fflush(stdout);

  double aggregation_s = 0;
  bool interrupted = false;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto& entry = run["cases"][i];
    const auto& pc = cases[i];
    if (interrupt.load()) {
      interrupted = true;
      entry["status"] = "skipped";
      entry["message"] = "not run: the run was interrupted";
      entry["outcome"] = "SKIPPED";
      continue;
    }
    fmt::print("[{}/{}] {:<14} {} · {} rank(s) … ", i + 1, cases.size(), pc.spec.name,
               compact_params(pc.spec.params), pc.spec.ranks);
    std::fflush(stdout);
    process_result ended;
    try {
      write_case_file(pc);
      // Long cases (acceptance sizes run for minutes) show they are alive once a minute, on the same line.
      double next_progress_s = 60;
      const auto show_progress = [&](double elapsed_s) {
        if (elapsed_s < next_progress_s) return;
        fmt::print("{:.0f} s … ", next_progress_s);
        std::fflush(stdout);
        next_progress_s += 60;
      };
      ended = run_process(pc.command.argv, pc.command.environment, pc.log_file, pc.spec.timeout_s, &interrupt,
                          show_progress);
    } catch (const std::exception& e) {
      ended.how = process_result::ending::failed_to_start;
      ended.error = e.what();
    }
    const auto aggregation_start = std::chrono::steady_clock::now();
    complete_case_entry(entry, ended, pc.result_file, pc.log_file, system ? &*system : nullptr,
                        pc.spec.ranks);
    if (ended.how == process_result::ending::interrupted) interrupted = true;
    try {
      save_run(run, run_dir, interrupted, false);
    } catch (const std::exception& e) {
      fmt::print(stderr, "\nexacheck: could not save run.json: {}\n", e.what());
    }
    aggregation_s += seconds_since(aggregation_start);
    const auto message = entry.value("message", "");
    fmt::print("{} ({:.1f} s){}\n", entry.value("outcome", "ERROR"), ended.elapsed_s,
               message.empty() ? "" : " — " + message);
    std::fflush(stdout);
  }
  if (interrupted)
    fmt::print("\ninterrupted ({}): results measured so far are kept\n",
               last_interrupt_signal() == SIGTERM ? "SIGTERM" : "SIGINT");

  run["provenance"]["finished_at"] = utc_timestamp_now();
  update_summary(run, interrupted, !interrupted);
  aggregation_s += analyse(run, p.outliers.value_or(reports::outlier_rules{}));
  const auto reports_start = std::chrono::steady_clock::now();
  run["timing"]["aggregation_s"] = aggregation_s;
  run["timing"]["total_s"] = seconds_since(run_start);  // provisional: the reports' own time is added below
  std::vector<std::string> report_paths;
  try {
    report_paths = reports::render_all(run, run_dir);
  } catch (const std::exception& e) {
    fmt::print(stderr, "exacheck: could not render the reports: {} (run.json is kept)\n", e.what());
  }
  run["timing"]["reports_s"] = seconds_since(reports_start);
  run["timing"]["total_s"] = seconds_since(run_start);
  save_run(run, run_dir, interrupted, !interrupted);
  print_summary(run, report_paths, run_dir);
  return run["exit_code"].get<int>();
}

int validate_plan(const std::string& plan_file, const std::string& system_file) {
  const plan p = load_plan(plan_file, registry::instance());
  const std::string system_path = !system_file.empty() ? system_file : p.system_file.value_or("");
  std::optional<system_spec> system;
  if (!system_path.empty()) system = load_system(system_path);
  const auto cases = expand(p, registry::instance());
  fmt::print("{}: valid plan '{}' — {} case(s) in {} launch(es)", plan_file, p.name, p.cases.size(),
             cases.size());
  if (system) fmt::print(", system '{}' with {} reference(s)", system->name, system->references.size());
  fmt::print("\n");
  for (const auto& c : cases)
    fmt::print("  {:<24} {} · {} rank(s)\n", c.id, compact_params(c.params), c.ranks);
  return exit_code::all_passed;
}

int rerender_reports(const std::string& run_dir, std::optional<double> z_threshold) {
  const std::string path = run_dir + "/run.json";
  std::error_code missing;
  if (!fs::exists(fs::symlink_status(path, missing)))
    throw usage_error(fmt::format("{} does not exist: is '{}' a run directory?", path, run_dir));
  // Never freed, on purpose: the run of a machine of thousands of GPUs is millions of small allocations, and
  // freeing them one by one as the command ends costs ~0.8 s at 2,100 GPUs (scripts/bench/report_scale.sh);
  // the process exits right after and the OS takes the memory back at once.
  nlohmann::json& run = *new nlohmann::json;
  // Parsed from the file (its text never held whole) without what neither the analysis nor a report reads of
  // the rank records (samples, correctness, warnings...: two thirds of the parsed document). run.json is
  // re-read whole below when it has to be rewritten.
  const auto parse = [&](const nlohmann::json::parser_callback_t& filter) {
    try {
      return parse_json_file(path, filter);
    } catch (const nlohmann::json::exception& e) {
      throw usage_error(fmt::format("{} is not valid JSON: {}", path, e.what()));
    }
  };
  // The analysis run.json holds is not kept either (at 2,100 GPUs it is a third of the parsed document): only
  // whether it was there, its rules and a hash of it, to tell whether the new analysis differs.
  bool had_analysis = false;
  std::uint64_t previous_hash = 0;
  nlohmann::json previous_rules;
  std::string top_key;
  const auto series = without_unreported_rank_fields();
  run = parse([&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (depth == 1 && event == nlohmann::json::parse_event_t::key) top_key = parsed.get<std::string>();
    if (depth == 1 && event == nlohmann::json::parse_event_t::object_end && top_key == "analysis") {
      had_analysis = true;
      previous_hash = json_digest(parsed);
      if (parsed.contains("rules")) previous_rules = std::move(parsed["rules"]);
      return false;
    }
    return series(depth, event, parsed);
  });
  // A run.json of an older exacheck (exacheck/run/v1) is read as v2 and written back as v2 below.
  const bool upgraded = upgrade_run_document(run);
  const auto schema = run.find("schema");
  const std::string schema_text =
      schema != run.end() && schema->is_string() ? schema->get<std::string>() : "";
  if (schema_text != run_schema)
    throw usage_error(fmt::format("{}: schema {} is not {} (nor {}, which is read too)", path,
                                  quoted_text(schema_text), run_schema, run_schema_v1));
  // What cannot be read whole is neither rendered in part nor written back with less than it had.
  const auto refuse_malformed = [&](const nlohmann::json& document) {
    if (const auto problem = run_document_problem(document))
      throw usage_error(fmt::format("{}: {}; nothing was rendered or rewritten", path, *problem));
  };
  refuse_malformed(run);
  if (const auto other = run.find("analysis"); other != run.end()) {  // not an object: no rules in it
    had_analysis = true;
    previous_hash = json_digest(*other);
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
  const double analysis_s = analyse(run, rules);
  // Rewriting a run.json of thousands of GPUs costs more than the analysis: only when the analysis changed
  // (by json_digest: a 64-bit digest over every value of it).
  // No analysis after analysing: it failed (said above); run.json keeps the one it has rather than lose it.
  const auto analysis = run.find("analysis");
  if (analysis != run.end() && (upgraded || !had_analysis || json_digest(*analysis) != previous_hash ||
                                run.value("verdict", "") != previous_verdict)) {
    // The slow path (the analysis changed: another --z-threshold, a run.json of an older exacheck, or one in
    // schema v1): the whole document, series included, upgraded, analysed again and written; the reports are
    // rendered from it.
    run = parse(nullptr);
    upgrade_run_document(run);
    refuse_malformed(run);
    analyse(run, rules);
    if (run.contains("analysis")) write_json_atomically(path, run);
  }
  fmt::print("{}  (analysed in {:.3f} s: verdict {}, exit code {})\n", path, analysis_s,
             run.value("verdict", ""), run.value("exit_code", 0));
  for (const auto& written : reports::render_all(run, run_dir)) fmt::print("{}\n", written);
  return exit_code::all_passed;
}

}  // namespace exacheck
