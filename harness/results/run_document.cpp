#include "harness/results/run_document.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

#include "exacheck_version.hpp"
#include "harness/io/files.hpp"
#include "harness/results/analysis_upgrade.hpp"
#include "harness/results/outcome.hpp"
#include "harness/results/peak_table.hpp"
#include "harness/results/point_identity.hpp"
#include "harness/results/provenance.hpp"
#include "harness/results/result_accounting.hpp"
#include "harness/results/verdicts.hpp"

namespace exacheck {

const nlohmann::json* metric_descriptor(const nlohmann::json& point, std::string_view name) {
  const auto list = point.find("metrics");
  if (list == point.end() || !list->is_array()) return nullptr;
  for (const auto& d : *list) {
    const auto n = d.is_object() ? d.find("name") : d.end();
    if (n != d.end() && n->is_string() && n->get_ref<const std::string&>() == name) return &d;
  }
  return nullptr;
}

void add_rank_metrics(nlohmann::json& point, nlohmann::json& rank, const nlohmann::json& metrics) {
  nlohmann::json& descriptors = point["metrics"];
  if (!descriptors.is_array()) descriptors = nlohmann::json::array();
  nlohmann::json& values = rank["values"];
  if (!values.is_object()) values = nlohmann::json::object();
  if (!metrics.is_array()) return;
  for (const auto& m : metrics) {
    const auto name = m.is_object() ? m.find("name") : m.end();
    if (name == m.end() || !name->is_string()) continue;
    const std::string& key = name->get_ref<const std::string&>();
    // The descriptor is the metric less its number, as it was: a member it lacked stays absent (readers
    // default it), so that a v1 file reads the same after the upgrade.
    if (!metric_descriptor(point, key)) {
      nlohmann::json descriptor = m;
      descriptor.erase("value");
      descriptors.push_back(std::move(descriptor));
    }
    const auto value = m.find("value");
    values[key] = value != m.end() && value->is_number() ? *value : nlohmann::json(nullptr);
  }
}

namespace {

std::string text_member(const nlohmann::json& object, const char* key) {
  const auto found = object.is_object() ? object.find(key) : object.end();
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

const nlohmann::json* member(const nlohmann::json& object, const char* key) {
  const auto found = object.is_object() ? object.find(key) : object.end();
  return found != object.end() ? &*found : nullptr;
}

// Points, checks and analysis entries of an exacheck that kept derived values in `params`
// (point_identity.hpp): their params become the identity today's exacheck writes, a point's derived values
// its `derived`. True when anything moved.
bool split_legacy_params(nlohmann::json& run) {
  bool moved = false;
  const auto cases = run.find("cases");
  if (cases == run.end() || !cases->is_array()) return false;
  std::map<std::string, const nlohmann::json*> case_params_by_id;
  for (auto& c : *cases) {
    if (!c.is_object()) continue;
    const std::string benchmark = text_member(c, "benchmark");
    const nlohmann::json* case_params = member(c, "params");
    case_params_by_id[text_member(c, "id")] = case_params;
    for (const char* list : {"results", "checks"}) {
      const auto entries = c.find(list);
      if (entries == c.end() || !entries->is_array()) continue;
      for (auto& entry : *entries) {
        const auto params = entry.is_object() ? entry.find("params") : entry.end();
        if (params == entry.end()) continue;
        nlohmann::json derived = split_legacy_derived(benchmark, *params, case_params);
        if (derived.empty()) continue;
        moved = true;
        if (std::string_view(list) == "checks") continue;  // a check names its point by params alone
        nlohmann::json& into = entry["derived"];
        if (!into.is_object()) into = nlohmann::json::object();
        into.update(derived);
      }
    }
  }
  // The analysis names points by params too (compare reads a baseline's analysis as it is).
  const auto analysis = run.find("analysis");
  if (analysis == run.end() || !analysis->is_object()) return moved;
  for (const char* list : {"metrics", "collectives"}) {
    const auto entries = analysis->find(list);
    if (entries == analysis->end() || !entries->is_array()) continue;
    for (auto& entry : *entries) {
      const auto params = entry.is_object() ? entry.find("params") : entry.end();
      if (params == entry.end()) continue;
      const auto owner = case_params_by_id.find(text_member(entry, "case_id"));
      split_legacy_derived(text_member(entry, "benchmark"), *params,
                           owner != case_params_by_id.end() ? owner->second : nullptr);
    }
  }
  return moved;
}

}  // namespace

void store_devices_once(nlohmann::json& run) {
  if (!run.is_object()) return;
  const auto cases = run.find("cases");
  if (cases == run.end() || !cases->is_array()) return;
  nlohmann::json& devices = run["devices"];
  if (!devices.is_array()) devices = nlohmann::json::array();
  std::unordered_map<std::string, std::size_t> position_of;  // a device's text → its position
  for (std::size_t i = 0; i < devices.size(); ++i) position_of.emplace(json_dump(devices[i]), i);
  for (auto& c : *cases) {
    const auto results = c.is_object() ? c.find("results") : c.end();
    if (results == c.end() || !results->is_array()) continue;
    for (auto& point : *results) {
      const auto ranks = point.is_object() ? point.find("ranks") : point.end();
      if (ranks == point.end() || !ranks->is_array()) continue;
      for (auto& rank : *ranks) {
        const auto device = rank.is_object() ? rank.find("device") : rank.end();
        if (device == rank.end() || !device->is_object()) continue;
        const auto [at, added] = position_of.emplace(json_dump(*device), devices.size());
        if (added) devices.push_back(std::move(*device));
        *device = at->second;
      }
    }
  }
}

bool upgrade_run_document(nlohmann::json& run) {
  if (!run.is_object()) return false;
  // The analysis of an exacheck before the compact one listed one object per GPU per metric; today's form is
  // left as it is. Whatever the schema says: tests and tools may pair a v2 run with an older analysis.
  if (const auto analysis = run.find("analysis"); analysis != run.end()) upgrade_analysis_v1(*analysis);
  // Derived values in params (any schema: v2 files were written with them too). A run that held some differs
  // from its file: `report` writes it back in today's form.
  const bool split = split_legacy_params(run);
  const auto schema = run.find("schema");
  if (schema == run.end() || !schema->is_string()) return split;
  if (schema->get_ref<const std::string&>() == run_schema_v2) {
    store_devices_once(run);
    run["schema"] = run_schema;
    return true;
  }
  if (schema->get_ref<const std::string&>() != run_schema_v1) return split;
  const auto cases = run.find("cases");
  if (cases != run.end() && cases->is_array())
    for (auto& c : *cases) {
      const auto results = c.is_object() ? c.find("results") : c.end();
      if (results == c.end() || !results->is_array()) continue;
      for (auto& point : *results) {
        if (!point.is_object()) continue;
        const auto ranks = point.find("ranks");
        // v1 points had no `metrics`: every point gets its list, empty when no rank measured anything.
        point["metrics"] = nlohmann::json::array();
        if (ranks == point.end() || !ranks->is_array()) continue;
        for (auto& rank : *ranks) {
          if (!rank.is_object()) continue;
          nlohmann::json metrics;
          if (const auto m = rank.find("metrics"); m != rank.end()) {
            metrics = std::move(*m);
            rank.erase(m);
          }
          add_rank_metrics(point, rank, metrics);
          rank.erase("statistics");  // derivable from `samples`; v2 keeps none
        }
      }
    }
  store_devices_once(run);
  run["schema"] = run_schema;
  return true;
}

nlohmann::json make_run_header(const plan& p, const system_spec* system,
                               const std::vector<std::string>& command_line) {
  nlohmann::json system_json = nullptr;
  if (system)
    system_json = {{"name", system->name},
                   {"file", system->file},
                   {"size", {{"nodes", system->nodes}, {"gpus_per_node", system->gpus_per_node}}},
                   {"peak_per_gpu", system->peak_per_gpu}};
  return {
      {"schema", run_schema},
      {"synthetic", false},
      {"verdict", "INCOMPLETE"},  // until update_summary says otherwise: never green by default
      {"exit_code", 3},
      {"interrupted", false},
      {"complete", false},
      {"plan", {{"name", p.name}, {"file", p.file}, {"sha256", p.sha256}, {"description", p.description}}},
      {"system", system_json},
      {"provenance",
       {{"exacheck_version", version},
        {"git_revision", git_revision},
        {"command_line", command_line},
        {"started_at", utc_timestamp_now()},
        {"finished_at", nullptr},
        {"controller_host", host_name()},
        {"hosts", nlohmann::json::array()},
        {"cpu", to_json(read_cpu_info())},
        {"libraries", library_versions()},
        {"os", os_description()}}},
      {"timing",
       {{"launch_s", 0.0},
        {"benchmark_s", 0.0},
        {"aggregation_s", 0.0},
        {"reports_s", 0.0},
        {"total_s", 0.0}}},
      {"cases", nlohmann::json::array()},
      {"summary", nlohmann::json::object()},
  };
}

nlohmann::json make_case_entry(const expanded_case& c, const std::vector<std::string>& command) {
  return {{"id", c.id},
          {"name", c.name},
          {"benchmark", c.benchmark},
          {"tags", c.tags},
          {"params", c.params},
          {"repeat", c.repeat_index},
          {"ranks", c.ranks},
          {"launcher", c.launcher},
          {"backend", c.backend},
          {"verify", c.verify},
          {"command", command},
          {"status", "pending"},
          {"outcome", nullptr},
          {"message", ""},
          {"log_tail", ""},
          {"elapsed_s", 0.0},
          {"timing", {{"launch_s", 0.0}, {"benchmark_s", 0.0}}},
          {"results", nlohmann::json::array()},
          {"checks", nlohmann::json::array()}};
}

namespace {
void mark_not_completed(nlohmann::json& entry, const std::string& status, outcome result,
                        const std::string& message, const std::string& log_file) {
  entry["status"] = status;
  entry["message"] = message;
  entry["log_tail"] = tail_of_file(log_file);
  nlohmann::json check = make_check("run", entry["params"], result, message);
  check["ranks_expected"] = entry["ranks"];
  entry["checks"].push_back(std::move(check));
}
}  // namespace

namespace {
// A launch that left no usable result: named by host, rank and cause (harness/results/case_failure.hpp).
void mark_failed_launch(nlohmann::json& entry, const process_result& ended, const std::string& log_file,
                        int ranks_expected, const failure_evidence& evidence) {
  const case_failure failure = describe_failure_from_files(ended, log_file, ranks_expected, evidence);
  const bool timed_out = ended.how == process_result::ending::timed_out;
  mark_not_completed(entry, timed_out ? "timeout" : "error", timed_out ? outcome::timeout : outcome::error,
                     failure.reason, log_file);
  entry["failure"] = to_json(failure);
  auto& check = entry["checks"].back();
  if (auto blamed = failed_ranks_of(failure); !blamed.empty()) {
    // The first rank to blame is the check's "worst" (as a metric's worst rank is), with its host.
    for (const auto& b : blamed)
      if (b["rank"].is_number_integer()) {
        check["worst_rank"] = b["rank"];
        check["worst_host"] = b["host"];
        break;
      }
    check["failed_ranks"] = std::move(blamed);
  }
}

void fill_case_entry(nlohmann::json& entry, const process_result& ended, const std::string& result_file,
                     const std::string& log_file, const system_spec* system, int ranks_expected,
                     const std::string& launch_token, bool global_points_from_rank_zero,
                     const failure_evidence& evidence) {
  entry["elapsed_s"] = ended.elapsed_s;
  entry["timing"]["launch_s"] = ended.elapsed_s;
  switch (ended.how) {
    case process_result::ending::interrupted:
      mark_not_completed(entry, "interrupted", outcome::error, "the run was interrupted while this case ran",
                         log_file);
      return;
    case process_result::ending::failed_to_start:
    case process_result::ending::timed_out:
    case process_result::ending::signaled:
      mark_failed_launch(entry, ended, log_file, ranks_expected, evidence);
      return;
    case process_result::ending::exited:
      break;
  }
  nlohmann::json case_result;
  if (std::filesystem::exists(result_file)) {
    try {
      case_result = parse_json_file(result_file);  // regular file, bounded nesting
    } catch (const std::exception& e) {
      mark_not_completed(entry, "error", outcome::error,
                         fmt::format("unreadable result file {}: {}", result_file, e.what()), log_file);
      return;
    }
  }
  if (case_result.is_null()) {
    mark_failed_launch(entry, ended, log_file, ranks_expected, evidence);
    return;
  }
  std::string rank_errors;
  nlohmann::json failed_ranks = nlohmann::json::array();  // the ranks that errored, with their devices
  const auto& records = case_result.is_object() ? case_result.value("rank_results", nlohmann::json::array())
                                                : nlohmann::json::array();
  for (const auto& r : records)
    if (r.is_object() && r.contains("error")) {
      const std::string error = r["error"].is_string() ? r["error"].get<std::string>() : r["error"].dump();
      rank_errors += fmt::format("rank {} on {}: {}; ", r.value("rank", -1), r.value("host", ""), error);
      failed_ranks.push_back(failed_rank(r, error));
    }
  if (!rank_errors.empty()) rank_errors.resize(rank_errors.size() - 2);
  // Accounted for before anything is judged: a result that is not this launch's, or that misses, repeats or
  // invents a rank, or holds an impossible number, is ERROR, and none of its numbers reaches run.json's
  // results (they stay in the case's result.json).
  const launched_case launched{.case_id = entry.value("id", ""),
                               .token = launch_token,
                               .benchmark = entry.value("benchmark", ""),
                               .ranks = ranks_expected,
                               .verify = entry.value("verify", true),
                               .global_points_from_rank_zero = global_points_from_rank_zero};
  const auto problems = account_for_result(case_result, launched, system ? &system->peak_per_gpu : nullptr);
  if (!problems.empty()) {
    std::string message = describe_problems(problems);
    if (!rank_errors.empty()) message += "; " + rank_errors;
    mark_not_completed(entry, "error", outcome::error, message, log_file);
    if (!failed_ranks.empty()) entry["checks"].back()["failed_ranks"] = std::move(failed_ranks);
    return;
  }
  double benchmark_s = 0;
  for (const auto& r : records)
    benchmark_s =
        std::max(benchmark_s, r.value("timing", nlohmann::json::object()).value("benchmark_s", 0.0));
  entry["timing"]["benchmark_s"] = benchmark_s;
  entry["timing"]["launch_s"] = std::max(0.0, ended.elapsed_s - benchmark_s);
  entry["libraries"] = case_result.value("libraries", nlohmann::json::object());
  entry["results"] = results_by_point(case_result);
  // Derived before the checks, so a reference on pct_of_peak is judged like any metric.
  add_pct_of_peak(entry["results"], entry["benchmark"].get<std::string>(), system);
  entry["checks"] = evaluate_checks(entry["results"], entry["benchmark"].get<std::string>(), system,
                                    ranks_expected, entry["params"]);
  if (!rank_errors.empty()) {
    mark_not_completed(entry, "error", outcome::error, rank_errors, log_file);
    entry["checks"].back()["failed_ranks"] = std::move(failed_ranks);
  } else if (ended.exit_code != 0) {
    mark_not_completed(entry, "error", outcome::error,
                       fmt::format("the worker exited with status {}", ended.exit_code), log_file);
  } else if (entry["checks"].empty()) {
    mark_not_completed(entry, "error", outcome::error, "the case produced no check: no checks is not a pass",
                       log_file);
  } else {
    entry["status"] = "completed";
  }
}
}  // namespace

// Failures and errors first; a case whose answers were verified and whose metrics were all measured, some
// without a reference, is a PASS (RECORDED only when nothing at all was judged). No checks at all is ERROR:
// nothing was shown to be right.
outcome case_outcome(const nlohmann::json& checks) {
  const outcome worst = worst_check_outcome(checks);
  if (worst != outcome::recorded) return worst;
  for (const auto& c : checks)
    if (c.value("outcome", "") == to_string(outcome::pass)) return outcome::pass;
  return worst;
}

void complete_case_entry(nlohmann::json& entry, const process_result& ended, const std::string& result_file,
                         const std::string& log_file, const system_spec* system, int ranks_expected,
                         const std::string& launch_token, bool global_points_from_rank_zero,
                         const failure_evidence& evidence) {
  try {
    fill_case_entry(entry, ended, result_file, log_file, system, ranks_expected, launch_token,
                    global_points_from_rank_zero, evidence);
  } catch (const std::exception& e) {
    // A malformed result must cost this case only, never the run.
    mark_not_completed(entry, "error", outcome::error,
                       fmt::format("could not evaluate the result: {}", e.what()), log_file);
  }
  entry["outcome"] = to_string(case_outcome(entry["checks"]));
}

namespace {
// A case has finished when its launch ended and was recorded (completed, error, timeout). Anything else —
// pending (the controller stopped before it ended), interrupted, skipped because the run was interrupted, or
// a status this exacheck does not know — never finished.
bool case_finished(const nlohmann::json& c) {
  const auto status = c.is_object() ? c.find("status") : c.end();
  if (status == c.end() || !status->is_string()) return false;
  const auto& text = status->get_ref<const std::string&>();
  return text == "completed" || text == "error" || text == "timeout";
}

// GPUs and nodes the run expected (provenance.expected_hosts) that never reported, as the analysis found.
std::size_t missing_devices(const nlohmann::json& run) {
  const auto analysis = run.find("analysis");
  if (analysis == run.end() || !analysis->is_object()) return 0;
  const auto verdicts = analysis->find("device_verdicts");
  if (verdicts == analysis->end() || !verdicts->is_object()) return 0;
  const nlohmann::json::json_pointer path("/summary/missing");
  if (!verdicts->contains(path) || !verdicts->at(path).is_object()) return 0;
  std::size_t count = 0;
  for (const auto& [what, number] : verdicts->at(path).items())
    if (number.is_number_integer() && number.get<long long>() > 0) count += number.get<std::size_t>();
  return count;
}
}  // namespace

void update_summary(nlohmann::json& run, bool interrupted, bool complete) {
  constexpr std::array<outcome, 8> all{outcome::pass,    outcome::fail,    outcome::incorrect,
                                       outcome::outlier, outcome::error,   outcome::timeout,
                                       outcome::skipped, outcome::recorded};
  std::array<int, all.size()> count_of{};
  std::vector<outcome> outcomes;
  std::size_t checks = 0;
  // A set: thousands of ranks on hundreds of hosts, at every point of every case.
  std::set<std::string> hosts;
  double launch_s = 0, benchmark_s = 0;
  nlohmann::json unfinished = nlohmann::json::array();
  const nlohmann::json no_list = nlohmann::json::array();
  const nlohmann::json& cases = run.contains("cases") ? run["cases"] : no_list;
  // Read-only and tolerant of what a hand-made or synthetic run.json leaves out.
  const auto list = [&](const nlohmann::json& object, const char* key) -> const nlohmann::json& {
    const auto found = object.find(key);
    return found != object.end() && found->is_array() ? *found : no_list;
  };
  const auto text = [](const nlohmann::json& object, const char* key) {
    const auto found = object.is_object() ? object.find(key) : object.end();
    return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
  };
  for (const auto& c : cases) {
    if (!case_finished(c))
      unfinished.push_back({{"id", text(c, "id")}, {"name", text(c, "name")}, {"status", text(c, "status")}});
    if (!c.is_object()) continue;
    for (const auto& check : list(c, "checks")) {
      if (auto o = outcome_from_string(check.value("outcome", ""))) {
        outcomes.push_back(*o);
        ++count_of[static_cast<std::size_t>(std::find(all.begin(), all.end(), *o) - all.begin())];
      }
      ++checks;
    }
    for (const auto& point : list(c, "results"))
      for (const auto& r : list(point, "ranks")) {
        const auto host = r.value("host", "");
        if (!host.empty()) hosts.insert(host);
      }
    const nlohmann::json timing = c.value("timing", nlohmann::json::object());
    launch_s += timing.value("launch_s", 0.0);
    benchmark_s += timing.value("benchmark_s", 0.0);
  }
  nlohmann::json counts = nlohmann::json::object();
  for (std::size_t i = 0; i < all.size(); ++i) counts[std::string(to_string(all[i]))] = count_of[i];
  run["provenance"]["hosts"] = hosts;
  run["timing"]["launch_s"] = launch_s;
  run["timing"]["benchmark_s"] = benchmark_s;
  // Finished only when the caller says so (the controller's final save, or `exacheck report` completing the
  // analysis) and every case was recorded: a run whose controller was killed, or whose last save failed,
  // stays unfinished on disk whatever its cases said so far.
  complete = complete && !interrupted && unfinished.empty();
  int code = exit_code_for(outcomes, interrupted);
  // A device that was expected and never reported (analysis.device_verdicts) was not tested: never a PASS.
  const bool devices_missing = missing_devices(run) > 0;
  if (!interrupted && (outcomes.empty() || !complete || devices_missing) && code == exit_code::all_passed)
    code = exit_code::incomplete;
  run["exit_code"] = code;
  // The run's verdict leads every report: PASS when nothing failed (RECORDED and SKIPPED alone pass) and the
  // run finished; a run that did not finish is INCOMPLETE unless a check has already failed.
  if (interrupted)
    run["verdict"] = "INTERRUPTED";
  else if (code == exit_code::all_passed)
    run["verdict"] = to_string(outcome::pass);
  else if (code == exit_code::check_failed)
    run["verdict"] = to_string(worst_of(outcomes));
  else if (!complete)
    run["verdict"] = "INCOMPLETE";
  else if (outcomes.empty())
    run["verdict"] = to_string(outcome::error);
  else  // errors or time-outs; or every check passed but an expected device never reported
    run["verdict"] = exit_code_for(outcomes, false) == exit_code::all_passed
                         ? std::string("INCOMPLETE")
                         : std::string(to_string(worst_of(outcomes)));
  run["interrupted"] = interrupted;
  run["complete"] = complete;
  run["summary"] = {
      {"counts", counts}, {"cases", cases.size()}, {"checks", checks}, {"unfinished_cases", unfinished}};
}

}  // namespace exacheck
