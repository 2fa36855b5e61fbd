#pragma once
// Wall-clock spans on the monotonic clock, for the run's own timing (run.json "timing", time-outs): the
// system clock can jump (NTP, an operator) in the middle of a case.
#include <chrono>

namespace exacheck {

// Seconds elapsed since `start` on std::chrono::steady_clock.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace exacheck
