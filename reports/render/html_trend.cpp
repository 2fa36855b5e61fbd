// report.html's "Trend from the history": the nights before this run of each device needing attention
// (history_trend, docs/history.md), each series as a small inline SVG line. Rendered only.
#include <fmt/core.h>

#include <ostream>

#include "reports/analysis/format.hpp"
#include "reports/analysis/sparkline.hpp"
#include "reports/render/device_text.hpp"
#include "reports/render/html.hpp"
#include "reports/render/trend_text.hpp"

namespace exacheck::reports::html {
namespace {

constexpr double spark_width = 160, spark_height = 28;

// The series as one SVG: its line (broken where a night has no valid value), a dot on each night, this run's
// night ringed; every value in the tooltip.
std::string spark_svg(const json& series) {
  const auto values = trend_values(series);
  std::string title;
  for (const auto& night : list_field(series, "nights")) {
    const json& value = field(night, "value");
    title += fmt::format("{}{}: {}{}", title.empty() ? "" : "\n", text_field(night, "night"),
                         value.is_number() ? readable_number(value.get<double>()) : std::string(missing_mark),
                         field(night, "this_run") == true ? " (this run)" : "");
  }
  std::string svg = fmt::format(
      "<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 "
      "{0} "
      "{1}\" role=\"img\"><title>{2}</title>",
      spark_width, spark_height, html_text(title));
  // The line, broken where a night has no valid value; a dot on each night, this run's night ringed in red.
  const auto points = sparkline_points(values, spark_width, spark_height);
  const json& nights = list_field(series, "nights");
  std::string line;
  const auto end_line = [&] {
    if (!line.empty())
      svg += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"1.5\"/>",
                         line);
    line.clear();
  };
  for (const auto& point : points) {
    if (!point) {
      end_line();
      continue;
    }
    line += fmt::format("{}{:.1f},{:.1f}", line.empty() ? "" : " ", point->x, point->y);
  }
  end_line();
  for (std::size_t i = 0; i < points.size() && i < nights.size(); ++i) {
    if (!points[i]) continue;
    const bool this_run = field(nights[i], "this_run") == true;
    svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\" fill=\"{}\"/>", points[i]->x,
                       points[i]->y, this_run ? 2.5 : 1.5, this_run ? "#c0392b" : "#1f5fa8");
  }
  return svg + "</svg>";
}

}  // namespace

bool has_history_trend(const json& run) {
  return !history_trend_of(run).is_null();
}

void write_history_trend(const json& run, std::ostream& out) {
  const json& trend = history_trend_of(run);
  if (trend.is_null()) return;
  out << "<section id=\"trend\">\n<h2>Trend from the history</h2>\n<p>" << html_text(trend_lead(trend))
      << "</p>\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& device : list_field(trend, "devices")) {
    const std::string uuid = text_field(device, "uuid");
    const std::string name = html_text(device_name(device, false)) +
                             (uuid.empty() ? "" : "<br><small>" + html_text(uuid) + "</small>");
    for (const auto& series : list_field(device, "series"))
      rows.push_back({name, badge(text_field(device, "verdict")), html_text(trend_series_title(series)),
                      html_text(trend_nights_text(series)), spark_svg(series),
                      html_text(trend_change_text(series))});
  }
  write_table(out, {"device", "verdict", "check", "nights", "trend", "first → last"}, rows);
  out << "</section>\n";
}

}  // namespace exacheck::reports::html
