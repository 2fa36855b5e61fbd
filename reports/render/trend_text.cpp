#include "reports/render/trend_text.hpp"

#include <fmt/core.h>

#include <cmath>

#include "reports/analysis/format.hpp"

namespace exacheck::reports {

using nlohmann::json;

const json& history_trend_of(const json& run) {
  static const json none;
  const auto it = run.find("history_trend");
  return it != run.end() && it->is_object() ? *it : none;
}

std::string trend_series_title(const json& series) {
  const std::string point = params_text(field(series, "params"));
  return fmt::format("{} · {}{}{}", text_field(series, "benchmark"), text_field(series, "metric"),
                     point.empty() ? "" : " · ", point);
}

std::vector<std::optional<double>> trend_values(const json& series) {
  std::vector<std::optional<double>> values;
  for (const auto& night : list_field(series, "nights")) {
    const json& value = field(night, "value");
    values.push_back(value.is_number() ? std::optional<double>(value.get<double>()) : std::nullopt);
  }
  return values;
}

std::string trend_nights_text(const json& series) {
  const json& nights = list_field(series, "nights");
  if (nights.empty()) return std::string(missing_mark);
  return fmt::format("{} … {} ({})", text_field(nights.front(), "night"), text_field(nights.back(), "night"),
                     nights.size());
}

std::string trend_change_text(const json& series) {
  std::optional<double> first, last;
  for (const auto& value : trend_values(series)) {
    if (!value) continue;
    if (!first) first = value;
    last = value;
  }
  if (!first) return std::string(missing_mark);
  const std::string unit = text_field(series, "unit");
  std::string text = fmt::format("{} → {}{}", readable_number(*first), readable_number(*last),
                                 unit.empty() ? "" : " " + unit);
  if (*first != 0) text += " (" + readable_delta_pct((*last - *first) / std::abs(*first) * 100.0) + ")";
  return text;
}

std::string trend_lead(const json& trend) {
  std::string lead = fmt::format(
      "The last nights (at most {}) of the failing metrics of each device needing attention, from the "
      "history "
      "database {} (docs/history.md): one value per night, the night's latest run; this run is marked.",
      text_field(trend, "nights"), text_field(trend, "database"));
  if (field(trend, "run_in_history") != true)
    lead +=
        " This run is not in the history: each trend ends before it (exacheck history add RUN_DIR adds it).";
  return lead;
}

}  // namespace exacheck::reports
