// The SVG toolkit of report.html (reports/render/svg_chart.hpp): tick choice on linear and log axes, value-to-pixel
// scaling, escaping of every text that reaches the SVG (host names are data, not markup), and legibility at
// both ends of the scale: titles and labels wrapped at spaces, never clipped nor split inside a word, and a
// reference bound off the axis drawn as such.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "reports/render/svg_chart.hpp"
#include "reports/render/svg_draw.hpp"

namespace {

namespace svg = exacheck::reports::svg;

int count_of(const std::string& text, const std::string& needle) {
  int count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size()))
    ++count;
  return count;
}

// The visible text of every <text> element whose class is `style_class`, in order.
std::vector<std::string> texts_of(const std::string& svg_text, const std::string& style_class) {
  std::vector<std::string> texts;
  const std::regex element("<text [^>]*class=\"" + style_class + "\"[^>]*>([^<]*)</text>");
  for (auto it = std::sregex_iterator(svg_text.begin(), svg_text.end(), element);
       it != std::sregex_iterator(); ++it)
    texts.push_back((*it)[1]);
  return texts;
}

void expect_ticks(const std::vector<double>& actual, const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) EXPECT_NEAR(actual[i], expected[i], 1e-9) << "tick " << i;
}

TEST(svg_ticks, linear_ticks_are_whole_1_2_5_steps_covering_the_range) {
  expect_ticks(svg::linear_ticks(0, 812, 6), {0, 200, 400, 600, 800, 1000});
  expect_ticks(svg::linear_ticks(2951, 3032, 6), {2940, 2960, 2980, 3000, 3020, 3040});
  expect_ticks(svg::linear_ticks(0.2, 0.9, 5), {0.2, 0.4, 0.6, 0.8, 1});
  expect_ticks(svg::linear_ticks(0, 7, 5), {0, 2, 4, 6, 8});
}

TEST(svg_ticks, linear_ticks_of_one_value_put_it_inside_the_axis) {
  const auto ticks = svg::linear_ticks(50, 50, 6);
  ASSERT_GE(ticks.size(), 2u);
  EXPECT_LT(ticks.front(), 50);
  EXPECT_GT(ticks.back(), 50);
}

TEST(svg_ticks, log2_ticks_are_powers_of_two_thinned_to_the_limit) {
  // 8 B … 1 GiB is 2^3 … 2^30: 28 powers, thinned to every 4th so that at most 12 remain.
  const auto ticks = svg::log_ticks(8, 1073741824.0, 2, 12);
  ASSERT_FALSE(ticks.empty());
  EXPECT_LE(ticks.size(), 12u);
  EXPECT_LE(ticks.front(), 8);
  EXPECT_GE(ticks.back(), 1073741824.0);
  for (std::size_t i = 1; i < ticks.size(); ++i) EXPECT_DOUBLE_EQ(ticks[i] / ticks[i - 1], 16);
}

TEST(svg_ticks, log10_ticks_cover_the_decades_of_the_data) {
  EXPECT_EQ(svg::log_ticks(18, 6549, 10, 12), (std::vector<double>{10, 100, 1000, 10000}));
  EXPECT_EQ(svg::log_ticks(100, 100, 10, 12), (std::vector<double>{100, 1000}));
}

TEST(svg_ticks, log_ticks_of_non_positive_data_fall_back_to_one_decade) {
  EXPECT_EQ(svg::log_ticks(0, 10, 10, 12), (std::vector<double>{1, 10}));
}

TEST(svg_scaling, linear_and_log_maps_send_the_domain_ends_to_the_pixel_ends) {
  const svg::axis_map linear(svg::scale::linear, 0, 1000, 84, 936);
  EXPECT_DOUBLE_EQ(linear(0), 84);
  EXPECT_DOUBLE_EQ(linear(1000), 936);
  EXPECT_DOUBLE_EQ(linear(500), 510);
  const svg::axis_map log2(svg::scale::log2, 1, 1024, 0, 100);
  EXPECT_DOUBLE_EQ(log2(32), 50);                               // 2^5 is half way from 2^0 to 2^10
  const svg::axis_map y(svg::scale::log10, 10, 10000, 300, 0);  // SVG's y grows downwards
  EXPECT_DOUBLE_EQ(y(100), 200);
  EXPECT_DOUBLE_EQ(y(10000), 0);
}

