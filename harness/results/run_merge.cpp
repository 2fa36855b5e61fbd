// merge_runs: which runs are merged (same plan; the newest run of a node), the merged run's header and
// provenance, its devices; the cases are joined by harness/results/run_merge_cases.cpp.
#include "harness/results/run_merge.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <numeric>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "harness/results/run_document.hpp"
#include "harness/results/run_merge_cases.hpp"

namespace exacheck {
namespace {

using nlohmann::json;

std::string text_at(const json& object, const char* outer, const char* inner) {
  const auto o = object.find(outer);
  if (o == object.end() || !o->is_object()) return "";
  const auto i = o->find(inner);
  return i != o->end() && i->is_string() ? i->get<std::string>() : std::string();
}

std::vector<std::string> strings_of(const json& list) {
  std::vector<std::string> out;
  if (list.is_array())
    for (const auto& s : list)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

bool flag_of(const json& run, const char* key, bool absent) {
  const auto found = run.find(key);
  return found != run.end() && found->is_boolean() ? found->get<bool>() : absent;
}

// What decides whether a run may join the others, and where it sits among them.
struct run_info {
  const merge_input* input = nullptr;
  std::string id;  // the run directory's name
  std::vector<std::string> hosts;
  std::string started_at;
  std::string superseded_by;  // "" while kept
};

std::string plan_of(const run_info& r) {
  const std::string sha = text_at(r.input->run, "plan", "sha256");
  return fmt::format("plan '{}' (sha256 {})", text_at(r.input->run, "plan", "name"),
                     sha.empty() ? std::string("unknown") : sha.substr(0, 12));
}

run_info describe(const merge_input& input) {
  run_info info;
  info.input = &input;
  info.id = std::filesystem::path(input.run_dir).lexically_normal().filename().string();
  if (info.id.empty() || info.id == ".")
    info.id = std::filesystem::path(input.run_dir).lexically_normal().parent_path().filename().string();
  const json& provenance = input.run.contains("provenance") ? input.run["provenance"] : json();
  std::set<std::string> hosts;
  if (provenance.is_object())
    for (const auto& h : strings_of(provenance.value("hosts", json()))) hosts.insert(h);
  if (input.run.contains("cases") && input.run["cases"].is_array())
    for (const auto& c : input.run["cases"])
      if (c.is_object())
        for (const auto& h : strings_of(c.value("hosts", json()))) hosts.insert(h);
  info.hosts.assign(hosts.begin(), hosts.end());
  info.started_at = text_at(input.run, "provenance", "started_at");
  return info;
}

// A run of another plan (its name or its file's sha256), or against another system, is not the same fleet.
void refuse_other_plans(const std::vector<run_info>& runs) {
  const run_info& first = runs.front();
  for (const auto& r : runs) {
    if (r.input->run_dir == first.input->run_dir && &r != &first)
      throw std::invalid_argument(fmt::format("{} is given twice", r.input->run_dir));
    const bool same_plan =
        text_at(r.input->run, "plan", "name") == text_at(first.input->run, "plan", "name") &&
        text_at(r.input->run, "plan", "sha256") == text_at(first.input->run, "plan", "sha256");
    if (!same_plan)
      throw std::invalid_argument(fmt::format(
          "cannot merge runs of different plans: {} ran {}, {} ran {}; merge only runs of one plan file",
          first.input->run_dir, plan_of(first), r.input->run_dir, plan_of(r)));
    if (text_at(r.input->run, "system", "name") != text_at(first.input->run, "system", "name"))
      throw std::invalid_argument(
          fmt::format("cannot merge runs against different systems: {} used system '{}', {} used '{}'",
                      first.input->run_dir, text_at(first.input->run, "system", "name"), r.input->run_dir,
                      text_at(r.input->run, "system", "name")));
  }
}

// The newest run of a node wins: an older run whose every host a newer run reported is superseded (listed,
// not merged). One that shares only some hosts with newer runs cannot be split without mixing two nights of
// one node, and is refused.
void supersede_older_runs(std::vector<run_info>& runs) {
  std::vector<std::size_t> newest_first(runs.size());
  std::iota(newest_first.begin(), newest_first.end(), 0);
  std::stable_sort(newest_first.begin(), newest_first.end(), [&](std::size_t a, std::size_t b) {
    if (runs[a].started_at != runs[b].started_at) return runs[a].started_at > runs[b].started_at;
    return a > b;  // the same start: the one given later wins
  });
  std::map<std::string, std::size_t> claimed;  // host → the kept run that reported it
  for (const std::size_t i : newest_first) {
    run_info& r = runs[i];
    std::set<std::string> by;
    std::vector<std::string> shared;
    for (const auto& h : r.hosts)
      if (const auto owner = claimed.find(h); owner != claimed.end()) {
        shared.push_back(h);
        by.insert(runs[owner->second].id);
      }
    if (shared.empty()) {
      for (const auto& h : r.hosts) claimed.emplace(h, i);
    } else if (shared.size() == r.hosts.size()) {
      r.superseded_by = fmt::format("{}", fmt::join(by, ","));
    } else {
      const run_info& newer = runs[claimed.at(shared.front())];
      throw std::invalid_argument(
          fmt::format("{} and the newer {} both ran on {}, and {} ran on other nodes too: a run cannot be "
                      "merged in part; "
                      "leave one of them out",
                      r.input->run_dir, newer.input->run_dir, shared.front(), r.input->run_dir));
    }
  }
}

json run_entry(const run_info& r) {
  const json& run = r.input->run;
  const json& provenance = run.contains("provenance") ? run["provenance"] : json();
  json slurm_job = nullptr;
  if (provenance.is_object() && provenance.contains("slurm") && provenance["slurm"].is_object())
    slurm_job = provenance["slurm"].value("job_id", json(nullptr));
  std::error_code ignored;
  const auto dir = std::filesystem::absolute(r.input->run_dir, ignored).lexically_normal().string();
  return {{"id", r.id},
          {"run_dir", dir},
          {"hosts", r.hosts},
          {"slurm_job", slurm_job},
          {"started_at", r.started_at},
          {"finished_at", text_at(run, "provenance", "finished_at")},
          {"verdict", run.value("verdict", json(nullptr))},
          {"exit_code", run.value("exit_code", json(nullptr))},
          {"complete", flag_of(run, "complete", false)},
          {"interrupted", flag_of(run, "interrupted", false)},
          {"exacheck_version", text_at(run, "provenance", "exacheck_version")},
          {"superseded_by", r.superseded_by.empty() ? json(nullptr) : json(r.superseded_by)}};
}

}  // namespace

json merge_runs(const std::vector<merge_input>& inputs, const merge_options& options) {
  if (inputs.empty()) throw std::invalid_argument("no run to merge");
  std::vector<run_info> runs;
  for (const auto& input : inputs) runs.push_back(describe(input));
  refuse_other_plans(runs);
  supersede_older_runs(runs);
  // Kept runs by their first host (a stable fleet order night after night), then the superseded ones.
  std::vector<const run_info*> order;
  for (const auto& r : runs) order.push_back(&r);
  std::stable_sort(order.begin(), order.end(), [](const run_info* a, const run_info* b) {
    if (a->superseded_by.empty() != b->superseded_by.empty()) return a->superseded_by.empty();
    return std::tie(a->hosts, a->id) < std::tie(b->hosts, b->id);
  });

  const json& first = order.front()->input->run;
  json merged = {{"schema", std::string(run_schema)},
                 {"synthetic", false},
                 {"plan", first.value("plan", json(nullptr))},
                 {"system", first.value("system", json(nullptr))}};
  json runs_json = json::array();
  json devices = json::array();
  std::unordered_map<std::string, std::size_t> device_position;  // a device's text → its merged position
  detail::case_merger cases;
  std::set<std::string> hosts, expected_union;
  std::string started, finished;
  std::optional<json> gpus_per_host;
  bool gpus_per_host_agree = true, interrupted = false, complete = true;
  json timing = json::object();
  const run_info* newest = nullptr;
  for (std::size_t position = 0; position < order.size(); ++position) {
    const run_info& r = *order[position];
    runs_json.push_back(run_entry(r));
    if (!r.superseded_by.empty()) continue;
    const json& run = r.input->run;
    if (!newest || r.started_at > newest->started_at) newest = &r;
    if (flag_of(run, "synthetic", false)) {
      merged["synthetic"] = true;
      if (!merged.contains("synthetic_detail") && run.contains("synthetic_detail"))
        merged["synthetic_detail"] = run["synthetic_detail"];
    }
    interrupted = interrupted || flag_of(run, "interrupted", false);
    complete = complete && flag_of(run, "complete", false);
    hosts.insert(r.hosts.begin(), r.hosts.end());
    const std::string run_started = text_at(run, "provenance", "started_at");
    const std::string run_finished = text_at(run, "provenance", "finished_at");
    if (!run_started.empty() && (started.empty() || run_started < started)) started = run_started;
    if (run_finished > finished) finished = run_finished;
    if (const auto p = run.find("provenance"); p != run.end() && p->is_object()) {
      for (const auto& h : strings_of(p->value("expected_hosts", json()))) expected_union.insert(h);
      if (const auto per_host = p->find("expected_gpus_per_host"); per_host != p->end()) {
        if (gpus_per_host && *gpus_per_host != *per_host) gpus_per_host_agree = false;
        gpus_per_host = *per_host;
      }
    }
    if (const auto t = run.find("timing"); t != run.end() && t->is_object())
      for (const auto& [key, value] : t->items())
        if (value.is_number()) timing[key] = timing.value(key, 0.0) + value.get<double>();
    if (run.contains("stopped") && !merged.contains("stopped")) {
      merged["stopped"] = run["stopped"];
      merged["stopped"]["run"] = r.id;
    }
    std::vector<std::size_t> device_map;
    if (const auto d = run.find("devices"); d != run.end() && d->is_array())
      for (const auto& device : *d) {
        const auto [found, added] = device_position.emplace(device.dump(), devices.size());
        if (added) devices.push_back(device);
        device_map.push_back(found->second);
      }
    cases.add_run(run, static_cast<int>(position), r.id, device_map);
  }

  json provenance = newest ? newest->input->run.value("provenance", json::object()) : json::object();
  if (!provenance.is_object()) provenance = json::object();
  provenance["command_line"] = options.command_line;
  provenance["hosts"] = hosts;
  provenance["started_at"] = started;
  provenance["finished_at"] = finished;
  provenance["slurm"] = nullptr;  // each run's job: provenance.merged.runs[].slurm_job
  provenance.erase("controller_host");
  provenance.erase("expected_hosts");
  provenance.erase("expected_gpus_per_host");
  // The operator's expected set adds to what the runs themselves expected, never replaces it: a node a run's
  // launch spanned that sent nothing stays MISSING even when --expected-nodes forgot it.
  expected_union.insert(options.expected_hosts.begin(), options.expected_hosts.end());
  if (!expected_union.empty()) provenance["expected_hosts"] = expected_union;
  if (gpus_per_host && gpus_per_host_agree) provenance["expected_gpus_per_host"] = *gpus_per_host;
  provenance["merged"] = {
      {"runs", std::move(runs_json)},
      {"expected_from", options.expected_from.empty() ? json(nullptr) : json(options.expected_from)}};
  merged["provenance"] = std::move(provenance);
  merged["timing"] = std::move(timing);
  merged["devices"] = std::move(devices);
  merged["cases"] = cases.take_cases();
  merged["interrupted"] = interrupted;
  merged["complete"] = complete;
  update_summary(merged, interrupted, complete);
  merged["provenance"]["merged"]["without_run"] = hosts_without_run(merged);
  return merged;
}

std::vector<std::string> hosts_without_run(const json& merged) {
  const json& provenance = merged.contains("provenance") ? merged["provenance"] : json();
  if (!provenance.is_object()) return {};
  std::set<std::string> ran;
  if (const auto m = provenance.find("merged"); m != provenance.end() && m->is_object())
    for (const auto& r : m->value("runs", json::array()))
      if (r.is_object() && r.value("superseded_by", json(nullptr)).is_null())
        for (const auto& h : strings_of(r.value("hosts", json()))) ran.insert(h);
  std::vector<std::string> without;
  for (const auto& h : strings_of(provenance.value("expected_hosts", json())))
    if (!ran.count(h)) without.push_back(h);
  return without;
}

}  // namespace exacheck
