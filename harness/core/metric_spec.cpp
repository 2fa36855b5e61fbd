#include "harness/core/metric_spec.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/core/param_spec.hpp"  // same_param_value

namespace exacheck {

const metric_spec* find_metric_spec(const std::vector<metric_spec>& specs, std::string_view name) {
  for (const auto& spec : specs)
    if (spec.name == name) return &spec;
  return nullptr;
}

std::vector<std::string> metric_names(const std::vector<metric_spec>& specs) {
  std::vector<std::string> names;
  for (const auto& spec : specs) names.push_back(spec.name);
  return names;
}

std::string reporting_condition(const metric_spec& spec) {
  std::vector<std::string> parts;
  if (!spec.only_where.empty()) {
    std::vector<std::string> values;
    for (const auto& [key, value] : spec.only_where.items())
      values.push_back(
          fmt::format("{} = {}", key, value.is_string() ? value.get<std::string>() : value.dump()));
    parts.push_back("only where " + fmt::format("{}", fmt::join(values, ", ")));
  }
  if (!spec.backends.empty()) parts.push_back(fmt::format("{} backend", fmt::join(spec.backends, " or ")));
  if (spec.min_ranks > 1) parts.push_back(fmt::format("{} or more ranks", spec.min_ranks));
  if (spec.derived) parts.push_back("added by exacheck from the system file");
  return fmt::format("{}", fmt::join(parts, "; "));
}

bool reported_where(const metric_spec& spec, const nlohmann::json& params) {
  if (!params.is_object()) return spec.only_where.empty();
  for (const auto& [key, value] : spec.only_where.items()) {
    const auto found = params.find(key);
    if (found == params.end() || !same_param_value(*found, value)) return false;
  }
  return true;
}

}  // namespace exacheck
