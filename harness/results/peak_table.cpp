#include "harness/results/peak_table.hpp"

#include <fmt/core.h>

#include <cmath>

#include "harness/core/suite.hpp"
#include "harness/plan/plan.hpp"
#include "harness/results/run_document.hpp"
#include "harness/results/verdicts.hpp"

namespace exacheck {
namespace {

std::string text_param(const nlohmann::json& params, const char* name) {
  const auto it = params.find(name);
  return it != params.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::vector<std::string> peak_keys_for(std::string_view benchmark, const nlohmann::json& point_params,
                                       const registry& suites) {
  const suite* s = suites.find(benchmark);
  return s ? peak_keys(*s, benchmark, point_params) : std::vector<std::string>{};
}

std::optional<std::string> peak_key_for(std::string_view benchmark, const nlohmann::json& point_params,
                                        const nlohmann::json& peak_per_gpu, const registry& suites) {
  if (!peak_per_gpu.is_object()) return std::nullopt;
  for (const auto& key : peak_keys_for(benchmark, point_params, suites)) {
    const auto it = peak_per_gpu.find(key);
    if (it != peak_per_gpu.end() && it->is_number() && it->get<double>() > 0) return key;
  }
  return std::nullopt;
}

std::optional<datasheet_peak> find_peak(std::string_view benchmark, const nlohmann::json& point_params,
                                        const nlohmann::json& peak_per_gpu, const std::string& metric_unit,
                                        const registry& suites) {
  const auto key = peak_key_for(benchmark, point_params, peak_per_gpu, suites);
  if (!key) return std::nullopt;
  // Without a unit the number means nothing: no percentage is better than a wrong one.
  const std::string unit = text_param(peak_per_gpu, "unit");
  if (unit.empty() || !unit_conversion(metric_unit, unit)) return std::nullopt;
  return datasheet_peak{*key, peak_per_gpu.at(*key).get<double>(), unit};
}

void add_pct_of_peak(nlohmann::json& results, std::string_view benchmark, const system_spec* system,
                     const registry& suites) {
  if (!system || !results.is_array()) return;
  for (auto& point : results) {
    if (!point.is_object() || !point.contains("ranks") || !point["ranks"].is_array()) continue;
    // The rate's unit and statistic are the point's (its descriptor), the same for every rank.
    const nlohmann::json* rate = metric_descriptor(point, peak_rate_metric);
    if (!rate || metric_descriptor(point, pct_of_peak_metric)) continue;
    const std::string unit = rate->value("unit", "");
    const nlohmann::json params = point.value("params", nlohmann::json::object());
    const auto peak = find_peak(benchmark, params, system->peak_per_gpu, unit, suites);
    if (!peak) continue;
    nlohmann::json added = {
        {"name", pct_of_peak_metric},
        {"unit", "%"},
        {"statistic", rate->value("statistic", "")},
        {"better", "higher"},
        {"description",
         fmt::format("{} as a percentage of the datasheet peak peak_per_gpu.{} = {:g} {} of system {}",
                     peak_rate_metric, peak->key, peak->value, peak->unit, system->name)}};
    const double factor = *unit_conversion(unit, peak->unit);
    bool any = false;
    for (auto& rank : point["ranks"]) {
      if (!rank.contains("values") || !rank["values"].is_object()) continue;
      nlohmann::json& values = rank["values"];
      const auto value = values.find(peak_rate_metric);
      if (value == values.end() || !value->is_number()) continue;
      const double in_peak_unit = value->get<double>() * factor;
      values[std::string(pct_of_peak_metric)] = 100.0 * in_peak_unit / peak->value;
      any = true;
    }
    if (any) point["metrics"].push_back(std::move(added));
  }
}

}  // namespace exacheck
