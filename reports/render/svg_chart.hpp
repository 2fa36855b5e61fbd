#pragma once
// A small SVG chart toolkit for report.html: axes (linear, log-2, log-10) with readable ticks, and line, bar,
// heatmap and histogram charts. Each chart is one self-contained <svg> element with a viewBox, so that it
// scales to the page (and to the printed page) without JavaScript. Every text that goes into the SVG is
// escaped here: callers pass plain text (host names, units), never markup.
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace exacheck::reports::svg {

enum class scale { linear, log2, log10 };

// Tick positions covering [min, max]. linear: 1-2-5 steps, at most about `max_ticks`, extended to whole steps
// (so [0, 812] gives 0, 200, …, 800, 1000); log: the powers of the base from the one at or below min to the
// one at or above max, every second (fourth, …) power when there would be more than `max_ticks`.
std::vector<double> linear_ticks(double min, double max, int max_ticks = 6);
std::vector<double> log_ticks(double min, double max, double base, int max_ticks = 12);

// Maps a value of the domain [domain_min, domain_max] to a pixel in [pixel_min, pixel_max] (pixel_max may be
// below pixel_min: SVG's y grows downwards). Log scales need a positive domain; values are clamped to it.
class axis_map {
 public:
  axis_map(scale kind, double domain_min, double domain_max, double pixel_min, double pixel_max);
  double operator()(double value) const;
  double domain_min() const { return m_domain_min; }
  double domain_max() const { return m_domain_max; }

 private:
  double transformed(double value) const;
  scale m_kind;
  double m_domain_min, m_domain_max, m_pixel_min, m_pixel_max;
};

using label_function = std::function<std::string(double)>;
std::string number_label(double value);  // readable_number
std::string bytes_label(double value);   // binary_bytes_text

struct axis_spec {
  scale kind = scale::linear;
  std::string title;  // "message size", "busbw (GB/s)"
  label_function label = number_label;
  bool from_zero = false;  // linear axes: start at 0 (bars and rates), else at the data's minimum
};

// A vertical line across a chart at `value` (a reference, a bound, the median), drawn dashed when `dashed`.
struct marker {
  double value = 0;
  std::string label;
  std::string colour = "#333";
  bool dashed = true;
};

struct point {
  double x = 0, y = 0;
};
struct series {
  std::string name;
  std::vector<point> points;
};
struct line_chart {
  std::string title;
  axis_spec x, y;
  std::vector<series> lines;
};
std::string render(const line_chart& chart);

// One bar per item (a GPU), grouped (by node) with the group's name under its bars.
struct bar {
  std::string group;
  std::string label;            // under the bar when there is room ("0", "1": the GPU index)
  std::string tooltip;          // <title>: what a pointer shows ("node001 GPU 2: 801.2 TFLOP/s")
  std::optional<double> value;  // none: not measured or invalid, drawn as a hatched stub
  bool highlighted = false;     // an outlier: drawn in the warning colour
};
struct bar_chart {
  std::string title;
  axis_spec y;
  std::vector<bar> bars;
  std::vector<marker> lines;  // horizontal here: reference bound, median
};
std::string render(const bar_chart& chart);

// Nodes × GPUs as coloured cells, nodes wrapped into rows of blocks so that thousands of GPUs fit a page.
// Colour: the deviation from `median` in percent, in the metric's bad direction dark red at `full_scale_pct`
// or more, neutral at the median, blue on the good side.
struct heat_cell {
  std::optional<double> value;
  std::string tooltip;
  bool highlighted = false;  // outlined
};
struct heat_node {
  std::string host;
  std::vector<heat_cell> gpus;
};
struct heatmap {
  std::string title;
  std::vector<heat_node> nodes;
  double median = 0;
  bool higher_is_better = true;
  double full_scale_pct = 10;
};
std::string render(const heatmap& chart);

// A histogram of `values` with a box strip above it (whiskers min–max, box p5–p95, line at the median: the
// distribution's own statistics, as run.json has them) and vertical markers.
struct box_summary {
  double min = 0, p5 = 0, median = 0, p95 = 0, max = 0;
};
struct histogram {
  std::string title;
  axis_spec x;
  std::vector<double> values;
  std::optional<box_summary> box;
  std::vector<marker> lines;
  int bins = 24;
};
std::string render(const histogram& chart);

// At fleet scale, one chart for many points (a benchmark's): one row per point and metric showing how its
// GPUs spread around the row's own fleet median, so that points of very different magnitude (fp64 and fp8
// TFLOP/s) share one axis: the deviation from that median in percent, in the metric's good direction (left
// is worse, whatever the metric's direction). Whiskers span the worst to the best GPU, the box p5 to p95; the
// fleet outliers are dots; the reference bounds are red ticks, or an arrow at the edge with the bound's value
// when they lie off the axis.
struct fleet_dot {
  double pct = 0;
  std::string tooltip;  // "node017 GPU 2: 612 TFLOP/s (−23.6%)"
};
struct fleet_bound {
  double pct = 0;
  std::string label;  // "≥ 665 TFLOP/s"
};
struct fleet_row {
  std::string label;  // wrapped at spaces when long, never inside a word
  double worst_pct = 0, box_worse_pct = 0, box_better_pct = 0, best_pct = 0;
  std::vector<fleet_dot> outliers;
  std::vector<fleet_bound> bounds;
  bool flagged = false;  // the label in the warning colour: the row has outliers or a failing check
};
struct fleet_chart {
  std::string title;
  std::vector<fleet_row> rows;
};
std::string render(const fleet_chart& chart);

// The colour of a deviation of `deviation_pct` in the good direction (negative = worse) on the heatmap's
// scale.
std::string deviation_colour(double deviation_pct, double full_scale_pct);
// The colours given to the series of a line chart, in order (colour-blind-safe palette).
const std::vector<std::string>& series_colours();

}  // namespace exacheck::reports::svg
