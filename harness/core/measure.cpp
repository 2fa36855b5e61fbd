#include "harness/core/measure.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string_view>

#include "harness/core/measurement_progress.hpp"
#include "harness/core/statistics.hpp"

namespace exacheck {

namespace {

// The fewest samples from which the median's interval (median_interval) is read: below it the interval is the
// whole range of a handful of samples.
constexpr int k_min_samples_for_interval = 10;

// One step of the loop: the real time it took (for min_time and max_time) and the sample it keeps.
struct step {
  double elapsed_s = 0;
  double sample_s = 0;
};

measure_outcome measure_steps(const measure_settings& settings, const std::function<step()>& next,
                              const stop_agreement& agree) {
  notify_measurement_started();  // a point begins: the worker's progress file says so
  for (int i = 0; i < settings.warmup_iterations; ++i) next();

  measure_outcome result;
  double elapsed_s = 0;
  // Running mean and variance (Welford) so the noise check costs O(1) per iteration.
  double mean = 0, squared_deviations = 0;
  const int max_iterations = std::max(settings.max_iterations, 1);
  const int min_iterations = std::clamp(settings.min_iterations, 1, max_iterations);
  while (true) {
    const step taken = next();
    const double sample_s = taken.sample_s;
    result.samples_s.push_back(sample_s);
    elapsed_s += taken.elapsed_s;
    const auto count = static_cast<int>(result.samples_s.size());
    const double delta = sample_s - mean;
    mean += delta / count;
    squared_deviations += delta * (sample_s - mean);
    const double cv = count > 1 && mean > 0 ? std::sqrt(squared_deviations / (count - 1)) / mean : INFINITY;

    std::string reason;
    const bool enough = count >= min_iterations && elapsed_s >= settings.min_time_s;
    if (enough && cv <= settings.target_cv) {
      reason = "noise target";
    } else if (enough && count >= k_min_samples_for_interval &&
               median_interval(result.samples_s).half_width_relative <= settings.target_cv) {
      // A busy node never gets the spread under the target, but more samples no longer move the median: the
      // figure is known to within the target; more samples would only spend max_time on every point.
      reason = "median stable";
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
  result.spread_cv = s.cv;
  result.median_half_width = median_interval(result.samples_s).half_width_relative;
  return result;
}

std::string_view clock_name(batch_clock clock) {
  return clock == batch_clock::device ? "device" : "host";
}

}  // namespace

median_bounds median_interval(std::vector<double> samples) {
  median_bounds bounds;
  const auto n = static_cast<double>(samples.size());
  if (samples.size() < 2) return bounds;
  std::sort(samples.begin(), samples.end());
  const double mid = samples.size() % 2 ? samples[samples.size() / 2]
                                        : (samples[samples.size() / 2 - 1] + samples[samples.size() / 2]) / 2;
  // Distribution-free 95% interval of the median: order statistics n/2 ∓ 0.98·√n (1-based, rounded outwards),
  // e.g. 10 samples → 1st and 10th, 100 → 40th and 61st.
  const double reach = 0.98 * std::sqrt(n);
  const auto low = static_cast<std::size_t>(std::clamp(std::floor(n / 2 - reach), 1.0, n)) - 1;
  const auto high = static_cast<std::size_t>(std::clamp(std::ceil(n / 2 + 1 + reach), 1.0, n)) - 1;
  bounds.low = samples[low];
  bounds.high = samples[high];
  bounds.half_width_relative = mid > 0 ? (bounds.high - bounds.low) / 2 / mid : INFINITY;
  return bounds;
}

std::optional<std::string> noise_warning(const measure_outcome& measured, const measure_settings& settings) {
  if (measured.reached_noise_target) return std::nullopt;
  const std::size_t n = measured.samples_s.size();
  if (measured.stop_reason == "median stable")
    return fmt::format(
        "noisy: spread cv {:.3f} above the target {:.3f} after {} samples; stopped once more samples no "
        "longer "
        "moved the median (95% interval ±{:.1f}%)",
        measured.spread_cv, settings.target_cv, n, 100 * measured.median_half_width);
  return fmt::format(
      "noisy: spread cv {:.3f} above the target {:.3f} after {} samples, stopped at {} (median's "
      "95% interval ±{:.1f}%)",
      measured.spread_cv, settings.target_cv, n, measured.stop_reason, 100 * measured.median_half_width);
}

measure_outcome measure(const measure_settings& settings, const timed_iteration& iteration,
                        const stop_agreement& agree) {
  return measure_steps(
      settings,
      [&] {
        const double seconds = iteration();
        return step{seconds, seconds};
      },
      agree);
}

int batch_iterations_for(int iterations, double seconds, batch_clock clock) {
  iterations = std::clamp(iterations, 1, max_batch_iterations);
  if (!(seconds > 0)) return 0;
  const double target_s = batch_target_s(clock);
  if (seconds >= target_s) return iterations;
  // In double: a batch that read a picosecond would ask for more iterations than an int holds.
  const double wanted = std::ceil(static_cast<double>(iterations) * target_s / seconds);
  return static_cast<int>(
      std::clamp(wanted, static_cast<double>(iterations), static_cast<double>(max_batch_iterations)));
}

batch_time batch_sizer::timed(const timed_batch& batch, int iterations) {
  const batch_time taken = batch(iterations);
  if (m_clock && *m_clock != taken.clock)
    throw std::logic_error(fmt::format(
        "measure: the backend timed batch {} of this point on the {} clock, the ones before on the {} clock; "
        "a backend times every batch the same way",
        m_batches + 1, clock_name(taken.clock), clock_name(*m_clock)));
  m_clock = taken.clock;
  return taken;
}

double batch_sizer::run(const timed_batch& batch) {
  if (m_batches == 0) {  // cold: its time sizes nothing
    const batch_time cold = timed(batch, 1);
    ++m_batches;
    m_last_run_s = cold.seconds;
    return cold.seconds;
  }
  if (m_batches > 1) {
    const batch_time taken = timed(batch, m_iterations);
    ++m_batches;
    m_last_run_s = taken.seconds;
    return taken.seconds / m_iterations;
  }
  // Sizing: one iteration, or more while the batch reads no time; every rank grows and sizes alike.
  int iterations = 1;
  double spent_s = 0;
  while (true) {
    const batch_time taken = timed(batch, iterations);
    spent_s += std::max(taken.seconds, 0.0);
    const int proposed = batch_iterations_for(iterations, taken.seconds, taken.clock);
    const int agreed = m_agree ? m_agree(proposed) : proposed;
    if (agreed > 0) {
      m_iterations = std::clamp(agreed, 1, max_batch_iterations);
      ++m_batches;
      m_last_run_s = spent_s;
      return taken.seconds / iterations;
    }
    if (iterations >= max_batch_iterations)
      throw std::runtime_error(fmt::format(
          "measure: a batch of {} iterations read {} s on the backend's {} clock: no time can be measured "
          "(a broken clock, or an operation that does nothing)",
          iterations, taken.seconds, clock_name(taken.clock)));
    iterations = std::min(iterations * 10, max_batch_iterations);
  }
}

measure_outcome measure_batches(const measure_settings& settings, const timed_batch& batch,
                                const stop_agreement& agree, const batch_agreement& agree_size) {
  batch_sizer sizer(agree_size);
  measure_outcome result = measure_steps(
      settings,
      [&] {
        const double per_iteration_s = sizer.run(batch);
        return step{sizer.last_run_s(), per_iteration_s};
      },
      agree);
  result.batch_iterations = sizer.iterations();
  result.clock = sizer.clock();
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
