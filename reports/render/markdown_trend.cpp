// report.md's "Trend from the history": the nights before this run of each device needing attention
// (history_trend, docs/history.md). Rendered only: the history database chose the values.
#include <fmt/core.h>

#include "reports/analysis/format.hpp"
#include "reports/analysis/sparkline.hpp"
#include "reports/render/device_text.hpp"
#include "reports/render/markdown_parts.hpp"
#include "reports/render/trend_text.hpp"

namespace exacheck::reports::markdown {

void write_history_trend(const nlohmann::json& run, std::ostream& out) {
  const nlohmann::json& trend = history_trend_of(run);
  if (trend.is_null()) return;
  out << "## Trend from the history\n\n" << trend_lead(trend) << "\n\n";
  write_table_header(
      out, {"device", "verdict", "check", "nights", "trend", "first → last", "values, oldest first"});
  for (const auto& device : list_field(trend, "devices")) {
    const std::string name = device_name(device, false);
    const std::string uuid = text_field(device, "uuid");
    for (const auto& series : list_field(device, "series")) {
      std::string values;
      for (const auto& night : list_field(series, "nights")) {
        const nlohmann::json& value = field(night, "value");
        std::string text = value.is_number() ? readable_number(value.get<double>()) : dash;
        if (field(night, "this_run") == true) text = "**" + text + "** (this run)";
        values += (values.empty() ? "" : ", ") + text;
      }
      write_table_row(out,
                      {uuid.empty() ? name : name + " (" + uuid + ")", or_dash(text_field(device, "verdict")),
                       trend_series_title(series), trend_nights_text(series), sparkline(trend_values(series)),
                       trend_change_text(series), values});
    }
  }
  out << "\n";
}

}  // namespace exacheck::reports::markdown