TEST(svg_scaling, values_outside_the_domain_are_clamped_to_the_plot) {
  const svg::axis_map map(svg::scale::log10, 10, 1000, 0, 100);
  EXPECT_DOUBLE_EQ(map(0), 0);  // log of 0 would be -inf
  EXPECT_DOUBLE_EQ(map(1e9), 100);
}

TEST(svg_colours, deviation_scale_is_neutral_at_the_median_and_saturates) {
  EXPECT_EQ(svg::deviation_colour(0, 10), "#eeeee8");
  EXPECT_EQ(svg::deviation_colour(-10, 10), "#b2182b");
  EXPECT_EQ(svg::deviation_colour(-50, 10), "#b2182b");
  EXPECT_EQ(svg::deviation_colour(10, 10), "#2166ac");
}

TEST(svg_escaping, host_names_and_titles_are_escaped_in_every_chart) {
  const std::string host = "<node&1>";
  svg::heatmap heat{"gemm <tflops> & co",
                    {{host, {{801.0, host + " GPU 0", true}, {std::nullopt, "missing", false}}}},
                    800,
                    true,
                    10};
  svg::bar_chart bars{
      "bars & <b>", {}, {{host, "0", host + " GPU 0: 801", 801.0, false}}, {{700, "bound <700>"}}};
  svg::line_chart lines{
      "lines", {svg::scale::log2, "size", svg::bytes_label, false}, {}, {{host, {{8, 1}, {64, 2}}}}};
  svg::histogram hist{"hist", {}, {1, 2, 3}, svg::box_summary{1, 1, 2, 3, 3}, {{2, host}}, 4};
  for (const std::string& rendered :
       {svg::render(heat), svg::render(bars), svg::render(lines), svg::render(hist)}) {
    EXPECT_EQ(rendered.find("<node"), std::string::npos) << rendered;
    EXPECT_EQ(rendered.find("<b>"), std::string::npos);
    EXPECT_EQ(rendered.find("<tflops>"), std::string::npos);
    EXPECT_EQ(rendered.find("<700>"), std::string::npos);
    EXPECT_EQ(rendered.rfind("<svg ", 0), 0u);
    EXPECT_EQ(count_of(rendered, "<svg "), 1);
    EXPECT_EQ(count_of(rendered, "</svg>"), 1);
  }
  EXPECT_NE(svg::render(heat).find("&lt;node&amp;1&gt; GPU 0"), std::string::npos);
  EXPECT_NE(svg::render(bars).find("&lt;node&amp;1&gt;"), std::string::npos);
}

TEST(svg_heatmap, outliers_are_outlined_and_missing_values_marked) {
  svg::heatmap heat{
      "t", {{"n1", {{100.0, "a", false}, {60.0, "b", true}, {std::nullopt, "c", false}}}}, 100, true, 10};
  const std::string rendered = svg::render(heat);
  EXPECT_EQ(count_of(rendered, "class=\"cell outlier\""), 2);  // the cell and its legend entry
  EXPECT_EQ(count_of(rendered, "class=\"cell missing\""), 2);
  EXPECT_NE(rendered.find("fill=\"#b2182b\" class=\"cell outlier\""),
            std::string::npos);  // 40% worse: full red
}

TEST(svg_heatmap, thousands_of_gpus_stay_small) {
  svg::heatmap heat{"fleet", {}, 800, true, 10};
  for (int n = 0; n < 525; ++n) {
    heat.nodes.push_back({"node" + std::to_string(n), {}});
    for (int g = 0; g < 4; ++g) heat.nodes.back().gpus.push_back({800.0 + g, "node GPU: 800 TFLOP/s", false});
  }
  const std::string rendered = svg::render(heat);
  EXPECT_EQ(count_of(rendered, "<rect "), 2100 + 13);  // cells + legend
  EXPECT_LT(rendered.size(), 400u * 1024);
}

