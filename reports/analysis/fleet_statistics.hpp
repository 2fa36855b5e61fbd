#pragma once
// The statistics of a fleet of GPUs (or nodes) for one metric: the distribution a report prints and the
// robust z score that finds outliers. Pure functions on numbers; reports/analysis/aggregate.cpp applies them
// to run.json.
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace exacheck::reports {

// Over the valid values of one metric. Percentiles are harness/statistics' (linear between order statistics).
struct distribution {
  std::size_t count = 0;
  double min = 0, p5 = 0, median = 0, mean = 0, p95 = 0, max = 0;
  std::optional<double> spread_pct;  // (max − min) / mean × 100; unset when mean is 0 or nothing was measured
};
// Sorts `values` (taken by value: callers move their vector in) once for every statistic.
distribution distribution_of(std::vector<double> values);

// 1.4826 · MAD estimates the standard deviation of a normal distribution; 1.2533 · the mean absolute
// deviation does too (sqrt(pi/2)), and is the fallback when more than half the values are equal (MAD 0).
inline constexpr double mad_to_sigma = 1.4826;
inline constexpr double mean_absolute_deviation_to_sigma = 1.2533;

// The centre and scale robust z is measured against.
struct robust_scale {
  double median = 0;
  double scale = 0;  // 0: every value equals the median, and every z is 0
};
robust_scale robust_scale_of(std::span<const double> values);
// (x − median) / scale; 0 when the scale is 0. Negative: lower than the median.
double robust_z(double value, const robust_scale& fleet);

// How much worse than `reference` a value is, in percent, positive when worse (lower when higher is better).
double pct_worse(double value, double reference, bool higher_is_better);

// A rate can be summed over GPUs into a system total: units that end in FLOP/s, OP/s or B/s.
bool is_rate_unit(std::string_view unit);

}  // namespace exacheck::reports
