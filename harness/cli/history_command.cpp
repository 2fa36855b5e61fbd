#include "harness/cli/history_command.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>

#include "harness/core/errors.hpp"
#include "harness/history/history_query.hpp"
#include "harness/history/history_store.hpp"
#include "harness/history/run_reader.hpp"
#include "harness/results/outcome.hpp"
#include "reports/analysis/format.hpp"
#include "reports/analysis/sparkline.hpp"

namespace exacheck {
namespace {

std::string database_path(const history_command_options& options) {
  return options.database.empty() ? history::default_database_path() : options.database;
}

// "gemm (gemm-cef76306) dtype=fp64 m=8192 … · tflops"
std::string series_text(const history::series_info& series) {
  nlohmann::json params = nlohmann::json::object();
  try {
    params = nlohmann::json::parse(series.params);
  } catch (const nlohmann::json::exception&) {
  }
  const std::string point = reports::params_text(params);
  return fmt::format("{} ({}){}{} · {}", series.benchmark.empty() ? series.case_name : series.benchmark,
                     series.case_id, point.empty() ? "" : " ", point, series.metric);
}

// "GPU-6c12… (serial 8577001047905)", or a CPU rank's "node001/cpu:0".
std::string device_text(const history::device_info& device) {
  return device.serial.empty() || device.key == "serial:" + device.serial
             ? device.key
             : fmt::format("{} (serial {})", device.key, device.serial);
}

std::string value_text(const std::optional<double>& value, const std::string& unit) {
  return value ? reports::readable_number(*value) + (unit.empty() ? "" : " " + unit) : "— (no valid value)";
}

int add(const history_command_options& options) {
  history::database db(database_path(options));
  int code = exit_code::all_passed;
  for (const auto& run_dir : options.run_dirs) {
    try {
      const auto start = std::chrono::steady_clock::now();
      const auto run = history::read_run_for_history(run_dir);
      const auto added = history::add_run(db, run, run_dir);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (added.added)
        fmt::print("{}: added {} (night {}, {} device(s), {} value(s)) in {:.2f} s\n", run_dir, added.run_id,
                   added.night, added.devices, added.values, seconds);
      else
        fmt::print("{}: {} is in the history already: nothing added\n", run_dir, added.run_id);
    } catch (const std::exception& e) {
      // The other runs are still added: one unreadable directory costs only itself.
      fmt::print(stderr, "exacheck history add: {}: {}\n", run_dir, e.what());
      code = exit_code::usage_error;
    }
  }
  if (options.keep_days) {
    const auto pruned = history::prune(db, *options.keep_days);
    fmt::print("kept {} day(s): removed {} run(s){}\n", *options.keep_days, pruned.runs,
               pruned.kept_from.empty() ? "" : ", the history starts " + pruned.kept_from);
  }
  fmt::print("history: {}\n", db.path());
  return code;
}

int prune(const history_command_options& options) {
  history::database db(database_path(options), false);
  const auto pruned = history::prune(db, *options.keep_days);
  fmt::print("{}: removed {} run(s) more than {} day(s) before the newest night{}\n", db.path(), pruned.runs,
             *options.keep_days, pruned.kept_from.empty() ? "" : "; the history starts " + pruned.kept_from);
  return exit_code::all_passed;
}

int show(const history_command_options& options) {
  history::database db(database_path(options), false);
  const history::show_filter filter{options.gpu, options.host, options.metric};
  if (filter.gpu.empty() && filter.host.empty() && filter.metric.empty()) {
    const auto runs = history::list_runs(db);
    fmt::print("{}: {} run(s); choose a device or metric with --gpu UUID, --host H, --metric M\n", db.path(),
               runs.size());
    fmt::print("{:<11} {:<21} {:<14} {:<14} {:>8}  {:<11} {}\n", "night", "run", "plan", "system", "devices",
               "verdict", "run directory");
    for (const auto& run : runs)
      fmt::print("{:<11} {:<21} {:<14} {:<14} {:>8}  {:<11} {}\n", run.night, run.run_id, run.plan,
                 run.system, run.devices, run.verdict + (run.synthetic ? "*" : ""), run.run_dir);
    if (std::any_of(runs.begin(), runs.end(), [](const auto& run) { return run.synthetic; }))
      fmt::print("* SYNTHETIC: written by exacheck simulate\n");
    return exit_code::all_passed;
  }
  const auto found = history::history_of(db, filter);
  if (found.empty()) {
    fmt::print("{}: nothing in the history matches{}{}{}\n", db.path(),
               filter.gpu.empty() ? "" : " --gpu " + filter.gpu,
               filter.host.empty() ? "" : " --host " + filter.host,
               filter.metric.empty() ? "" : " --metric " + filter.metric);
    return exit_code::all_passed;
  }
  std::int64_t last_device = -1;
  for (const auto& entry : found) {
    if (entry.device.id != last_device) {
      fmt::print("\n{} · {}\n", device_text(entry.device), entry.device.name);
      last_device = entry.device.id;
    }
    const auto& series = entry.series;
    fmt::print("  {} ({}, {}{})\n", series_text(series), series.statistic, series.unit,
               series.better.empty() ? "" : ", " + series.better + " is better");
    const std::size_t first = entry.nights.size() > static_cast<std::size_t>(options.show_nights)
                                  ? entry.nights.size() - static_cast<std::size_t>(options.show_nights)
                                  : 0;
    std::vector<std::optional<double>> values;
    fmt::print("    {:<11} {:<12} {:>14}  {}\n", "night", "host", "value", "outcome");
    for (std::size_t i = first; i < entry.nights.size(); ++i) {
      const auto& night = entry.nights[i];
      values.push_back(night.value);
      fmt::print("    {:<11} {:<12} {:>14}  {}\n", night.night, night.host,
                 night.value ? reports::readable_number(*night.value) : "—",
                 night.outcome.empty() ? "?" : night.outcome);
    }
    std::optional<double> oldest, newest;
    for (const auto& value : values) {
      if (!value) continue;
      if (!oldest) oldest = value;
      newest = value;
    }
    std::string change;
    if (oldest && newest && *oldest != 0)
      change = fmt::format(" ({:+.1f}%)", (*newest - *oldest) / std::abs(*oldest) * 100.0);
    fmt::print("    {}  {} → {}{} over {} night(s)\n", reports::sparkline(values), value_text(oldest, ""),
               value_text(newest, series.unit), change, values.size());
  }
  return exit_code::all_passed;
}

// Drifting series listed under each device by `history drift` (the worst first) unless --all.
constexpr std::size_t listed_series = 5;

int drift(const history_command_options& options) {
  history::database db(database_path(options), false);
  const auto found = history::find_drift(
      db, {.nights = options.nights, .recent = options.recent, .threshold_pct = options.threshold_pct});
  const auto span = [](const std::vector<std::string>& nights) {
    return nights.empty() ? std::string("none")
                          : fmt::format("{} … {} ({})", nights.front(), nights.back(), nights.size());
  };
  fmt::print("{}: recent nights {} against the baseline nights {}; drift past {}%\n", db.path(),
             span(found.recent_nights), span(found.baseline_nights), options.threshold_pct);
  // One block per device, the farthest off first: its drifting series, the worst `listed_series` of them
  // (--all: every one). A GPU that slows down slows down in every benchmark: 144 lines would hide the others.
  std::vector<std::int64_t> order;
  std::map<std::int64_t, std::vector<const history::drift_finding*>> devices;
  for (const auto& finding : found.drifting) {
    auto& list = devices[finding.device.id];
    if (list.empty()) order.push_back(finding.device.id);
    list.push_back(&finding);
  }
  for (const auto id : order) {
    const auto& list = devices[id];
    const auto& worst = *list.front();
    fmt::print("DRIFT  {:<10} {}: {} series drifting, the worst {:+.1f}% (last night {})\n", worst.host,
               device_text(worst.device), list.size(), worst.change_pct, worst.last_night);
    const std::size_t shown = options.all_series ? list.size() : std::min(list.size(), listed_series);
    for (std::size_t i = 0; i < shown; ++i) {
      const auto& finding = *list[i];
      fmt::print("       {}: recent {} vs baseline {} ({:+.1f}%; medians of {} and {} night(s))\n",
                 series_text(finding.series), value_text(finding.recent, finding.series.unit),
                 reports::readable_number(finding.baseline), finding.change_pct, finding.recent_nights,
                 finding.baseline_nights);
    }
    if (shown < list.size())
      fmt::print("       … and {} more (--all lists every one)\n", list.size() - shown);
  }
  fmt::print(
      "{} device(s) drifting ({} device × metric series); {} series judged, {} seen lately with fewer than "
      "{} baseline night(s)\n",
      devices.size(), found.drifting.size(), found.judged, found.not_enough, std::min(3, options.nights));
  if (!found.drifting.empty()) return exit_code::check_failed;
  // Nothing judged is not "no drift": too little history to say (fail closed).
  if (found.judged == 0) {
    fmt::print("not judged: no device has {} recent and {} baseline night(s) in the history yet\n", 1,
               std::min(3, options.nights));
    return exit_code::incomplete;
  }
  return exit_code::all_passed;
}

}  // namespace

void add_history_commands(CLI::App& app, history_command_options& options) {
  options.history = app.add_subcommand(
      "history", "The history database (SQLite): add runs, show a device's nights, find slow drift, prune");
  options.history->require_subcommand(1);
  const std::string db_help =
      "History database (default: $EXACHECK_HISTORY, else $XDG_DATA_HOME/exacheck/history.sqlite, else "
      "~/.local/share/exacheck/history.sqlite)";
  const auto positive = CLI::Range(1, 1'000'000);
  const auto window_nights = CLI::Range(1, 1000);  // the drift window's nights are indexed in 16 bits

  options.add = options.history->add_subcommand("add",
                                                "Add runs (their run.json) to the history; a run already "
                                                "there is left as it is");
  options.add->add_option("run_dirs", options.run_dirs, "Run directories (or run.json files)")->required();
  options.add->add_option("--db", options.database, db_help);
  options.add
      ->add_option("--keep-days", options.keep_days,
                   "Then remove runs more than N days before the newest night")
      ->check(positive);

  options.show = options.history->add_subcommand(
      "show",
      "One dated row per night of each device and metric selected, and a sparkline; without a "
      "selection, the runs");
  options.show->add_option("--db", options.database, db_help);
  options.show->add_option("--gpu", options.gpu, "A device: its GPU UUID, serial, or key (host/cpu:rank)");
  options.show->add_option("--host", options.host, "The devices seen on this host");
  options.show->add_option("--metric", options.metric, "Only this metric (e.g. tflops)");
  options.show->add_option("--nights", options.show_nights, "The newest nights shown")
      ->capture_default_str()
      ->check(positive);

  options.drift = options.history->add_subcommand(
      "drift", "Each device against its own baseline: exit code 1 when one drifts (docs/history.md)");
  options.drift->add_option("--db", options.database, db_help);
  options.drift
      ->add_option("--nights", options.nights,
                   "Baseline: the median of this many nights before the "
                   "recent ones")
      ->capture_default_str()
      ->check(window_nights);
  options.drift->add_option("--recent", options.recent, "Recent: the median of the newest this many nights")
      ->capture_default_str()
      ->check(window_nights);
  options.drift->add_flag("--all", options.all_series,
                          "List every drifting series of a device (default: its 5 worst, and how many more)");
  options.drift
      ->add_option("--threshold", options.threshold_pct,
                   "Drift: recent worse than the baseline by more than this many percent")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            double value = 0;
            if (!CLI::detail::lexical_cast(text, value)) return "'" + text + "' is not a number";
            return value > 0 ? "" : "must be above 0 (a percentage), got " + text;
          },
          "PCT>0", "percentage"));

  options.prune =
      options.history->add_subcommand("prune", "Remove runs more than N days before the newest night");
  options.prune->add_option("--db", options.database, db_help);
  options.prune->add_option("--keep-days", options.keep_days, "Days kept")->required()->check(positive);
}

std::optional<int> run_history_command(const history_command_options& options) {
  if (!options.history || !*options.history) return std::nullopt;
  try {
    if (*options.add) return add(options);
    if (*options.show) return show(options);
    if (*options.drift) return drift(options);
    if (*options.prune) return prune(options);
  } catch (const history::sqlite_error& e) {
    fmt::print(stderr, "exacheck history: {}\n", e.what());
    return exit_code::usage_error;
  }
  return exit_code::usage_error;
}

}  // namespace exacheck
