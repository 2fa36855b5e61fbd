// The selftest benchmark stands in for a long case in tests: its timed loop must really run, so that `loop:
// N` takes time in proportion to N (a loop the compiler folds away takes the same few nanoseconds for any N).
#include <gtest/gtest.h>

#include "../support/quick_context.hpp"
#include "harness/core/statistics.hpp"
#include "suites/selftest/selftest_suite.hpp"

using namespace exacheck;

namespace {
double median_loop_time_s(long long loop) {
  auto suite = make_selftest_suite();
  const auto points = suite->run(exacheck::testing::quick_context(), "selftest",
                                 {{"mode", "ok"}, {"rank", -1}, {"loop", loop}});
  EXPECT_EQ(points.size(), 1u);
  EXPECT_TRUE(points.front().check.passed) << points.front().check.detail;
  return median(points.front().samples.front().values);
}
}  // namespace

TEST(selftest_suite, timed_loop_takes_time_in_proportion_to_its_iterations) {
  const double short_s = median_loop_time_s(2'000);
  const double long_s = median_loop_time_s(20'000'000);
  // 10,000 times the iterations: a loop that really runs takes thousands of times longer (a few µs against
  // tens of ms); a folded one takes the same time for both. 100 leaves room for any noise.
  EXPECT_GT(long_s, 100 * short_s) << "2e3 iterations: " << short_s << " s, 2e7: " << long_s << " s";
}
