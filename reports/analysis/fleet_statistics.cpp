#include "reports/analysis/fleet_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "harness/core/statistics.hpp"

namespace exacheck::reports {

distribution distribution_of(std::vector<double> values) {
  distribution d;
  d.count = values.size();
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  d.min = values.front();
  d.max = values.back();
  d.p5 = percentile_of_sorted(values, 0.05);
  d.median = percentile_of_sorted(values, 0.5);
  d.p95 = percentile_of_sorted(values, 0.95);
  d.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  if (d.mean != 0) d.spread_pct = (d.max - d.min) / d.mean * 100.0;
  return d;
}

robust_scale robust_scale_of(std::span<const double> values) {
  robust_scale fleet;
  if (values.empty()) return fleet;
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  fleet.median = percentile_of_sorted(sorted, 0.5);
  std::vector<double> deviations(sorted.size());
  std::transform(sorted.begin(), sorted.end(), deviations.begin(),
                 [&](double x) { return std::fabs(x - fleet.median); });
  const double mean_deviation =
      std::accumulate(deviations.begin(), deviations.end(), 0.0) / static_cast<double>(deviations.size());
  std::sort(deviations.begin(), deviations.end());
  const double mad = percentile_of_sorted(deviations, 0.5);
  if (mad > 0)
    fleet.scale = mad_to_sigma * mad;
  else if (mean_deviation > 0)
    fleet.scale = mean_absolute_deviation_to_sigma * mean_deviation;
  return fleet;
}

double robust_z(double value, const robust_scale& fleet) {
  return fleet.scale > 0 ? (value - fleet.median) / fleet.scale : 0.0;
}

double pct_worse(double value, double reference, bool higher_is_better) {
  if (reference == 0) return 0.0;
  const double pct = (value - reference) / reference * 100.0;
  return higher_is_better ? -pct : pct;
}

bool is_rate_unit(std::string_view unit) {
  return unit.ends_with("FLOP/s") || unit.ends_with("OP/s") || unit.ends_with("B/s");
}

}  // namespace exacheck::reports