TEST(svg_charts, no_data_says_so_instead_of_drawing_an_empty_axis) {
  EXPECT_NE(svg::render(svg::line_chart{"empty", {}, {}, {}}).find("no values to plot"), std::string::npos);
  EXPECT_NE(svg::render(svg::bar_chart{"empty", {}, {}, {}}).find("no values to plot"), std::string::npos);
  EXPECT_NE(svg::render(svg::histogram{"empty", {}, {}, std::nullopt, {}, 10}).find("no values to plot"),
            std::string::npos);
}

namespace detail = exacheck::reports::svg::detail;

// A title longer than a chart is wide wraps at spaces onto more lines (the chart grows to hold them): every
// line fits, every word stays whole, and the words read in order.
TEST(svg_titles, a_long_title_wraps_at_spaces_and_is_never_clipped) {
  std::string title = "gemm · tflops · dtype=bf16 m=8192 n=8192 k=8192";
  for (int i = 0; i < 6; ++i) title += " parameter_" + std::to_string(i) + "=a_rather_long_value";
  svg::histogram hist{title, {}, {1, 2, 3}, std::nullopt, {}, 4};
  const std::string rendered = svg::render(hist);
  const auto lines = texts_of(rendered, "title");
  ASSERT_GE(lines.size(), 2u) << rendered;
  std::string joined;
  for (const auto& line : lines) {
    EXPECT_LE(detail::text_width(line, 14, true), detail::chart_width - 32) << line;
    joined += (joined.empty() ? "" : " ") + line;
  }
  EXPECT_EQ(joined, title);  // no word split, none lost
  // The chart below the title moved down by the extra lines, and the viewBox grew by as much.
  EXPECT_NE(rendered.find("<g transform=\"translate(0 " + std::to_string(18 * (lines.size() - 1)) + ")\">"),
            std::string::npos);
  const std::string one_line = svg::render(svg::histogram{"short", {}, {1, 2, 3}, std::nullopt, {}, 4});
  EXPECT_EQ(one_line.find("<g transform"), std::string::npos);
}

// One word wider than the chart cannot wrap: it is shrunk to the chart's width instead of being clipped.
TEST(svg_titles, a_single_word_wider_than_the_chart_is_shrunk_to_fit) {
  const std::string word(200, 'W');
  const std::string rendered = svg::render(svg::histogram{word, {}, {1, 2}, std::nullopt, {}, 4});
  EXPECT_NE(rendered.find("textLength=\"928\" lengthAdjust=\"spacingAndGlyphs\">" + word + "</text>"),
            std::string::npos);
}

TEST(svg_text, words_wrap_only_at_spaces) {
  const auto lines = detail::wrap_words("node017 GPU 2 (GPU-8f2c-aaaa-bbbb-cccc-dddd) median", 100, 11);
  std::string joined;
  for (const auto& line : lines) joined += (joined.empty() ? "" : " ") + line;
  EXPECT_EQ(joined, "node017 GPU 2 (GPU-8f2c-aaaa-bbbb-cccc-dddd) median");
  EXPECT_NE(std::find(lines.begin(), lines.end(), "(GPU-8f2c-aaaa-bbbb-cccc-dddd)"), lines.end());
  // Bold and capitals are wider than regular lower case.
  EXPECT_GT(detail::text_width("abc", 11, true), detail::text_width("abc", 11));
  EXPECT_GT(detail::text_width("ABC", 11), detail::text_width("abc", 11));
}

