#include "harness/plan/outlier_rules.hpp"

#include <fmt/core.h>

#include <stdexcept>

namespace exacheck::reports {
namespace {

double number_at(const nlohmann::json& object, const char* key, double fallback, const char* where) {
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return fallback;
  if (!found->is_number())
    throw std::invalid_argument(fmt::format("{}.{} is {}, expected a number", where, key, found->dump()));
  return found->get<double>();
}

}  // namespace

outlier_rules rules_from_json(const nlohmann::json& rules) {
  outlier_rules result;
  if (rules.is_null()) return result;
  if (!rules.is_object())
    throw std::invalid_argument(fmt::format("analysis.rules is {}, expected an object", rules.dump()));
  result.z_threshold = number_at(rules, "z_threshold", result.z_threshold, "analysis.rules");
  result.min_deviation_pct =
      number_at(rules, "min_deviation_pct", result.min_deviation_pct, "analysis.rules");
  if (const auto pct = rules.find("below_median_pct"); pct != rules.end() && !pct->is_null())
    result.below_median_pct = number_at(rules, "below_median_pct", 0, "analysis.rules");
  result.min_fleet = static_cast<int>(number_at(rules, "min_fleet", result.min_fleet, "analysis.rules"));
  if (const auto spread = rules.find("spread"); spread != rules.end() && !spread->is_null()) {
    if (!spread->is_array())
      throw std::invalid_argument(
          fmt::format("analysis.rules.spread is {}, expected a list", spread->dump()));
    for (const auto& rule : *spread) {
      if (!rule.is_object() || !rule.contains("benchmark") || !rule["benchmark"].is_string() ||
          !rule.contains("metric") || !rule["metric"].is_string())
        throw std::invalid_argument(fmt::format(
            "analysis.rules.spread entry {} needs benchmark and metric (strings) and max_pct", rule.dump()));
      result.spread.push_back({rule["benchmark"].get<std::string>(), rule["metric"].get<std::string>(),
                               number_at(rule, "max_pct", 0, "analysis.rules.spread[]")});
    }
  }
  return result;
}

nlohmann::json to_json(const outlier_rules& rules) {
  nlohmann::json spread = nlohmann::json::array();
  for (const auto& rule : rules.spread)
    spread.push_back({{"benchmark", rule.benchmark}, {"metric", rule.metric}, {"max_pct", rule.max_pct}});
  return {{"z_threshold", rules.z_threshold},
          {"min_deviation_pct", rules.min_deviation_pct},
          {"below_median_pct",
           rules.below_median_pct ? nlohmann::json(*rules.below_median_pct) : nlohmann::json(nullptr)},
          {"min_fleet", rules.min_fleet},
          {"spread", std::move(spread)}};
}

}  // namespace exacheck::reports
