#include "harness/controller/drain.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include "harness/core/errors.hpp"

namespace exacheck {
namespace {

using nlohmann::json;

std::string text_of(const json& object, const char* key) {
  if (!object.is_object()) return "";
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

const json& list_of(const json& object, const char* key) {
  static const json empty = json::array();
  if (!object.is_object()) return empty;
  const auto found = object.find(key);
  return found != object.end() && found->is_array() ? *found : empty;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Device verdicts that can fail, worst first (docs/run-json.md "Device verdicts").
constexpr std::array<std::string_view, 5> failing_verdicts{"INCORRECT", "FAIL", "OUTLIER", "MISSING",
                                                           "ERROR"};

int badness(std::string_view verdict) {
  const auto found = std::find(failing_verdicts.begin(), failing_verdicts.end(), verdict);
  return found == failing_verdicts.end() ? 0 : static_cast<int>(failing_verdicts.end() - found);
}

const json& device_verdicts_of(const json& run) {
  static const json none = json::object();
  const auto analysis = run.find("analysis");
  if (analysis == run.end() || !analysis->is_object()) return none;
  const auto verdicts = analysis->find("device_verdicts");
  return verdicts != analysis->end() && verdicts->is_object() ? *verdicts : none;
}

// The run that measured `host`: in a merged run, the kept run that reported it (provenance.merged.runs).
const json* source_run_of(const json& run, const std::string& host) {
  const auto provenance = run.find("provenance");
  if (provenance == run.end() || !provenance->is_object()) return nullptr;
  const auto merged = provenance->find("merged");
  if (merged == provenance->end() || !merged->is_object()) return nullptr;
  for (const auto& r : list_of(*merged, "runs")) {
    if (!r.value("superseded_by", json(nullptr)).is_null()) continue;
    const auto& hosts = list_of(r, "hosts");
    if (std::find(hosts.begin(), hosts.end(), json(host)) != hosts.end()) return &r;
  }
  return nullptr;
}

// A failing reason of one device of a node, as the drain reason names it.
struct failing_device {
  int badness = 0;
  std::string text;  // "GPU 2 gemm tflops FAIL"
};

std::string describe_reason(const std::string& device, const json& reason) {
  std::string check = text_of(reason, "benchmark");
  const std::string metric = text_of(reason, "metric");
  if (!metric.empty()) check += (check.empty() ? "" : " ") + metric;
  if (check.empty()) check = text_of(reason, "kind");
  return fmt::format("{} {} {}", device, check.empty() ? "check" : check, text_of(reason, "verdict"));
}

// The worst reason of `reasons` whose verdict the policy drains on, or none.
std::optional<failing_device> worst_drainable(const std::string& device, const json& reasons,
                                              const drain_policy& policy) {
  std::optional<failing_device> worst;
  for (const auto& reason : reasons) {
    const std::string verdict = text_of(reason, "verdict");
    if (!policy.on.count(verdict)) continue;
    if (!worst || badness(verdict) > worst->badness)
      worst = {badness(verdict), describe_reason(device, reason)};
  }
  return worst;
}

std::size_t cap_of(std::size_t nodes, const drain_policy& policy) {
  std::size_t limit = nodes;
  if (policy.max_nodes)
    limit = std::min<std::size_t>(limit, static_cast<std::size_t>(std::max(0, *policy.max_nodes)));
  const std::optional<double> percent =
      policy.max_percent ? policy.max_percent
                         : (policy.max_nodes ? std::nullopt : std::optional<double>(default_max_percent));
  if (percent) {
    auto by_percent =
        static_cast<std::size_t>(std::floor(*percent * static_cast<double>(nodes) / 100.0 + 1e-9));
    if (by_percent == 0 && *percent > 0) by_percent = 1;  // a small cluster may still lose its one bad node
    limit = std::min(limit, by_percent);
  }
  return limit;
}

}  // namespace

bool slurm_node_state::drained() const {
  const std::string s = lower(state);
  return s.find("drain") != std::string::npos || s.find("drng") != std::string::npos;
}

bool slurm_node_state::drained_by_exacheck() const {
  return drained() && std::string_view(reason).substr(0, drain_owner_tag.size()) == drain_owner_tag;
}

std::set<std::string> parse_drain_verdicts(std::string_view text) {
  std::set<std::string> verdicts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    std::string word(text.substr(start, comma - start));
    std::transform(word.begin(), word.end(), word.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (std::find(failing_verdicts.begin(), failing_verdicts.end(), word) == failing_verdicts.end())
      throw usage_error(fmt::format(
          "--on: '{}' is not a device verdict that fails (FAIL, INCORRECT, OUTLIER, MISSING, ERROR)", word));
    verdicts.insert(word);
    start = comma + 1;
  }
  return verdicts;
}

drain_plan plan_drain(const json& run, const std::string& run_id,
                      const std::map<std::string, slurm_node_state>* states, const drain_policy& policy) {
  const json& verdicts = device_verdicts_of(run);
  drain_plan plan;
  plan.nodes = list_of(verdicts, "nodes").size();
  plan.limit = cap_of(plan.nodes, policy);
  for (const auto& node : list_of(verdicts, "nodes")) {
    const std::string host = text_of(node, "host");
    std::vector<failing_device> failing;
    if (auto own = worst_drainable("node", list_of(node, "reasons"), policy)) failing.push_back(*own);
    for (const auto& gpu : list_of(verdicts, "gpus")) {
      if (text_of(gpu, "host") != host) continue;
      const json& index = gpu.contains("gpu") ? gpu["gpu"] : json();
      const std::string device =
          fmt::format("{} {}", text_of(gpu, "kind") == "cpu" ? "cpu" : "GPU",
                      index.is_number_integer() ? std::to_string(index.get<int>()) : "?");
      if (auto worst = worst_drainable(device, list_of(gpu, "reasons"), policy)) failing.push_back(*worst);
    }
    if (failing.empty()) continue;
    std::stable_sort(failing.begin(), failing.end(),
                     [](const failing_device& a, const failing_device& b) { return a.badness > b.badness; });
    const json* source = source_run_of(run, host);
    const std::string id = source ? text_of(*source, "id") : run_id;
    node_decision decision{
        host, text_of(node, "verdict"),
        fmt::format("{} {}{} run {}", drain_owner_tag, failing.front().text,
                    failing.size() > 1 ? fmt::format(" (+{} more)", failing.size() - 1) : "", id)};
    const slurm_node_state* now = nullptr;
    if (states)
      if (const auto found = states->find(host); found != states->end()) now = &found->second;
    if (now && now->drained_by_exacheck()) {
      decision.reason = "already drained by exacheck: " + now->reason;
      plan.already.push_back(std::move(decision));
    } else if (now && now->drained()) {
      decision.reason = "drained by someone else: " + (now->reason.empty() ? "no reason" : now->reason);
      plan.others.push_back(std::move(decision));
    } else {
      plan.drain.push_back(std::move(decision));
    }
  }
  plan.cap_exceeded = plan.drain.size() + plan.already.size() > plan.limit;
  return plan;
}

resume_plan plan_resume(const json& run, const std::map<std::string, slurm_node_state>& states) {
  const json& verdicts = device_verdicts_of(run);
  std::map<std::string, std::string> verdict_of;
  for (const auto& node : list_of(verdicts, "nodes"))
    verdict_of[text_of(node, "host")] = text_of(node, "verdict");
  const bool run_complete = run.value("complete", false) == true;
  resume_plan plan;
  for (const auto& [host, now] : states) {
    if (!now.drained()) continue;
    const auto found = verdict_of.find(host);
    if (found == verdict_of.end()) continue;  // not in this run: nothing said about it
    node_decision decision{host, found->second, ""};
    if (!now.drained_by_exacheck()) {
      decision.reason = "drained by someone else, never resumed by exacheck: " +
                        (now.reason.empty() ? "no reason" : now.reason);
      plan.others.push_back(std::move(decision));
      continue;
    }
    const json* source = source_run_of(run, host);
    const bool complete = source ? source->value("complete", false) == true : run_complete;
    if (found->second != "PASS")
      decision.reason = fmt::format("still {} in this run", found->second);
    else if (!complete)
      decision.reason = "PASS, but its run did not finish: not enough to return it to service";
    if (!decision.reason.empty()) {
      plan.kept.push_back(std::move(decision));
      continue;
    }
    decision.reason = "PASS now; drained: " + now.reason;
    plan.resume.push_back(std::move(decision));
  }
  return plan;
}

}  // namespace exacheck
