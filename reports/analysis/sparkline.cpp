#include "reports/analysis/sparkline.hpp"

#include <algorithm>

namespace exacheck::reports {
namespace {

// The lowest and highest value there (equal when only one; both 0 when none).
std::pair<double, double> value_range(const std::vector<std::optional<double>>& values) {
  std::optional<double> low, high;
  for (const auto& value : values) {
    if (!value) continue;
    low = low ? std::min(*low, *value) : *value;
    high = high ? std::max(*high, *value) : *value;
  }
  return {low.value_or(0), high.value_or(0)};
}

}  // namespace

std::string sparkline(const std::vector<std::optional<double>>& values) {
  static constexpr const char* blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  const auto [low, high] = value_range(values);
  std::string line;
  for (const auto& value : values) {
    if (!value)
      line += " ";
    else if (high <= low)
      line += blocks[3];
    else
      line += blocks[std::clamp(static_cast<int>((*value - low) / (high - low) * 7.0 + 0.5), 0, 7)];
  }
  return line;
}

std::vector<std::optional<spark_point>> sparkline_points(const std::vector<std::optional<double>>& values,
                                                         double width, double height, double margin) {
  const auto [low, high] = value_range(values);
  const double step = values.size() > 1 ? (width - 2 * margin) / static_cast<double>(values.size() - 1) : 0;
  std::vector<std::optional<spark_point>> points;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!values[i]) {
      points.emplace_back();
      continue;
    }
    points.push_back(spark_point{
        .x = values.size() > 1 ? margin + step * static_cast<double>(i) : width / 2,
        .y = high > low ? margin + (height - 2 * margin) * (high - *values[i]) / (high - low) : height / 2});
  }
  return points;
}

}  // namespace exacheck::reports
