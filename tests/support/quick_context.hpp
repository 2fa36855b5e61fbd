#pragma once
// Helpers for in-process suite tests.
#include <string>

#include "harness/core/suite.hpp"

namespace exacheck::testing {

inline run_context quick_context(int threads = 1) {
  run_context ctx;
  ctx.threads = threads;
  ctx.measurement.warmup_iterations = 1;
  ctx.measurement.min_iterations = 3;
  ctx.measurement.max_iterations = 5;
  ctx.measurement.min_time_s = 0;
  ctx.measurement.max_time_s = 2;
  return ctx;
}

// The metric called `name` of a point, or nullptr.
inline const metric* find_metric(const point_result& point, const std::string& name) {
  for (const auto& m : point.metrics)
    if (m.name == name) return &m;
  return nullptr;
}

}  // namespace exacheck::testing
