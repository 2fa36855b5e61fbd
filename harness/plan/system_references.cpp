#include "harness/plan/system_references.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <optional>

#include "harness/core/peak_rules.hpp"
#include "harness/core/registry.hpp"
#include "harness/plan/plan_params.hpp"

namespace exacheck {
namespace {

// Whether a launch runs `value` for parameter `key`: its one value, or one of the list swept inside the
// worker.
bool launch_has(const nlohmann::json& params, const std::string& key, const nlohmann::json& value) {
  const auto found = params.find(key);
  if (found == params.end()) return false;
  if (!found->is_array()) return same_param_value(*found, value);
  return std::any_of(found->begin(), found->end(),
                     [&](const nlohmann::json& item) { return same_param_value(item, value); });
}

std::string value_text(const param_spec* spec, const nlohmann::json& value) {
  if (spec && spec->type == param_type::bytes && value.is_number_integer() && value.get<double>() >= 0)
    return format_bytes(value.get<std::uint64_t>());
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string reference_title(std::size_t index, const reference& ref) {
  return fmt::format("reference #{} ({} {})", index + 1, ref.benchmark, ref.metric);
}

// The values the launches run for `key`, each once, in the order met.
std::vector<std::string> values_run(const std::vector<const expanded_case*>& launches, const std::string& key,
                                    const param_spec* spec) {
  std::vector<std::string> values;
  const auto add = [&](const nlohmann::json& value) {
    const std::string text = value_text(spec, value);
    if (std::find(values.begin(), values.end(), text) == values.end()) values.push_back(text);
  };
  for (const auto* launch : launches) {
    const auto found = launch->params.find(key);
    if (found == launch->params.end()) continue;
    if (found->is_array())
      for (const auto& item : *found) add(item);
    else
      add(*found);
  }
  return values;
}

// Why no launch of the reference's benchmark has a point it applies to, at the key that rules it out.
validation_issue unmatched_issue(std::size_t index, const reference& ref, const metric_spec* metric,
                                 const std::vector<param_spec>& params,
                                 const std::vector<const expanded_case*>& launches) {
  const std::string title = reference_title(index, ref);
  const auto at = [&](const std::string& key) {
    const auto found = ref.located.find(key);
    return found != ref.located.end() ? found->second : ref.where_defined;
  };
  const std::string shared =
      " (a system file is shared by plans: a reference for a benchmark a plan does not run at all is fine)";
  const auto required = required_values(ref, metric);
  if (!required) {
    for (const auto& [key, value] : metric->only_where.items())
      if (ref.where.contains(key) && !same_param_value(ref.where[key], value))
        return {at("where." + key),
                fmt::format("{}: {} is reported only where {} = {}, but this reference's where has {}: {}",
                            title, ref.metric, key, value_text(find_param(params, key), value), key,
                            value_text(find_param(params, key), ref.where[key])),
                fmt::format("where {}: {}, or no {} in where", key,
                            value_text(find_param(params, key), value), key),
                ""};
  }
  for (const auto& [key, value] : required->items()) {
    const param_spec* spec = find_param(params, key);
    const bool in_where = ref.where.contains(key);
    const auto values = values_run(launches, key, spec);
    const bool some_launch_has = std::any_of(launches.begin(), launches.end(), [&](const auto* launch) {
      return launch_has(launch->params, key, value);
    });
    if (some_launch_has) continue;
    const std::string wanted = value_text(spec, value);
    const std::string plan_runs =
        values.empty() ? std::string("none") : fmt::format("{}", fmt::join(values, ", "));
    if (in_where)
      return {at("where." + key),
              fmt::format("{} where {}: {} matches no point of this plan: its {} cases run {} = {}", title,
                          key, wanted, ref.benchmark, key, plan_runs),
              "a value the plan runs: " + plan_runs + shared, did_you_mean(wanted, values)};
    return {at("metric"),
            fmt::format("{}: {} is reported only where {} = {}, and this plan's {} cases run {} = {}", title,
                        ref.metric, key, wanted, ref.benchmark, key, plan_runs),
            fmt::format("a metric this plan's {} cases report", ref.benchmark) + shared, ""};
  }
  // Every value is run by some launch, but none runs them all together.
  return {
      at("where"),
      fmt::format("{} where {} matches no point of this plan: no {} case runs all of these values together",
                  title, where_text(*required), ref.benchmark),
      fmt::format("a where: whose values one case of the plan combines, e.g. the parameters of case '{}'",
                  launches.front()->name) +
          shared,
      ""};
}

}  // namespace

std::optional<nlohmann::json> required_values(const reference& ref, const metric_spec* metric) {
  nlohmann::json required = ref.where.is_object() ? ref.where : nlohmann::json::object();
  if (!metric) return required;
  for (const auto& [key, value] : metric->only_where.items()) {
    if (required.contains(key) && !same_param_value(required[key], value)) return std::nullopt;
    required[key] = value;
  }
  return required;
}

std::string where_text(const nlohmann::json& where) {
  std::vector<std::string> items;
  if (where.is_object())
    for (const auto& [key, value] : where.items())
      items.push_back(key + ": " + (value.is_string() ? value.get<std::string>() : value.dump()));
  return fmt::format("{{{}}}", fmt::join(items, ", "));
}

bool reference_applies_to_launch(const reference& ref, const metric_spec* metric,
                                 const nlohmann::json& params) {
  const auto required = required_values(ref, metric);
  if (!required || !params.is_object()) return false;
  for (const auto& [key, value] : required->items())
    if (!launch_has(params, key, value)) return false;
  return true;
}

reference_coverage check_references_against_plan(const system_spec& system,
                                                 const std::vector<expanded_case>& launches,
                                                 const registry& suites) {
  reference_coverage coverage;
  coverage.total = system.references.size();
  std::vector<validation_issue> issues;
  for (std::size_t i = 0; i < system.references.size(); ++i) {
    const reference& ref = system.references[i];
    std::vector<const expanded_case*> runs;
    for (const auto& launch : launches)
      if (launch.benchmark == ref.benchmark) runs.push_back(&launch);
    if (runs.empty()) {
      ++coverage.for_other_benchmarks;
      continue;
    }
    const suite* s = suites.find(ref.benchmark);
    const auto metrics = s ? reported_metrics(*s, ref.benchmark) : std::vector<metric_spec>{};
    const metric_spec* metric = find_metric_spec(metrics, ref.metric);
    const bool applies = std::any_of(runs.begin(), runs.end(), [&](const expanded_case* launch) {
      return reference_applies_to_launch(ref, metric, launch->params);
    });
    if (applies) {
      ++coverage.apply;
      continue;
    }
    const auto params = s ? s->parameters(ref.benchmark) : std::vector<param_spec>{};
    issues.push_back(unmatched_issue(i, ref, metric, params, runs));
  }
  if (!issues.empty()) throw validation_error(std::move(issues));
  return coverage;
}

checked_system load_system_for_plan(const std::string& path, const plan& p, const registry& suites) {
  checked_system checked{load_system(path, suites), {}};
  checked.references = check_references_against_plan(checked.system, expand(p, suites), suites);
  return checked;
}

}  // namespace exacheck