// A reference bound far from the data: the axis is not stretched to it, nor is it clamped to the edge as if
// it were there; an arrow at the edge it lies beyond says so, with its value.
TEST(svg_histogram, a_bound_off_the_axis_is_an_arrow_at_the_edge_with_its_value) {
  svg::histogram hist{"triad", {}, {3000, 3010, 3020}, std::nullopt, {{2000, "lower bound 2000", "#b2182b"}},
                      4};
  const std::string rendered = svg::render(hist);
  EXPECT_EQ(count_of(rendered, "class=\"off-axis\""), 1) << rendered;
  EXPECT_NE(rendered.find("◀ lower bound 2000 off the axis"), std::string::npos) << rendered;
  EXPECT_EQ(rendered.find("stroke=\"#b2182b\""), std::string::npos);  // no bound line drawn inside the plot
  // One inside the data's range is a line, as before.
  hist.lines = {{3005, "lower bound 3005", "#b2182b"}};
  const std::string inside = svg::render(hist);
  EXPECT_EQ(count_of(inside, "class=\"off-axis\""), 0);
  EXPECT_EQ(count_of(inside, "stroke=\"#b2182b\""), 1);
  // Above the range: pointing right.
  hist.lines = {{9000, "upper bound 9000", "#b2182b"}};
  EXPECT_NE(svg::render(hist).find("▶ upper bound 9000 off the axis"), std::string::npos);
}

// A heatmap names the first node of each row on its left: a long host name gets the room it needs.
TEST(svg_heatmap, long_host_names_are_not_clipped_at_the_left_edge) {
  svg::heatmap heat{"fleet", {}, 800, true, 10};
  for (int n = 0; n < 300; ++n)
    heat.nodes.push_back({"gpu-node-" + std::to_string(1000 + n) + ".cluster", {{800.0, "", false}}});
  const std::string rendered = svg::render(heat);
  const std::regex label(
      "<text x=\"([0-9.]+)\" y=\"[0-9.]+\" class=\"tick\" text-anchor=\"end\"[^>]*>gpu-node-");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(rendered, match, label)) << rendered.substr(0, 2000);
  EXPECT_GE(std::stod(match[1]), detail::text_width("gpu-node-1000.cluster", 11));
}

// The fleet view: a benchmark's points as rows around their own median, outliers as dots, bounds as ticks
// or, off the axis, as arrows with their value; long labels wrap at spaces.
TEST(svg_fleet, rows_show_spread_outliers_and_bounds_on_or_off_the_axis) {
  svg::fleet_chart chart;
  chart.title = "gemm: spread";
  chart.rows.push_back({"dtype=bf16",
                        -23,
                        -1,
                        1,
                        2,
                        {{-23, "node275 GPU 1: 582 TFLOP/s (-23.0%)"}},
                        {{-12, "≥ 665 TFLOP/s"}},
                        true});
  chart.rows.push_back({"dtype=fp64", -2, -1, 1, 2, {}, {{-60, "≥ 20 TFLOP/s"}}, false});
  const std::string rendered = svg::render(chart);
  EXPECT_EQ(count_of(rendered, "class=\"dot outlier\""), 1 + 1);  // the dot and its legend entry
  EXPECT_NE(rendered.find("node275 GPU 1: 582 TFLOP/s (-23.0%)"), std::string::npos);
  EXPECT_EQ(count_of(rendered, "class=\"bound\""), 1 + 1);  // the in-range tick and its legend entry
  EXPECT_EQ(count_of(rendered, "class=\"off-axis\""), 1);
  EXPECT_NE(rendered.find("◀ ≥ 20 TFLOP/s (-60%) off the axis"), std::string::npos) << rendered;
  EXPECT_EQ(texts_of(rendered, "tick flagged"), std::vector<std::string>{"dtype=bf16"});
  EXPECT_NE(svg::render(svg::fleet_chart{"none", {}}).find("no values to plot"), std::string::npos);
}

TEST(svg_fleet, a_long_row_label_wraps_at_spaces_never_inside_a_word) {
  svg::fleet_chart chart{"t", {}};
  const std::string label =
      "dtype=fp8_e4m3 autotune=false batch=1 transa=n transb=n verify_samples=256 some_parameter=some_value "
      "another_parameter=another_value · gemm-f9c4a3a2";
  chart.rows.push_back({label, -1, -1, 1, 1, {}, {}, false});
  const auto lines = texts_of(svg::render(chart), "tick");
  std::string joined;
  for (const auto& line : lines)
    if (line.find('=') != std::string::npos || line.find("gemm-") != std::string::npos)
      joined += (joined.empty() ? "" : " ") + line;
  EXPECT_EQ(joined, label);
}

}  // namespace
