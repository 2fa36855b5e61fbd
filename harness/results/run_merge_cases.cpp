// The cases of several runs of one plan joined by case id (harness/results/run_merge.hpp).
#include "harness/results/run_merge_cases.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

#include "harness/results/outcome.hpp"
#include "harness/results/run_document.hpp"

namespace exacheck::detail {
namespace {

using nlohmann::json;

std::string text_of(const json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

const json& list_of(const json& object, const char* key) {
  static const json empty = json::array();
  const auto found = object.find(key);
  return found != object.end() && found->is_array() ? *found : empty;
}

// How far a case got, least finished last: a case is only as finished as its least finished run. The
// unfinished statuses (docs/run-json.md "Finished runs") are worse than any finished one, so that a merged
// run with an unfinished case is never complete.
int status_rank(std::string_view status) {
  static constexpr std::array<std::string_view, 7> order{"completed", "error",   "timeout",    "not_run",
                                                         "skipped",   "pending", "interrupted"};
  const auto found = std::find(order.begin(), order.end(), status);
  return found == order.end() ? static_cast<int>(order.size()) : static_cast<int>(found - order.begin());
}

int outcome_severity(const json& check) {
  const auto result = outcome_from_string(text_of(check, "outcome"));
  return result ? severity(*result) : severity(outcome::error);
}

// Whether `candidate` is worse than `held`: a worse outcome, else (same outcome) a worse value in the
// metric's bad direction.
bool worse_check(const json& candidate, const json& held) {
  const int a = outcome_severity(candidate), b = outcome_severity(held);
  if (a != b) return a > b;
  const auto x = candidate.find("value"), y = held.find("value");
  if (x == candidate.end() || y == held.end() || !x->is_number() || !y->is_number()) return false;
  return text_of(candidate, "better") == "lower" ? x->get<double>() > y->get<double>()
                                                 : x->get<double>() < y->get<double>();
}

// object[key] += more[key], when both are whole numbers.
void add_to_number(json& object, const char* key, const json& more) {
  const auto held = object.find(key);
  const auto added = more.find(key);
  if (held == object.end() || added == more.end() || !held->is_number_integer() ||
      !added->is_number_integer())
    return;
  *held = held->get<long long>() + added->get<long long>();
}

void shift_rank(json& object, const char* key, int offset) {
  const auto found = object.find(key);
  if (found != object.end() && found->is_number_integer()) *found = found->get<int>() + offset;
}

// The ranks a case ran: its `ranks`, else one more than the highest rank number its results name.
int ranks_of(const json& test_case) {
  if (const auto ranks = test_case.find("ranks"); ranks != test_case.end() && ranks->is_number_integer())
    return std::max(0, ranks->get<int>());
  int highest = -1;
  for (const auto& point : list_of(test_case, "results"))
    for (const auto& rank : list_of(point, "ranks"))
      if (const auto r = rank.find("rank"); r != rank.end() && r->is_number_integer())
        highest = std::max(highest, r->get<int>());
  return highest + 1;
}

// A point's ranks renumbered (+offset) and their devices re-pointed into the merged `devices`.
void renumber_point(json& point, int offset, const std::vector<std::size_t>& device_map) {
  if (const auto ranks = point.find("ranks"); ranks != point.end() && ranks->is_array())
    for (auto& rank : *ranks) {
      shift_rank(rank, "rank", offset);
      if (const auto device = rank.find("device"); device != rank.end() && device->is_number_integer()) {
        const auto position = device->get<std::size_t>();
        if (position < device_map.size()) *device = device_map[position];
      }
      if (const auto slowest = rank.find("slowest_rank"); slowest != rank.end() && slowest->is_object())
        shift_rank(*slowest, "rank", offset);
    }
  if (const auto group = point.find("group"); group != point.end() && group->is_object())
    if (const auto ranks = group->find("ranks"); ranks != group->end() && ranks->is_array())
      for (auto& r : *ranks)
        if (r.is_number_integer()) r = r.get<int>() + offset;
}

// A collective's point (scope global, not already a group's) measured one run's ranks together: its number is
// that run's, not a rank's. It becomes a group point of the hosts it ran on — per_node when one — so that the
// analysis compares the runs' copies as it compares `groups: per_node` copies (docs/run-json.md "Groups").
void make_group_point(json& point) {
  std::set<std::string> hosts;
  json rank_numbers = json::array();
  for (const auto& rank : list_of(point, "ranks")) {
    if (const std::string host = text_of(rank, "host"); !host.empty()) hosts.insert(host);
    if (const auto r = rank.find("rank"); r != rank.end()) rank_numbers.push_back(*r);
  }
  const std::string id = fmt::format("{}", fmt::join(hosts, "+"));
  const std::string kind = hosts.size() == 1 ? "per_node" : "per_run";
  json& params = point["params"];
  if (!params.is_object()) params = json::object();
  params["groups"] = kind;
  params["group"] = id;
  point["group"] = {{"id", id}, {"kind", kind}, {"round", 1}, {"hosts", hosts}, {"ranks", rank_numbers}};
}

// Adds a run's point to the merged case's: the same params pool their ranks, and the metrics' descriptors
// are listed once. Derived values on which the runs differ go onto the added ranks' records.
void pool_point(json& results, json point) {
  const json& params = point["params"];
  for (auto& held : results) {
    if (held["params"] != params) continue;
    json& ranks = held["ranks"];
    if (!ranks.is_array()) ranks = json::array();
    const json derived = point.contains("derived") ? point["derived"] : json();
    const bool derived_differs = derived != (held.contains("derived") ? held["derived"] : json());
    for (auto& rank : point["ranks"]) {
      if (derived_differs && derived.is_object()) {
        json own = derived;
        if (const auto r = rank.find("derived"); r != rank.end() && r->is_object()) own.update(*r);
        rank["derived"] = std::move(own);
      }
      ranks.push_back(std::move(rank));
    }
    json& metrics = held["metrics"];
    if (!metrics.is_array()) metrics = json::array();
    for (const auto& m : list_of(point, "metrics")) {
      const std::string name = text_of(m, "name");
      if (std::none_of(metrics.begin(), metrics.end(),
                       [&](const json& known) { return text_of(known, "name") == name; }))
        metrics.push_back(m);
    }
    return;
  }
  results.push_back(std::move(point));
}

// Adds a run's check: checks of the same metric, aggregation and params combine into the worse (counts of
// ranks summed, failed ranks of both listed).
void pool_check(json& checks, json check) {
  const auto same = [&](const json& held) {
    return text_of(held, "metric") == text_of(check, "metric") &&
           text_of(held, "aggregation") == text_of(check, "aggregation") && held["params"] == check["params"];
  };
  const auto held = std::find_if(checks.begin(), checks.end(), same);
  if (held == checks.end()) {
    checks.push_back(std::move(check));
    return;
  }
  json failed = json::array();
  for (const json* from : {&*held, &check})
    for (const auto& r : list_of(*from, "failed_ranks")) failed.push_back(r);
  json counts = *held;
  for (const char* key : {"ranks_measured", "ranks_expected"}) add_to_number(counts, key, check);
  if (worse_check(check, *held)) *held = std::move(check);
  for (const char* key : {"ranks_measured", "ranks_expected"})
    if (counts.contains(key) && held->contains(key)) (*held)[key] = counts[key];
  if (!failed.empty()) (*held)["failed_ranks"] = std::move(failed);
}

}  // namespace

void case_merger::add_run(const json& run, int source, const std::string& run_id,
                          const std::vector<std::size_t>& device_map) {
  for (const auto& test_case : list_of(run, "cases")) add_case(test_case, source, run_id, device_map);
}

void case_merger::add_case(const json& test_case, int source, const std::string& run_id,
                           const std::vector<std::size_t>& device_map) {
  const std::string id = text_of(test_case, "id");
  const auto [found, first] = m_index.emplace(id, m_cases.size());
  if (first) {
    json merged = test_case;
    for (const char* key : {"results", "checks", "failure", "attempts", "log_tail", "message", "hosts",
                            "expected_hosts", "outcome"})
      merged.erase(key);
    merged["ranks"] = 0;
    merged["results"] = json::array();
    merged["checks"] = json::array();
    merged["sources"] = json::array();
    merged["message"] = "";
    merged["status"] = text_of(test_case, "status");
    m_cases.push_back(std::move(merged));
  }
  json& merged = m_cases[found->second];
  const int offset = merged["ranks"].get<int>();
  const int ranks = ranks_of(test_case);
  merged["ranks"] = offset + ranks;

  // Where each part came from: the run, and what it said of this case.
  const std::string status = text_of(test_case, "status");
  const json& hosts = list_of(test_case, "hosts");
  json entry = {{"run", source},
                {"id", run_id},
                {"status", status},
                {"outcome", test_case.contains("outcome") ? test_case["outcome"] : json(nullptr)},
                {"message", text_of(test_case, "message")},
                {"ranks", ranks},
                {"first_rank", offset},
                {"hosts", hosts}};
  for (const char* key : {"failure", "attempts", "log_tail", "elapsed_s"})
    if (const auto value = test_case.find(key); value != test_case.end() && !value->is_null())
      entry[key] = *value;
  merged["sources"].push_back(std::move(entry));

  if (status_rank(status) > status_rank(text_of(merged, "status"))) merged["status"] = status;
  if (const std::string message = text_of(test_case, "message"); !message.empty()) {
    const std::string named = fmt::format(
        "{} (run {}): {}", hosts.empty() ? std::string("no host") : fmt::format("{}", fmt::join(hosts, ",")),
        run_id, message);
    std::string& all = merged["message"].get_ref<std::string&>();
    all = all.empty() ? named : all + "; " + named;
  }
  for (const char* key : {"failure", "log_tail"})
    if (const auto value = test_case.find(key);
        value != test_case.end() && !value->is_null() && *value != "" && !merged.contains(key))
      merged[key] = *value;
  if (const auto elapsed = test_case.find("elapsed_s"); elapsed != test_case.end() && elapsed->is_number())
    merged["elapsed_s"] = std::max(merged.value("elapsed_s", 0.0), elapsed->get<double>());
  for (const char* key : {"hosts", "expected_hosts"}) {
    const auto more = test_case.find(key);
    if (more == test_case.end() || !more->is_array()) continue;
    std::set<std::string> all;
    for (const auto& h : list_of(merged, key))
      if (h.is_string()) all.insert(h.get<std::string>());
    for (const auto& h : *more)
      if (h.is_string()) all.insert(h.get<std::string>());
    merged[key] = all;
  }

  // Points, and the params a collective's point now has as a group's (its checks follow it).
  std::unordered_map<std::string, json> regrouped;  // params as the run wrote them → as merged
  for (const auto& original : list_of(test_case, "results")) {
    json point = original;
    renumber_point(point, offset, device_map);
    if (text_of(point, "scope") == "global" && !point["group"].is_object()) {
      const std::string before = point["params"].dump();
      make_group_point(point);
      regrouped.emplace(before, point["params"]);
    }
    pool_point(merged["results"], std::move(point));
  }
  for (const auto& original : list_of(test_case, "checks")) {
    if (text_of(original, "aggregation") == "fleet") continue;  // the analysis finds them again, fleet-wide
    json check = original;
    for (const char* annotation : {"devices", "device_count", "slowest_rank"}) check.erase(annotation);
    if (const auto params = check.find("params"); params != check.end())
      if (const auto moved = regrouped.find(params->dump()); moved != regrouped.end())
        *params = moved->second;
    shift_rank(check, "worst_rank", offset);
    if (const auto failed = check.find("failed_ranks"); failed != check.end() && failed->is_array())
      for (auto& r : *failed)
        if (r.is_object()) shift_rank(r, "rank", offset);
    check["source"] = source;
    pool_check(merged["checks"], std::move(check));
  }
}

json case_merger::take_cases() {
  json cases = json::array();
  for (auto& c : m_cases) {
    c["outcome"] = std::string(to_string(case_outcome(c["checks"])));
    cases.push_back(std::move(c));
  }
  m_cases.clear();
  m_index.clear();
  return cases;
}

}  // namespace exacheck::detail
