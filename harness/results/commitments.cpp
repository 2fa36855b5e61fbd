#include "harness/results/commitments.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <string>

#include "harness/core/peak_rules.hpp"
#include "harness/core/registry.hpp"
#include "harness/plan/system_references.hpp"
#include "harness/results/outcome.hpp"
#include "harness/results/run_document.hpp"
#include "harness/results/verdicts.hpp"

namespace exacheck {
namespace {

const nlohmann::json& list_of(const nlohmann::json& object, const char* key) {
  static const nlohmann::json none = nlohmann::json::array();
  if (!object.is_object()) return none;
  const auto found = object.find(key);
  return found != object.end() && found->is_array() ? *found : none;
}

std::string text_of(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return "";
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : "";
}

// A check of the reference's metric at a point it applies to that judged it (it carries a reference) or
// already fails the run for that metric (a zero, a NaN, a missing rank).
bool judged(const nlohmann::json& test_case, const reference& ref, const nlohmann::json& required) {
  const nlohmann::json requested = test_case.value("params", nlohmann::json::object());
  for (const auto& check : list_of(test_case, "checks")) {
    const std::string aggregation = text_of(check, "aggregation");
    // Another reference's "not measured" check judges nothing: each unmeasured reference is named.
    if (text_of(check, "metric") != ref.metric || aggregation == "fleet" || aggregation == "commitment")
      continue;
    if (!where_matches_point(required, check.value("params", nlohmann::json::object()), requested)) continue;
    const auto judged_against = check.find("reference");
    if (judged_against != check.end() && judged_against->is_object()) return true;
    if (text_of(check, "outcome") == to_string(outcome::fail)) return true;
  }
  return false;
}

// The first point of the case the reference applies to, or nullptr.
const nlohmann::json* point_for(const nlohmann::json& test_case, const nlohmann::json& required) {
  const nlohmann::json requested = test_case.value("params", nlohmann::json::object());
  for (const auto& point : list_of(test_case, "results"))
    if (where_matches_point(required, point.value("params", nlohmann::json::object()), requested))
      return &point;
  return nullptr;
}

// Why the case did not judge the reference, from what it has at the point (or from how it ended).
std::string why_not_measured(const nlohmann::json& test_case, const nlohmann::json* point,
                             const reference& ref) {
  if (point) {
    for (const auto& rank : list_of(*point, "ranks")) {
      const auto skipped = rank.find("skipped");
      if (skipped != rank.end() && skipped->is_string())
        return "the point was SKIPPED: " + skipped->get<std::string>();
    }
    if (!metric_descriptor(*point, ref.metric)) return fmt::format("no rank reported {}", ref.metric);
    for (const auto& check : list_of(test_case, "checks"))
      if (text_of(check, "metric") == ref.metric &&
          check.value("params", nlohmann::json()) == point->value("params", nlohmann::json()))
        return fmt::format("{} was measured but not judged against it: {}", ref.metric,
                           text_of(check, "reason"));
    return fmt::format("{} was measured but not judged against it", ref.metric);
  }
  const std::string status = text_of(test_case, "status");
  const std::string message = text_of(test_case, "message");
  if (status == "timeout") return "the case timed out" + (message.empty() ? "" : ": " + message);
  if (status == "interrupted") return "the case was interrupted";
  if (status != "completed") return "the case ended in ERROR" + (message.empty() ? "" : ": " + message);
  return "the case reported no point where " + where_text(ref.where);
}

nlohmann::json reference_json(const reference& ref, const metric_spec* metric) {
  const auto bounds = bounds_of(ref);
  const auto bound = [](std::optional<double> value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
  };
  const better direction = ref.better_is.value_or(metric ? metric->better_is : better::higher);
  return {{"value", ref.value},
          {"unit", ref.unit},
          {"lower_bound", bound(bounds.lower)},
          {"upper_bound", bound(bounds.upper)},
          {"better", to_string(direction)},
          {"source", ref.source},
          {"defined_at", ref.where_defined.to_string()}};
}

nlohmann::json unmeasured_check(const nlohmann::json& test_case, const reference& ref,
                                const metric_spec* metric, const nlohmann::json& required) {
  const nlohmann::json* point = point_for(test_case, required);
  // The point's own parameters when it has one; else the case's, narrowed to the values the reference names.
  nlohmann::json params = point ? point->value("params", nlohmann::json::object())
                                : test_case.value("params", nlohmann::json::object());
  if (!point)
    for (const auto& [key, value] : required.items()) params[key] = value;
  const std::string file = std::filesystem::path(ref.where_defined.file).filename().string();
  const std::string reason =
      fmt::format("committed, not measured: {} {}{}{} at {}:{}; {}", ref.benchmark, ref.metric,
                  ref.where.empty() ? "" : " where " + where_text(ref.where),
                  ref.source.empty() ? "" : " (" + ref.source + ")", file, ref.where_defined.line,
                  why_not_measured(test_case, point, ref));
  nlohmann::json check = make_check(ref.metric, params, outcome::fail, reason);
  check["unit"] = metric ? metric->unit : ref.unit;
  check["statistic"] = metric ? metric->statistic : "";
  check["better"] = to_string(ref.better_is.value_or(metric ? metric->better_is : better::higher));
  check["aggregation"] = "commitment";
  check["reference"] = reference_json(ref, metric);
  check["ranks_expected"] = test_case.value("ranks", 0);
  return check;
}

}  // namespace

std::size_t add_unmeasured_commitments(nlohmann::json& run, const system_spec& system,
                                       const registry& suites) {
  if (!run.is_object() || !run.contains("cases") || !run["cases"].is_array()) return 0;
  std::size_t added = 0;
  for (auto& test_case : run["cases"]) {
    const std::string status = text_of(test_case, "status");
    if (status == "pending" || status == "skipped" || !test_case.is_object()) continue;  // never launched
    const std::string benchmark = text_of(test_case, "benchmark");
    const suite* s = suites.find(benchmark);
    const auto metrics = s ? reported_metrics(*s, benchmark) : std::vector<metric_spec>{};
    const nlohmann::json params = test_case.value("params", nlohmann::json::object());
    if (!test_case.contains("checks") || !test_case["checks"].is_array())
      test_case["checks"] = nlohmann::json::array();
    nlohmann::json& checks = test_case["checks"];
    bool changed = false;
    for (const auto& ref : system.references) {
      if (ref.benchmark != benchmark) continue;
      const metric_spec* metric = find_metric_spec(metrics, ref.metric);
      if (!reference_applies_to_launch(ref, metric, params)) continue;
      // Applies, so its where and its metric's condition agree.
      const nlohmann::json required = required_values(ref, metric).value_or(nlohmann::json::object());
      if (judged(test_case, ref, required)) continue;
      checks.push_back(unmeasured_check(test_case, ref, metric, required));
      changed = true;
      ++added;
    }
    if (changed) test_case["outcome"] = to_string(case_outcome(checks));
  }
  return added;
}

}  // namespace exacheck
