// The SVG toolkit of report.html (reports/svg_chart.hpp): tick choice on linear and log axes, value-to-pixel
// scaling, and escaping of every text that reaches the SVG (host names are data, not markup).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reports/svg_chart.hpp"

namespace {

namespace svg = exacheck::reports::svg;

int count_of(const std::string& text, const std::string& needle) {
  int count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size()))
    ++count;
  return count;
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

}  // namespace
