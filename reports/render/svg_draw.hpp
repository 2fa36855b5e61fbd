#pragma once
// Internal to the SVG toolkit (svg_axes.cpp, svg_charts.cpp): the frame every chart shares and the writing of
// SVG elements with escaped text and compact, deterministic coordinates.
#include <string>
#include <string_view>
#include <vector>

#include "reports/render/svg_chart.hpp"

namespace exacheck::reports::svg::detail {

// The viewBox of every chart is this wide; the page scales it to its own width (and the printer to the
// paper's).
inline constexpr double chart_width = 960;

// Where a chart draws its data: the plot area inside the margins that hold the axes' labels.
struct plot_area {
  double left = 84, top = 40, width = chart_width - 84 - 24, height = 260;
  double right() const { return left + width; }
  double bottom() const { return top + height; }
};

// The width of `text` in a font of `font_px` (bold or not), estimated from its characters by class (narrow,
// wide, upper case, the rest) a little above DejaVu Sans's widths, the widest of the fonts the style sheet
// names, so that an estimate never lets a label overrun its room.
double text_width(std::string_view text, double font_px, bool bold = false);
// `text` in lines of at most `max_width` px, broken only at spaces: a word is never split (one longer than a
// line stands alone on its line, and fitted_text shrinks it).
std::vector<std::string> wrap_words(std::string_view text, double max_width, double font_px,
                                    bool bold = false);
// <text> of one line that is never wider than `max_width`: shrunk to fit (textLength) when the estimate says
// it would overrun.
std::string fitted_text(double x, double y, std::string_view content, std::string_view style_class,
                        std::string_view anchor, double font_px, double max_width, bool bold = false);

// "12.5": one decimal is a tenth of a pixel, and the same double always writes the same text.
std::string px(double value);

// Appends SVG to a string.
class svg_writer {
 public:
  // <svg viewBox="0 0 width height" role="img"> with `title` for screen readers and as a visible title,
  // wrapped at spaces onto as many lines as it needs (never clipped); what follows is moved down by the lines
  // past the first (and the viewBox grows by as much), so that charts lay out as for a one-line title.
  svg_writer(const std::string& title, double height);
  void raw(std::string_view markup) { m_text += markup; }
  void line(double x1, double y1, double x2, double y2, std::string_view style_class);
  void text(double x, double y, std::string_view content, std::string_view style_class,
            std::string_view anchor = "middle", double rotate_deg = 0);
  // An element with a <title> child (the tooltip): `open` is the start tag's name and attributes.
  void with_tooltip(std::string_view open, std::string_view tooltip);
  std::string finish();

 private:
  std::string m_text;
  bool m_shifted = false;  // a <g> moves the chart below a title of more than one line
};

// Ticks and the domain they span for one axis of `spec` over data in [min, max].
struct axis_ticks {
  std::vector<double> values;
  double domain_min = 0, domain_max = 1;
};
axis_ticks ticks_for(const axis_spec& spec, double min, double max, int max_ticks);

// Grid lines, tick labels and axis titles for a plot with the given maps and ticks.
void draw_axes(svg_writer& svg, const plot_area& area, const axis_spec& x_spec, const axis_ticks& x_ticks,
               const axis_map& x_map, const axis_spec& y_spec, const axis_ticks& y_ticks,
               const axis_map& y_map);

}  // namespace exacheck::reports::svg::detail
