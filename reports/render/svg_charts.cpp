// The SVG toolkit's charts: line (collective sweeps), bar (per GPU), heatmap (per GPU at fleet scale) and
// histogram with a box strip (distribution of a per-GPU metric).
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "reports/analysis/format.hpp"
#include "reports/render/svg_chart.hpp"
#include "reports/render/svg_draw.hpp"

namespace exacheck::reports::svg {
namespace {

using detail::px;

struct extent {
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  void add(double value, bool positive_only) {
    if (!std::isfinite(value) || (positive_only && value <= 0)) return;
    min = std::min(min, value);
    max = std::max(max, value);
  }
  bool empty() const { return min > max; }
};

// A horizontal or vertical marker line with its label at the far end.
void draw_marker(detail::svg_writer& svg, const marker& m, double x1, double y1, double x2, double y2,
                 double label_x, double label_y, std::string_view anchor) {
  svg.raw(fmt::format(
      "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"1.5\"{}/>\n", px(x1),
      px(y1), px(x2), px(y2), html_text(m.colour), m.dashed ? " stroke-dasharray=\"6 4\"" : ""));
  svg.raw(fmt::format("<text x=\"{}\" y=\"{}\" class=\"marker\" fill=\"{}\" text-anchor=\"{}\">{}</text>\n",
                      px(label_x), px(label_y), html_text(m.colour), anchor, html_text(m.label)));
}

// A marker whose value lies off a horizontal axis: an arrow at the edge it lies beyond, pointing out, with
// its label and value, so that a bound far from the data is drawn as such rather than silently missing
// (or, clamped, drawn where it is not).
void draw_off_axis_marker(detail::svg_writer& svg, const marker& m, double edge_x, double y,
                          bool beyond_left) {
  const double tip = beyond_left ? edge_x - 2 : edge_x + 2, back = beyond_left ? edge_x + 8 : edge_x - 8;
  svg.raw(fmt::format("<path d=\"M{},{} L{},{} L{},{} Z\" fill=\"{}\" class=\"off-axis\"/>\n", px(tip), px(y),
                      px(back), px(y - 6), px(back), px(y + 6), html_text(m.colour)));
  svg.raw(fmt::format("<text x=\"{}\" y=\"{}\" class=\"marker\" fill=\"{}\" text-anchor=\"{}\">{}</text>\n",
                      px(beyond_left ? back + 4 : back - 4), px(y + 4), html_text(m.colour),
                      beyond_left ? "start" : "end",
                      html_text(fmt::format("{} {} off the axis", beyond_left ? "◀" : "▶", m.label))));
}

}  // namespace

std::string render(const line_chart& chart) {
  extent xs, ys;
  for (const auto& s : chart.lines)
    for (const auto& p : s.points) {
      xs.add(p.x, chart.x.kind != scale::linear);
      ys.add(p.y, chart.y.kind != scale::linear);
    }
  const detail::plot_area area;
  constexpr double legend_row_height = 18, legend_entry_width = 300;
  const int per_row = static_cast<int>(area.width / legend_entry_width);
  const int legend_rows = static_cast<int>((chart.lines.size() + per_row - 1) / per_row);
  detail::svg_writer svg(chart.title, area.bottom() + 52 + legend_rows * legend_row_height);
  if (xs.empty() || ys.empty()) {
    svg.text(detail::chart_width / 2, area.top + area.height / 2, "no values to plot", "note");
    return svg.finish();
  }
  const auto x_ticks = detail::ticks_for(chart.x, xs.min, xs.max, 12);
  const auto y_ticks = detail::ticks_for(chart.y, ys.min, ys.max, 7);
  const axis_map x_map(chart.x.kind, x_ticks.domain_min, x_ticks.domain_max, area.left, area.right());
  const axis_map y_map(chart.y.kind, y_ticks.domain_min, y_ticks.domain_max, area.bottom(), area.top);
  detail::draw_axes(svg, area, chart.x, x_ticks, x_map, chart.y, y_ticks, y_map);
  const auto& colours = series_colours();
  for (std::size_t i = 0; i < chart.lines.size(); ++i) {
    const auto& s = chart.lines[i];
    const std::string& colour = colours[i % colours.size()];
    std::string path;
    for (const auto& p : s.points)
      path += fmt::format("{}{},{}", path.empty() ? "" : " ", px(x_map(p.x)), px(y_map(p.y)));
    svg.raw(fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n", path,
                        colour));
    for (const auto& p : s.points)
      svg.with_tooltip(fmt::format("circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\"", px(x_map(p.x)),
                                   px(y_map(p.y)), colour),
                       fmt::format("{}: {} → {}", s.name, chart.x.label(p.x), chart.y.label(p.y)));
    const double legend_x = area.left + static_cast<double>(i % per_row) * legend_entry_width;
    const double legend_y = area.bottom() + 56 + static_cast<double>(i / per_row) * legend_row_height;
    svg.raw(fmt::format("<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"4\" fill=\"{}\"/>\n", px(legend_x),
                        px(legend_y - 6), colour));
    svg.text(legend_x + 20, legend_y, s.name, "legend", "start");
  }
  return svg.finish();
}

