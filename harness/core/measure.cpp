#include "harness/core/measure.hpp"

#include <algorithm>
#include <cmath>

#include "harness/core/statistics.hpp"

namespace exacheck {

measure_outcome measure(const measure_settings& settings, const timed_iteration& iteration,
                        const stop_agreement& agree) {
  for (int i = 0; i < settings.warmup_iterations; ++i) iteration();

  measure_outcome result;
  double elapsed_s = 0;
  // Running mean and variance (Welford) so the noise check costs O(1) per iteration.
  double mean = 0, squared_deviations = 0;
  const int max_iterations = std::max(settings.max_iterations, 1);
  const int min_iterations = std::clamp(settings.min_iterations, 1, max_iterations);
  while (true) {
    const double sample_s = iteration();
    result.samples_s.push_back(sample_s);
    elapsed_s += sample_s;
    const auto count = static_cast<int>(result.samples_s.size());
    const double delta = sample_s - mean;
    mean += delta / count;
    squared_deviations += delta * (sample_s - mean);
    const double cv = count > 1 && mean > 0 ? std::sqrt(squared_deviations / (count - 1)) / mean : INFINITY;

    std::string reason;
    if (count >= min_iterations && elapsed_s >= settings.min_time_s && cv <= settings.target_cv) {
      reason = "noise target";
    } else if (count >= max_iterations) {
      reason = "max_iterations";
    } else if (elapsed_s >= settings.max_time_s) {
      reason = "max_time";
    }
    const bool stop = agree ? agree(!reason.empty()) : !reason.empty();
    if (stop) {
      // With an agreement the local reason can be empty: another rank decided.
      result.stop_reason = reason.empty() ? "agreed with other ranks" : reason;
      break;
    }
  }
  const summary s = summarize(result.samples_s);
  result.reached_noise_target = s.cv <= settings.target_cv;
  result.hit_max_time = elapsed_s >= settings.max_time_s && !result.reached_noise_target;
  return result;
}

void to_json(nlohmann::json& out, const measure_settings& v) {
  out = {{"warmup_iterations", v.warmup_iterations},
         {"min_iterations", v.min_iterations},
         {"max_iterations", v.max_iterations},
         {"min_time_s", v.min_time_s},
         {"max_time_s", v.max_time_s},
         {"target_cv", v.target_cv}};
}

void from_json(const nlohmann::json& in, measure_settings& v) {
  const measure_settings defaults;
  v.warmup_iterations = in.value("warmup_iterations", defaults.warmup_iterations);
  v.min_iterations = in.value("min_iterations", defaults.min_iterations);
  v.max_iterations = in.value("max_iterations", defaults.max_iterations);
  v.min_time_s = in.value("min_time_s", defaults.min_time_s);
  v.max_time_s = in.value("max_time_s", defaults.max_time_s);
  v.target_cv = in.value("target_cv", defaults.target_cv);
}

}  // namespace exacheck
