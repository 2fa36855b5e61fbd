// The SVG toolkit's fleet chart (svg_chart.hpp): a benchmark's points as rows of "spread around the row's
// own median", for reports of hundreds to thousands of GPUs where a chart per point would not fit a printed
// report.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "reports/analysis/format.hpp"
#include "reports/render/svg_chart.hpp"
#include "reports/render/svg_draw.hpp"

namespace exacheck::reports::svg {
namespace {

using detail::px;

constexpr double tick_px = 11, line_height = 13, min_row_height = 18, top = 40;
constexpr double max_label_width = 330, bound_column_width = 150;

std::string pct_label(double pct) {
  return pct == 0 ? "median" : fmt::format("{:+g}%", pct);
}

}  // namespace

std::string render(const fleet_chart& chart) {
  // Labels: as wide as the longest needs, up to max_label_width; longer ones wrap at spaces.
  double label_width = 60;
  for (const auto& row : chart.rows)
    label_width = std::max(label_width, detail::text_width(row.label, tick_px, row.flagged) + 12);
  label_width = std::min(label_width, max_label_width);
  std::vector<std::vector<std::string>> labels;
  std::vector<double> row_top;
  double y = top + 8;
  for (const auto& row : chart.rows) {
    labels.push_back(detail::wrap_words(row.label, label_width - 12, tick_px, row.flagged));
    row_top.push_back(y);
    y += std::max(min_row_height, static_cast<double>(labels.back().size()) * line_height + 5);
  }
  const double plot_bottom = y;
  detail::svg_writer svg(chart.title, plot_bottom + 64);
  if (chart.rows.empty()) {
    svg.text(detail::chart_width / 2, top + 30, "no values to plot", "note");
    return svg.finish();
  }
  double low = 0, high = 0;
  for (const auto& row : chart.rows) {
    low = std::min({low, row.worst_pct, row.box_worse_pct});
    high = std::max({high, row.best_pct, row.box_better_pct});
    for (const auto& dot : row.outliers) {
      low = std::min(low, dot.pct);
      high = std::max(high, dot.pct);
    }
  }
  const auto ticks = linear_ticks(std::max(low, -100.0), high, 8);
  const double left = label_width + 8, right = detail::chart_width - bound_column_width - 8;
  const axis_map x_map(scale::linear, ticks.front(), ticks.back(), left, right);
  for (const double tick : ticks) {
    svg.line(x_map(tick), top, x_map(tick), plot_bottom, tick == 0 ? "axis" : "grid");
    svg.text(x_map(tick), plot_bottom + 14, pct_label(tick), "tick");
  }
  svg.text((left + right) / 2, plot_bottom + 32,
           "deviation from the row's fleet median (%), worse ← → better", "axis-title");
  svg.text(right + 10, top + 2, "reference bound", "tick", "start");
  for (std::size_t r = 0; r < chart.rows.size(); ++r) {
    const fleet_row& row = chart.rows[r];
    const double row_y = row_top[r];
    const double height = std::max(min_row_height, static_cast<double>(labels[r].size()) * line_height + 5);
    const double middle = row_y + height / 2;
    if (r % 2 == 1)
      svg.raw(fmt::format("<rect x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"stripe\"/>\n", px(row_y),
                          px(detail::chart_width), px(height)));
    const double first_line = middle - (static_cast<double>(labels[r].size()) - 1) * line_height / 2 + 4;
    for (std::size_t l = 0; l < labels[r].size(); ++l)
      svg.raw(detail::fitted_text(label_width, first_line + static_cast<double>(l) * line_height,
                                  labels[r][l], row.flagged ? "tick flagged" : "tick", "end", tick_px,
                                  label_width - 6, row.flagged));
    const double worst = x_map(row.worst_pct), best = x_map(row.best_pct);
    svg.line(worst, middle, best, middle, "whisker");
    svg.line(worst, middle - 4, worst, middle + 4, "whisker");
    svg.line(best, middle - 4, best, middle + 4, "whisker");
    const double box_left = x_map(row.box_worse_pct), box_right = x_map(row.box_better_pct);
    svg.raw(fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"10\" class=\"box\"/>\n", px(box_left),
                        px(middle - 5), px(std::max(1.0, box_right - box_left))));
    svg.line(x_map(0), middle - 6, x_map(0), middle + 6, "median");
    for (const auto& dot : row.outliers)
      svg.with_tooltip(fmt::format("circle cx=\"{}\" cy=\"{}\" r=\"3.5\" class=\"dot outlier\"",
                                   px(x_map(dot.pct)), px(middle)),
                       dot.tooltip);
    std::string bound_text;
    for (const auto& bound : row.bounds) {
      const bool below = bound.pct<ticks.front(), above = bound.pct> ticks.back();
      if (below || above) {  // off the axis: an arrow at the edge it lies beyond, and its value
        const double edge = below ? left : right, tip = below ? edge - 6 : edge + 6;
        svg.raw(fmt::format("<path d=\"M{},{} L{},{} L{},{} Z\" class=\"off-axis\"/>\n", px(tip), px(middle),
                            px(edge), px(middle - 5), px(edge), px(middle + 5)));
        bound_text += fmt::format("{}{} {} ({}) off the axis", bound_text.empty() ? "" : "; ",
                                  below ? "◀" : "▶", bound.label, pct_label(std::round(bound.pct * 10) / 10));
        continue;
      }
      svg.line(x_map(bound.pct), middle - 8, x_map(bound.pct), middle + 8, "bound");
      bound_text += (bound_text.empty() ? "" : "; ") + bound.label;
    }
    if (!bound_text.empty())
      svg.raw(detail::fitted_text(right + 10, middle + 4, bound_text, "tick bound", "start", tick_px,
                                  bound_column_width - 4));
  }
  // Legend: what the marks mean.
  const double legend_y = plot_bottom + 54;
  svg.line(left, legend_y - 4, left + 30, legend_y - 4, "whisker");
  svg.raw(fmt::format("<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"10\" class=\"box\"/>\n", px(left + 8),
                      px(legend_y - 9)));
  svg.text(left + 36, legend_y, "worst to best GPU, box p5–p95", "tick", "start");
  svg.raw(fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" class=\"dot outlier\"/>\n", px(left + 250),
                      px(legend_y - 4)));
  svg.text(left + 258, legend_y, "fleet outlier", "tick", "start");
  svg.line(left + 350, legend_y - 10, left + 350, legend_y + 2, "bound");
  svg.text(left + 356, legend_y, "reference bound (◀ ▶ off the axis)", "tick", "start");
  return svg.finish();
}

}  // namespace exacheck::reports::svg
