#pragma once
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

namespace exacheck {

// Summary statistics over per-iteration samples. Percentiles interpolate linearly between order statistics.
struct summary {
  std::size_t count = 0;
  double min = 0, p5 = 0, median = 0, mean = 0, p95 = 0, max = 0, stdev = 0;
  double cv = 0;  // stdev / mean (0 when mean is 0)
};

summary summarize(std::span<const double> samples);
double percentile(std::span<const double> samples, double fraction);  // fraction in [0, 1]
double median(std::span<const double> samples);
// The same percentile of values already sorted ascending (no copy, no sort): for callers that take several.
double percentile_of_sorted(std::span<const double> sorted, double fraction);

// STREAM's rule: the best (minimum) time, excluding the first iteration when there is more than one.
double min_excluding_first(std::span<const double> samples);

// Collectives' rule: for each iteration the slowest rank's time, then (typically) the median of those.
// `per_rank[r][i]` is rank r's time of iteration i; ranks must have equal sample counts.
std::vector<double> per_iteration_max(const std::vector<std::vector<double>>& per_rank);

void to_json(nlohmann::json& out, const summary& value);
void from_json(const nlohmann::json& in, summary& value);

}  // namespace exacheck
