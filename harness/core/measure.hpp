#pragma once
// The one measurement loop (after nvbench): warm-up, then timed iterations, every sample kept, stopping when
// the relative spread is under target between a minimum and a maximum time. Hitting max_time is a warning,
// never a hang.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace exacheck {

struct measure_settings {
  int warmup_iterations = 2;
  int min_iterations = 5;
  int max_iterations = 1000;
  double min_time_s = 0.1;  // keep iterating at least this long (sum of timed samples)
  double max_time_s = 5.0;  // stop here with a warning if the noise target was not reached
  double target_cv =
      0.02;  // stop once stdev/mean of the samples is below this (after min_iterations, min_time)
};

struct measure_outcome {
  std::vector<double> samples_s;  // one per timed iteration, seconds
  bool reached_noise_target = false;
  bool hit_max_time = false;
  std::string stop_reason;  // "noise target", "max_iterations", "max_time"
};

// Runs one timed iteration and returns its duration in seconds. The callee times exactly the work it measures
// (a steady clock around blocking calls on the host, CUDA events on the stream) and nothing else.
using timed_iteration = std::function<double()>;

// Every rank of a collective benchmark must run the same number of iterations: `agree` receives this rank's
// wish to stop and returns the decision all ranks follow (e.g. rank 0's, broadcast). Default: local decision.
using stop_agreement = std::function<bool(bool wants_to_stop)>;

measure_outcome measure(const measure_settings& settings, const timed_iteration& iteration,
                        const stop_agreement& agree = {});

void to_json(nlohmann::json& out, const measure_settings& value);
void from_json(const nlohmann::json& in, measure_settings& value);

}  // namespace exacheck