std::string render(const bar_chart& chart) {
  extent ys;
  for (const auto& b : chart.bars)
    if (b.value) ys.add(*b.value, false);
  for (const auto& m : chart.lines) ys.add(m.value, false);
  detail::plot_area area;
  area.left = 84;
  area.width = detail::chart_width - area.left - 130;  // room on the right for the markers' labels
  detail::svg_writer svg(chart.title, area.bottom() + 60);
  if (ys.empty()) {
    svg.text(detail::chart_width / 2, area.top + area.height / 2, "no values to plot", "note");
    return svg.finish();
  }
  const axis_spec y_spec{chart.y.kind, chart.y.title, chart.y.label, true};
  const auto y_ticks = detail::ticks_for(y_spec, ys.min, ys.max, 7);
  const axis_map y_map(scale::linear, y_ticks.domain_min, y_ticks.domain_max, area.bottom(), area.top);
  for (const double tick : y_ticks.values) {
    svg.line(area.left, y_map(tick), area.right(), y_map(tick), "grid");
    svg.text(area.left - 6, y_map(tick) + 4, y_spec.label(tick), "tick", "end");
  }
  svg.text(18, area.top + area.height / 2, y_spec.title, "axis-title", "middle", -90);
  // Slots: one per bar plus one between groups, so that nodes read apart.
  std::size_t slots = chart.bars.size();
  for (std::size_t i = 1; i < chart.bars.size(); ++i) slots += chart.bars[i].group != chart.bars[i - 1].group;
  const double slot = area.width / static_cast<double>(std::max<std::size_t>(1, slots));
  double x = area.left;
  std::size_t group_start = 0;
  double group_x = x;
  for (std::size_t i = 0; i < chart.bars.size(); ++i) {
    const bar& b = chart.bars[i];
    if (i > 0 && b.group != chart.bars[i - 1].group) x += slot;
    if (i == 0 || b.group != chart.bars[i - 1].group) {
      group_start = i;
      group_x = x;
    }
    const double width = std::max(1.0, slot * 0.8);
    if (b.value) {
      const double top = y_map(*b.value);
      svg.with_tooltip(
          fmt::format("rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"{}\"", px(x), px(top),
                      px(width), px(area.bottom() - top), b.highlighted ? "bar outlier" : "bar"),
          b.tooltip);
    } else {
      svg.with_tooltip(fmt::format("rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"6\" class=\"bar missing\"",
                                   px(x), px(area.bottom() - 6), px(width)),
                       b.tooltip);
    }
    if (slot >= 12) svg.text(x + width / 2, area.bottom() + 12, b.label, "tick small");
    const bool group_ends = i + 1 == chart.bars.size() || chart.bars[i + 1].group != b.group;
    if (group_ends) {
      const double centre = (group_x + x + width) / 2;
      const bool crowded = (x + width - group_x) < 7.0 * static_cast<double>(b.group.size());
      svg.text(centre, area.bottom() + (slot >= 12 ? 26 : 14), b.group, "tick", crowded ? "end" : "middle",
               crowded ? -40 : 0);
    }
    x += slot;
    (void)group_start;
  }
  svg.line(area.left, area.bottom(), area.right(), area.bottom(), "axis");
  for (const auto& m : chart.lines)
    draw_marker(svg, m, area.left, y_map(m.value), area.right(), y_map(m.value), area.right() + 4,
                y_map(m.value) + 4, "start");
  return svg.finish();
}

