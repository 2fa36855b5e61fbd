// The SVG toolkit's axes: tick choice, value-to-pixel maps, and the drawing shared by every chart.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "reports/analysis/format.hpp"
#include "reports/render/svg_chart.hpp"
#include "reports/render/svg_draw.hpp"

namespace exacheck::reports::svg {

std::vector<double> linear_ticks(double min, double max, int max_ticks) {
  if (!std::isfinite(min) || !std::isfinite(max)) return {0, 1};
  if (max < min) std::swap(min, max);
  if (max == min) {  // one value: a range around it, so that it sits mid-axis
    const double half = min == 0 ? 1 : std::fabs(min) * 0.1;
    min -= half;
    max += half;
  }
  const double rough_step = (max - min) / std::max(1, max_ticks - 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(rough_step)));
  double step = magnitude * 10;
  for (const double nice : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (nice * magnitude >= rough_step) {
      step = nice * magnitude;
      break;
    }
  const double first = std::floor(min / step + 1e-9) * step;
  const double last = std::ceil(max / step - 1e-9) * step;
  std::vector<double> ticks;
  for (double tick = first; tick <= last + step * 1e-6; tick += step)
    ticks.push_back(std::fabs(tick) < step * 1e-9 ? 0.0 : tick);  // no "-0" from rounding
  return ticks;
}

std::vector<double> log_ticks(double min, double max, double base, int max_ticks) {
  if (!(min > 0) || !(max > 0) || !std::isfinite(min) || !std::isfinite(max)) return {1, base};
  if (max < min) std::swap(min, max);
  const auto power_of = [&](double value) { return std::log(value) / std::log(base); };
  int first = static_cast<int>(std::floor(power_of(min) + 1e-9));
  int last = static_cast<int>(std::ceil(power_of(max) - 1e-9));
  if (last == first) ++last;  // one value still gets an axis one power wide
  int stride = 1;
  while ((last - first) / stride + 1 > max_ticks) stride *= 2;
  first = static_cast<int>(std::floor(static_cast<double>(first) / stride)) * stride;
  last = static_cast<int>(std::ceil(static_cast<double>(last) / stride)) * stride;
  std::vector<double> ticks;
  for (int power = first; power <= last; power += stride) ticks.push_back(std::pow(base, power));
  return ticks;
}

axis_map::axis_map(scale kind, double domain_min, double domain_max, double pixel_min, double pixel_max)
    : m_kind(kind),
      m_domain_min(domain_min),
      m_domain_max(domain_max),
      m_pixel_min(pixel_min),
      m_pixel_max(pixel_max) {}

double axis_map::transformed(double value) const {
  switch (m_kind) {
    case scale::log2:
      return std::log2(std::max(value, m_domain_min));
    case scale::log10:
      return std::log10(std::max(value, m_domain_min));
    case scale::linear:
      break;
  }
  return value;
}

double axis_map::operator()(double value) const {
  const double from = transformed(m_domain_min), to = transformed(m_domain_max);
  if (to == from) return (m_pixel_min + m_pixel_max) / 2;
  const double fraction = std::clamp((transformed(value) - from) / (to - from), 0.0, 1.0);
  return m_pixel_min + fraction * (m_pixel_max - m_pixel_min);
}

std::string number_label(double value) {
  return readable_number(value);
}
std::string bytes_label(double value) {
  return binary_bytes_text(value);
}

std::string deviation_colour(double deviation_pct, double full_scale_pct) {
  const double t = std::clamp(full_scale_pct > 0 ? deviation_pct / full_scale_pct : 0.0, -1.0, 1.0);
  struct rgb {
    double r, g, b;
  };
  constexpr rgb neutral{238, 238, 232}, bad{178, 24, 43}, good{33, 102, 172};
  const rgb& end = t < 0 ? bad : good;
  const double a = std::fabs(t);
  const auto mix = [&](double from, double to) {
    return static_cast<int>(std::lround(from + (to - from) * a));
  };
  return fmt::format("#{:02x}{:02x}{:02x}", mix(neutral.r, end.r), mix(neutral.g, end.g),
                     mix(neutral.b, end.b));
}

const std::vector<std::string>& series_colours() {
  // Okabe & Ito's palette: told apart with every common colour-vision deficiency, and in grey print.
  static const std::vector<std::string> colours{"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                                "#e69f00", "#56b4e9", "#000000", "#f0e442"};
  return colours;
}

namespace detail {

std::string px(double value) {
  const double rounded = std::round(value * 10) / 10;
  return fmt::format("{}", rounded == 0 ? 0.0 : rounded);
}

double text_width(std::string_view text, double font_px, bool bold) {
  // Widths in em of DejaVu Sans's glyphs, rounded up by class (bold is about a tenth wider): the estimate
  // must never be short, or a label runs off its room.
  double em = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte: counted with its lead byte
    if (c == ' ')
      em += 0.33;
    else if (std::string_view("il.,:;'|!()[]Ijt").find(static_cast<char>(c)) != std::string_view::npos)
      em += 0.4;
    else if (std::string_view("mwMW%@").find(static_cast<char>(c)) != std::string_view::npos)
      em += 0.95;
    else if (c >= 'A' && c <= 'Z')
      em += 0.78;
    else
      em += 0.66;  // digits, lower case, other signs, and any character past ASCII
  }
  return em * font_px * (bold ? 1.1 : 1.0);
}

std::vector<std::string> wrap_words(std::string_view text, double max_width, double font_px, bool bold) {
  std::vector<std::string> lines;
  std::string line;
  for (std::size_t at = 0; at <= text.size();) {
    const std::size_t space = std::min(text.find(' ', at), text.size());
    const std::string_view word = text.substr(at, space - at);
    at = space + 1;
    if (word.empty()) continue;
    if (!line.empty() && text_width(line + " " + std::string(word), font_px, bold) > max_width) {
      lines.push_back(std::move(line));
      line.clear();
    }
    line += (line.empty() ? "" : " ") + std::string(word);
  }
  if (!line.empty() || lines.empty()) lines.push_back(std::move(line));
  return lines;
}

std::string fitted_text(double x, double y, std::string_view content, std::string_view style_class,
                        std::string_view anchor, double font_px, double max_width, bool bold) {
  const bool shrink = text_width(content, font_px, bold) > max_width;
  return fmt::format(
      "<text x=\"{}\" y=\"{}\" class=\"{}\" text-anchor=\"{}\"{}>{}</text>\n", px(x), px(y), style_class,
      anchor,
      shrink ? fmt::format(" textLength=\"{}\" lengthAdjust=\"spacingAndGlyphs\"", px(max_width)) : "",
      html_text(content));
}

svg_writer::svg_writer(const std::string& title, double height) {
  constexpr double title_px = 14, line_height = 18, margin = 16;
  const auto lines = wrap_words(title, chart_width - 2 * margin, title_px, true);
  const double extra = static_cast<double>(lines.size() - 1) * line_height;
  m_text = fmt::format(
      "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"{}\">\n",
      px(chart_width), px(height + extra), html_text(title));
  for (std::size_t i = 0; i < lines.size(); ++i)
    m_text += fitted_text(chart_width / 2, 20 + static_cast<double>(i) * line_height, lines[i], "title",
                          "middle", title_px, chart_width - 2 * margin, true);
  if (extra > 0) {
    m_text += fmt::format("<g transform=\"translate(0 {})\">\n", px(extra));
    m_shifted = true;
  }
}

void svg_writer::line(double x1, double y1, double x2, double y2, std::string_view style_class) {
  m_text += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"{}\"/>\n", px(x1), px(y1),
                        px(x2), px(y2), style_class);
}

void svg_writer::text(double x, double y, std::string_view content, std::string_view style_class,
                      std::string_view anchor, double rotate_deg) {
  const std::string rotation =
      rotate_deg == 0 ? "" : fmt::format(" transform=\"rotate({} {} {})\"", px(rotate_deg), px(x), px(y));
  m_text += fmt::format("<text x=\"{}\" y=\"{}\" class=\"{}\" text-anchor=\"{}\"{}>{}</text>\n", px(x), px(y),
                        style_class, anchor, rotation, html_text(content));
}

void svg_writer::with_tooltip(std::string_view open, std::string_view tooltip) {
  const std::string_view name = open.substr(0, open.find(' '));
  m_text += fmt::format("<{}><title>{}</title></{}>\n", open, html_text(tooltip), name);
}

std::string svg_writer::finish() {
  return m_text + (m_shifted ? "</g>\n</svg>\n" : "</svg>\n");
}

axis_ticks ticks_for(const axis_spec& spec, double min, double max, int max_ticks) {
  axis_ticks ticks;
  if (spec.kind == scale::linear) {
    ticks.values = linear_ticks(spec.from_zero ? std::min(0.0, min) : min, max, max_ticks);
  } else {
    ticks.values = log_ticks(min, max, spec.kind == scale::log2 ? 2 : 10, max_ticks);
  }
  ticks.domain_min = ticks.values.front();
  ticks.domain_max = ticks.values.back();
  return ticks;
}

void draw_axes(svg_writer& svg, const plot_area& area, const axis_spec& x_spec, const axis_ticks& x_ticks,
               const axis_map& x_map, const axis_spec& y_spec, const axis_ticks& y_ticks,
               const axis_map& y_map) {
  for (const double tick : y_ticks.values) {
    const double y = y_map(tick);
    svg.line(area.left, y, area.right(), y, "grid");
    svg.text(area.left - 6, y + 4, y_spec.label(tick), "tick", "end");
  }
  for (const double tick : x_ticks.values) {
    const double x = x_map(tick);
    svg.line(x, area.top, x, area.bottom(), "grid");
    svg.text(x, area.bottom() + 16, x_spec.label(tick), "tick");
  }
  svg.line(area.left, area.bottom(), area.right(), area.bottom(), "axis");
  svg.line(area.left, area.top, area.left, area.bottom(), "axis");
  svg.text(area.left + area.width / 2, area.bottom() + 36, x_spec.title, "axis-title");
  svg.text(18, area.top + area.height / 2, y_spec.title, "axis-title", "middle", -90);
}

}  // namespace detail
}  // namespace exacheck::reports::svg
