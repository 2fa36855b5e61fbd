#include "harness/core/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace exacheck {
double percentile_of_sorted(std::span<const double> sorted, double fraction) {
  if (sorted.empty()) return std::nan("");
  const double position = std::clamp(fraction, 0.0, 1.0) * static_cast<double>(sorted.size() - 1);
  const auto lower = static_cast<std::size_t>(std::floor(position));
  const std::size_t upper = std::min(lower + 1, sorted.size() - 1);
  const double weight = position - static_cast<double>(lower);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * weight;
}

double percentile(std::span<const double> samples, double fraction) {
  std::vector<double> sorted(samples.begin(), samples.end());
  std::sort(sorted.begin(), sorted.end());
  return percentile_of_sorted(sorted, fraction);
}

double median(std::span<const double> samples) {
  return percentile(samples, 0.5);
}

summary summarize(std::span<const double> samples) {
  summary s;
  s.count = samples.size();
  if (samples.empty()) {
    s.min = s.p5 = s.median = s.mean = s.p95 = s.max = s.stdev = s.cv = std::nan("");
    return s;
  }
  std::vector<double> sorted(samples.begin(), samples.end());
  std::sort(sorted.begin(), sorted.end());
  s.min = sorted.front();
  s.max = sorted.back();
  s.p5 = percentile_of_sorted(sorted, 0.05);
  s.median = percentile_of_sorted(sorted, 0.5);
  s.p95 = percentile_of_sorted(sorted, 0.95);
  s.mean = std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(sorted.size());
  if (sorted.size() > 1) {
    double squares = 0;
    for (double v : sorted) squares += (v - s.mean) * (v - s.mean);
    // Sample standard deviation (n − 1): the samples estimate the distribution of one iteration.
    s.stdev = std::sqrt(squares / static_cast<double>(sorted.size() - 1));
  }
  s.cv = s.mean != 0 ? s.stdev / s.mean : 0.0;
  return s;
}

double min_excluding_first(std::span<const double> samples) {
  if (samples.empty()) return std::nan("");
  const auto rest = samples.size() > 1 ? samples.subspan(1) : samples;
  return *std::min_element(rest.begin(), rest.end());
}

std::vector<double> per_iteration_max(const std::vector<std::vector<double>>& per_rank) {
  if (per_rank.empty()) return {};
  const std::size_t iterations = per_rank.front().size();
  std::vector<double> result(iterations, -INFINITY);
  for (const auto& rank_samples : per_rank) {
    if (rank_samples.size() != iterations)
      throw std::invalid_argument("per_iteration_max: ranks have different sample counts");
    for (std::size_t i = 0; i < iterations; ++i) result[i] = std::max(result[i], rank_samples[i]);
  }
  return result;
}

void to_json(nlohmann::json& out, const summary& v) {
  const auto number = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); };
  out = {{"count", v.count},           {"min", number(v.min)},     {"p5", number(v.p5)},
         {"median", number(v.median)}, {"mean", number(v.mean)},   {"p95", number(v.p95)},
         {"max", number(v.max)},       {"stdev", number(v.stdev)}, {"cv", number(v.cv)}};
}

void from_json(const nlohmann::json& in, summary& v) {
  const auto number = [&](const char* key) {
    return in.contains(key) && in[key].is_number() ? in[key].get<double>() : std::nan("");
  };
  v.count = in.value("count", std::size_t{0});
  v.min = number("min");
  v.p5 = number("p5");
  v.median = number("median");
  v.mean = number("mean");
  v.p95 = number("p95");
  v.max = number("max");
  v.stdev = number("stdev");
  v.cv = number("cv");
}

}  // namespace exacheck
