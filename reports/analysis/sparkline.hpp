#pragma once
// A series of values as a small picture: Unicode blocks for the terminal and report.md, points of an SVG
// polyline for report.html. Used by `exacheck history show` and the reports' trend from the history.
#include <optional>
#include <string>
#include <vector>

namespace exacheck::reports {

// "▁▂▄█": one block per value scaled between their minimum and maximum ("▄" when all are equal), " " for a
// value that is not there.
std::string sparkline(const std::vector<std::optional<double>>& values);

// The same as points in a `width` × `height` box with a margin of `margin` (SVG coordinates: higher values
// up), the oldest left; nullopt where a value is not there.
struct spark_point {
  double x = 0, y = 0;
};
std::vector<std::optional<spark_point>> sparkline_points(const std::vector<std::optional<double>>& values,
                                                         double width, double height, double margin = 3);

}  // namespace exacheck::reports