std::string render(const heatmap& chart) {
  constexpr double cell_gap = 1, node_gap = 5, row_gap = 6, top = 40, tick_px = 11, max_label_width = 240;
  std::size_t gpus_per_node = 1, longest_host = 0, gpus = 0;
  for (const auto& node : chart.nodes) {
    gpus_per_node = std::max(gpus_per_node, node.gpus.size());
    longest_host = std::max(longest_host, node.host.size());
    gpus += node.gpus.size();
  }
  // Room on the left for the longest host name (a row's first node is named there), so that none is
  // clipped at the chart's edge; past max_label_width a name is shrunk to fit.
  const double label_width =
      std::clamp(detail::text_width(std::string(longest_host, 'n'), tick_px) + 12, 84.0, max_label_width);
  // Larger cells while there are few: a hundred GPUs read at a glance, thousands still fit a page.
  const double cell = gpus <= 256 ? 20 : 12;
  const double block = static_cast<double>(gpus_per_node) * (cell + cell_gap) + node_gap;
  const auto per_row =
      static_cast<std::size_t>(std::max(1.0, std::floor((detail::chart_width - label_width - 8) / block)));
  // Every node named under its block when the names fit (about 5.5 px a character at 9 px), else only the
  // first node of each row, on the left.
  const bool name_every_node = static_cast<double>(longest_host) * 5.5 <= block - 2;
  const double row_height = cell + row_gap + (name_every_node ? 11 : 0);
  const std::size_t rows = (chart.nodes.size() + per_row - 1) / per_row;
  const double legend_top = top + static_cast<double>(rows) * row_height + 14;
  detail::svg_writer svg(chart.title, legend_top + 40);
  for (std::size_t n = 0; n < chart.nodes.size(); ++n) {
    const heat_node& node = chart.nodes[n];
    const double y = top + static_cast<double>(n / per_row) * row_height;
    const double x0 = label_width + static_cast<double>(n % per_row) * block;
    if (!name_every_node && n % per_row == 0)
      svg.raw(detail::fitted_text(label_width - 6, y + cell - 2, node.host, "tick", "end", tick_px,
                                  label_width - 10));
    if (name_every_node) svg.text(x0 + (block - node_gap) / 2, y + cell + 10, node.host, "tick small");
    for (std::size_t g = 0; g < node.gpus.size(); ++g) {
      const heat_cell& c = node.gpus[g];
      std::string fill = "#fff";  // no valid value: white, with a dashed outline (class missing)
      if (c.value && chart.median != 0) {
        const double deviation = (*c.value / chart.median - 1) * 100 * (chart.higher_is_better ? 1 : -1);
        fill = deviation_colour(deviation, chart.full_scale_pct);
      }
      svg.with_tooltip(
          fmt::format("rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"{}",
                      px(x0 + static_cast<double>(g) * (cell + cell_gap)), px(y), px(cell), px(cell), fill,
                      c.highlighted ? " class=\"cell outlier\""
                      : c.value     ? ""
                                    : " class=\"cell missing\""),
          c.tooltip);
    }
  }
  // Legend: the colour scale from full-scale worse through the median to full-scale better.
  constexpr int steps = 11;
  const double legend_left = label_width, step_width = 28;
  for (int i = 0; i < steps; ++i) {
    const double pct = chart.full_scale_pct * (2.0 * i / (steps - 1) - 1);
    svg.raw(fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"10\" fill=\"{}\"/>\n",
                        px(legend_left + i * step_width), px(legend_top), px(step_width),
                        deviation_colour(pct, chart.full_scale_pct)));
  }
  const std::string full = readable_number(chart.full_scale_pct);
  svg.text(legend_left, legend_top + 24, "≥ " + full + "% worse", "tick", "start");
  svg.text(legend_left + steps * step_width / 2, legend_top + 24, "fleet median", "tick");
  svg.text(legend_left + steps * step_width, legend_top + 24, "≥ " + full + "% better", "tick", "end");
  svg.raw(fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"#eee\" class=\"cell outlier\"/>\n",
      px(legend_left + steps * step_width + 24), px(legend_top)));
  svg.text(legend_left + steps * step_width + 40, legend_top + 9, "outlier (outlined)", "tick", "start");
  svg.raw(fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"#fff\" class=\"cell missing\"/>\n",
      px(legend_left + steps * step_width + 170), px(legend_top)));
  svg.text(legend_left + steps * step_width + 186, legend_top + 9, "no valid value", "tick", "start");
  return svg.finish();
}

