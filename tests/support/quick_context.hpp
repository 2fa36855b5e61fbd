#pragma once
// A run context for in-process suite tests: few, short iterations.
#include "harness/suite.hpp"

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

}  // namespace exacheck::testing
