#include "harness/core/peak_rules.hpp"

#include <fmt/core.h>

#include "harness/core/suite.hpp"

namespace exacheck {

std::vector<std::string> peak_keys(const std::vector<peak_rule>& rules, const nlohmann::json& point_params) {
  if (!point_params.is_object()) return {};
  for (const auto& rule : rules) {
    bool matches = true;
    for (const auto& [name, value] : rule.where.items()) {
      const auto it = point_params.find(name);
      matches = matches && it != point_params.end() && *it == value;
    }
    if (matches) return rule.keys;
  }
  return {};
}

std::vector<std::string> peak_keys(const suite& s, std::string_view benchmark,
                                   const nlohmann::json& point_params) {
  return peak_keys(s.peak_rules(benchmark), point_params);
}

std::vector<metric_spec> reported_metrics(const suite& s, std::string_view benchmark) {
  std::vector<metric_spec> specs = s.metrics(benchmark);
  const metric_spec* rate = find_metric_spec(specs, peak_rate_metric);
  if (rate && !s.peak_rules(benchmark).empty() && !find_metric_spec(specs, pct_of_peak_metric))
    specs.push_back({.name = std::string(pct_of_peak_metric),
                     .unit = "%",
                     .better_is = better::higher,
                     .statistic = rate->statistic,
                     .scope = rate->scope,
                     .description = fmt::format("{} as a percentage of the system file's datasheet peak "
                                                "(peak_per_gpu) for the point's precision",
                                                peak_rate_metric),
                     .derived = true});
  return specs;
}

}  // namespace exacheck