std::string render(const histogram& chart) {
  extent xs;
  for (const double v : chart.values) xs.add(v, false);
  if (chart.box) {
    xs.add(chart.box->min, false);
    xs.add(chart.box->max, false);
  }
  detail::plot_area area;
  area.top = 72;  // the box strip sits above the bars
  area.height = 200;
  detail::svg_writer svg(chart.title, area.bottom() + 52);
  if (xs.empty()) {
    svg.text(detail::chart_width / 2, area.top + area.height / 2, "no values to plot", "note");
    return svg.finish();
  }
  const axis_spec x_spec{scale::linear, chart.x.title, chart.x.label, false};
  const auto x_ticks = detail::ticks_for(x_spec, xs.min, xs.max, 8);
  const axis_map x_map(scale::linear, x_ticks.domain_min, x_ticks.domain_max, area.left, area.right());
  const int bins = std::max(1, chart.bins);
  const double bin_width = (xs.max - xs.min) / bins;
  std::vector<int> counts(static_cast<std::size_t>(bins), 0);
  for (const double v : chart.values) {
    if (!std::isfinite(v)) continue;
    const int bin = bin_width > 0 ? std::min(bins - 1, static_cast<int>((v - xs.min) / bin_width)) : 0;
    ++counts[static_cast<std::size_t>(bin)];
  }
  const int most = *std::max_element(counts.begin(), counts.end());
  const axis_spec y_spec{scale::linear, "GPUs", number_label, true};
  auto y_ticks = detail::ticks_for(y_spec, 0, std::max(1, most), 5);
  y_ticks.values.erase(std::remove_if(y_ticks.values.begin(), y_ticks.values.end(),
                                      [](double t) { return t != std::floor(t); }),
                       y_ticks.values.end());  // counts are whole GPUs
  const axis_map y_map(scale::linear, y_ticks.domain_min, y_ticks.domain_max, area.bottom(), area.top);
  detail::draw_axes(svg, area, x_spec, x_ticks, x_map, y_spec, y_ticks, y_map);
  for (int b = 0; b < bins; ++b) {
    const int count = counts[static_cast<std::size_t>(b)];
    if (count == 0) continue;
    const double from = xs.min + b * bin_width, to = bin_width > 0 ? from + bin_width : from;
    const double left = bin_width > 0 ? x_map(from) : x_map(from) - 4;
    const double width = bin_width > 0 ? std::max(1.0, x_map(to) - x_map(from) - 1) : 8;
    svg.with_tooltip(fmt::format("rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"bar\"", px(left),
                                 px(y_map(count)), px(width), px(area.bottom() - y_map(count))),
                     fmt::format("{} GPU(s) in [{}, {}]", count, chart.x.label(from), chart.x.label(to)));
  }
  if (chart.box) {
    const box_summary& box = *chart.box;
    const double middle = area.top - 20;
    svg.line(x_map(box.min), middle, x_map(box.max), middle, "whisker");
    svg.line(x_map(box.min), middle - 6, x_map(box.min), middle + 6, "whisker");
    svg.line(x_map(box.max), middle - 6, x_map(box.max), middle + 6, "whisker");
    svg.with_tooltip(
        fmt::format("rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"16\" class=\"box\"", px(x_map(box.p5)),
                    px(middle - 8), px(std::max(1.0, x_map(box.p95) - x_map(box.p5)))),
        fmt::format("p5 {} · median {} · p95 {}", chart.x.label(box.p5), chart.x.label(box.median),
                    chart.x.label(box.p95)));
    svg.line(x_map(box.median), middle - 8, x_map(box.median), middle + 8, "median");
  }
  double off_axis_y = area.top + 14;  // one row per marker off the axis, so that two never overlap
  for (const auto& m : chart.lines) {
    if (m.value < x_ticks.domain_min || m.value > x_ticks.domain_max) {
      draw_off_axis_marker(svg, m, m.value < x_ticks.domain_min ? area.left : area.right(), off_axis_y,
                           m.value < x_ticks.domain_min);
      off_axis_y += 16;
      continue;
    }
    draw_marker(svg, m, x_map(m.value), area.top - 32, x_map(m.value), area.bottom(), x_map(m.value) + 4,
                area.top - 34, "start");
  }
  return svg.finish();
}

}  // namespace exacheck::reports::svg
