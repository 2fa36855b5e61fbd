#pragma once
// Tests labelled `gpu` skip, with the CUDA runtime's reason, where no device is usable. A macro because
// GTEST_SKIP returns from the function it is written in: it must stand in the test's own body.
#include <gtest/gtest.h>

#include <string>

#include "harness/node/gpu_runtime.hpp"

#define SKIP_WITHOUT_GPU()                                        \
  do {                                                            \
    std::string exacheck_why_not_;                                \
    if (::exacheck::gpus().device_count(&exacheck_why_not_) == 0) \
      GTEST_SKIP() << "no CUDA device: " << exacheck_why_not_;    \
  } while (0)
