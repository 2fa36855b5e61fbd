// Sizing the FMA chains on a busy node (suites/flops/flops_calibration.hpp) with scripted run times: a node
// that preempts short runs (each first run at a size reads 10 ms more) must still get runs of about 50 ms,
// not 0.07 ms; a steady node gets its 50 ms; and a far too short median is recognised.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "suites/flops/flops_calibration.hpp"

using namespace exacheck::flops;

namespace {

constexpr double k_step_s = 2.5e-9;  // one dependent FMA step: 20 million steps per 50 ms run

struct scripted_node {
  double preemption_s = 0;  // added to the first run timed at each size
  std::vector<std::uint64_t> sizes;

  timed_run runs() {
    return [this](std::uint64_t steps) {
      const bool first_at_size = sizes.empty() || sizes.back() != steps;
      sizes.push_back(steps);
      return static_cast<double>(steps) * k_step_s + (first_at_size ? preemption_s : 0);
    };
  }
};

double run_time(std::uint64_t steps) {
  return static_cast<double>(steps) * k_step_s;
}

}  // namespace

TEST(flops_calibration, a_steady_node_gets_runs_of_about_the_target) {
  scripted_node node;
  const auto steps = calibrate_steps(node.runs());
  EXPECT_GE(run_time(steps), target_run_s / 2);
  EXPECT_LE(run_time(steps), target_run_s * 2);
}

TEST(flops_calibration, a_preempted_short_run_does_not_size_the_chains) {
  // The old calibration stopped at the first run that read 5 ms: 4,096 steps preempted for 10 ms gave
  // 20,480 steps, runs of 0.05 ms. Load only ever adds time: the faster of two runs is the run.
  scripted_node node{.preemption_s = 0.010, .sizes = {}};
  const auto steps = calibrate_steps(node.runs());
  EXPECT_GE(run_time(steps), target_run_s / 2) << steps << " steps";
  EXPECT_LE(run_time(steps), target_run_s * 2) << steps << " steps";
}

TEST(flops_calibration, runs_far_shorter_than_the_target_are_recognised) {
  EXPECT_TRUE(far_shorter_than_target(0.00007));  // 0.07 ms: what the busy node measured
  EXPECT_TRUE(far_shorter_than_target(target_run_s / 5));
  EXPECT_FALSE(far_shorter_than_target(target_run_s / 3));
  EXPECT_FALSE(far_shorter_than_target(target_run_s));
}
