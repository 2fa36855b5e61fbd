#include "suites/flops/flops_calibration.hpp"

#include <algorithm>
#include <cmath>

namespace exacheck::flops {

namespace {

constexpr std::uint64_t k_most_steps = std::uint64_t{1} << 40;  // minutes per run on any core

double faster_of_two(const timed_run& time_run, std::uint64_t steps) {
  const double first = time_run(steps);
  const double second = time_run(steps);
  return std::min(first, second);
}

std::uint64_t scaled(std::uint64_t steps, double seconds, double target_s) {
  const double wanted = static_cast<double>(steps) * target_s / std::max(seconds, 1e-9);
  return static_cast<std::uint64_t>(std::clamp(wanted, 1.0, static_cast<double>(k_most_steps)));
}

}  // namespace

std::uint64_t calibrate_steps(const timed_run& time_run, double target_s) {
  std::uint64_t steps = 1 << 12;
  double seconds = faster_of_two(time_run, steps);
  while (seconds < target_s / 10 && steps < k_most_steps) {
    steps = std::min(steps * 4, k_most_steps);
    seconds = faster_of_two(time_run, steps);
  }
  steps = scaled(steps, seconds, target_s);
  for (int round = 0; round < 4; ++round) {
    seconds = faster_of_two(time_run, steps);
    if (seconds >= target_s / 2 && seconds <= target_s * 2) break;
    steps = scaled(steps, seconds, target_s);
  }
  return steps;
}

bool far_shorter_than_target(double median_run_s, double target_s) {
  return median_run_s < target_s / 4;
}

}  // namespace exacheck::flops
