#include "harness/core/simulation.hpp"

#include <fmt/core.h>

#include <cmath>
#include <numbers>

#include "harness/core/stable_hash.hpp"
#include "harness/core/suite.hpp"
#include "harness/core/units.hpp"

namespace exacheck {

std::uint64_t random_stream::next() {
  // splitmix64 (Steele, Lea, Flood 2014): one add and a finaliser, full period, passes BigCrush.
  std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double random_stream::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double random_stream::truncated_normal(double limit) {
  while (true) {
    // Box–Muller; 1 − u keeps the logarithm's argument in (0, 1].
    const double radius = std::sqrt(-2.0 * std::log(1.0 - uniform()));
    const double value = radius * std::cos(2.0 * std::numbers::pi * uniform());
    if (std::fabs(value) <= limit) return value;
  }
}

std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b) {
  random_stream stream(a ^ (b * 0xd6e8feb86659fd93ull));
  return stream.next();
}

std::uint64_t mix_seed(std::uint64_t a, std::string_view text) {
  return mix_seed(a, fnv1a_64(text));
}

namespace {
constexpr double k_sample_noise = 0.002;  // run-to-run noise of one iteration, relative
constexpr double k_noise_limit_sigma = 2.5;
}  // namespace

std::optional<double> simulation_input::peak(std::string_view key, std::string_view unit) const {
  const auto& peaks = peak_per_gpu;
  const std::string name(key);
  if (!peaks.is_object() || !peaks.contains(name)) return std::nullopt;
  const auto& value = peaks[name];
  double number = 0;
  std::string value_unit = peaks.value("unit", std::string("TFLOP/s"));
  if (value.is_number()) {
    number = value.get<double>();
  } else if (value.is_string()) {  // "3.35 TB/s"
    const std::string text = value.get<std::string>();
    std::size_t used = 0;
    try {
      number = std::stod(text, &used);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    value_unit = text.substr(text.find_first_not_of(' ', used) == std::string::npos
                                 ? text.size()
                                 : text.find_first_not_of(' ', used));
  } else {
    return std::nullopt;
  }
  const auto factor = unit_conversion(value_unit, std::string(unit));
  if (!factor || number <= 0) return std::nullopt;
  return number * *factor;
}

point_result simulation_input::missing_peak(const nlohmann::json& point_params, std::string_view key) const {
  return simulated_skip(point_params,
                        fmt::format("simulate: system '{}' has no peak_per_gpu.{}", system_name, key));
}

std::vector<double> simulated_times(random_stream& stream, double seconds, int count) {
  std::vector<double> times(static_cast<std::size_t>(count));
  for (auto& t : times) t = seconds * (1.0 + k_sample_noise * stream.truncated_normal(k_noise_limit_sigma));
  return times;
}

double simulated_efficiency(std::uint64_t seed, std::string_view what, double low, double high) {
  random_stream stream(mix_seed(seed, "efficiency:" + std::string(what)));
  return low + (high - low) * stream.uniform();
}

correctness simulated_answer() {
  return {true, true, "simulated (nothing computed)", ""};
}

point_result simulated_skip(const nlohmann::json& point_params, std::string reason) {
  point_result point;
  point.params = point_params;
  point.skipped_reason = std::move(reason);
  return point;
}

metric_scope simulated_scope(const suite& s, std::string_view benchmark) {
  const auto metrics = s.metrics(benchmark);
  if (metrics.empty()) return metric_scope::rank;
  for (const auto& m : metrics)
    if (m.scope != metric_scope::global) return metric_scope::rank;
  return metric_scope::global;
}

// The default: every point SKIPPED, one per value of each parameter swept inside the worker (as a worker
// records them), so that a benchmark with no simulation of its own shows in a simulated run as not
// simulated rather than failing it, or passing with numbers nobody wrote a model for.
std::vector<point_result> suite::simulate(const simulation_input& in) const {
  std::vector<nlohmann::json> points{in.params};
  for (const auto& spec : parameters(in.benchmark)) {
    const auto values = in.params.find(spec.name);
    if (!spec.swept_inside_worker || values == in.params.end() || !values->is_array()) continue;
    std::vector<nlohmann::json> swept;
    for (const auto& point : points)
      for (const auto& value : *values) {
        swept.push_back(point);
        swept.back()[spec.name] = value;
      }
    points = std::move(swept);
  }
  std::vector<point_result> results;
  for (const auto& point : points) {
    results.push_back(simulated_skip(
        point, fmt::format("simulate: benchmark '{}' has no simulation (its suite does not override "
                           "suite::simulate)",
                           in.benchmark)));
    results.back().scope = in.scope;
  }
  return results;
}

}  // namespace exacheck
