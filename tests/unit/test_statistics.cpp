#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "harness/core/measure.hpp"
#include "harness/core/statistics.hpp"

using namespace exacheck;

TEST(statistics, summary_of_known_samples) {
  const std::vector<double> samples{4, 1, 3, 2, 5};
  const summary s = summarize(samples);
  EXPECT_EQ(s.count, 5u);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 5);
  EXPECT_DOUBLE_EQ(s.median, 3);
  EXPECT_DOUBLE_EQ(s.mean, 3);
  EXPECT_DOUBLE_EQ(s.stdev, std::sqrt(2.5));  // sample standard deviation
  EXPECT_DOUBLE_EQ(s.cv, std::sqrt(2.5) / 3);
  EXPECT_DOUBLE_EQ(s.p5, 1.2);  // linear interpolation: position 0.05·4 = 0.2
  EXPECT_DOUBLE_EQ(s.p95, 4.8);
}

TEST(statistics, median_of_even_count_interpolates) {
  EXPECT_DOUBLE_EQ(median(std::vector<double>{1, 2, 3, 10}), 2.5);
}

TEST(statistics, empty_samples_are_nan_not_zero) {
  const summary s = summarize(std::vector<double>{});
  EXPECT_EQ(s.count, 0u);
  EXPECT_TRUE(std::isnan(s.median));
  EXPECT_TRUE(std::isnan(min_excluding_first(std::vector<double>{})));
}

TEST(statistics, stream_rule_drops_the_first_iteration) {
  EXPECT_DOUBLE_EQ(min_excluding_first(std::vector<double>{0.5, 2, 1, 3}), 1);
  EXPECT_DOUBLE_EQ(min_excluding_first(std::vector<double>{0.5}), 0.5);
}

TEST(statistics, collective_rule_takes_the_slowest_rank_per_iteration) {
  const std::vector<std::vector<double>> per_rank{{1, 5, 3}, {2, 1, 4}};
  EXPECT_EQ(per_iteration_max(per_rank), (std::vector<double>{2, 5, 4}));
  EXPECT_THROW(per_iteration_max({{1, 2}, {1}}), std::invalid_argument);
}

TEST(statistics, summary_round_trips_through_json_with_nan_as_null) {
  const summary s = summarize(std::vector<double>{1, 2, 3});
  const nlohmann::json j = s;
  EXPECT_DOUBLE_EQ(j.get<summary>().median, 2);
  const nlohmann::json empty = summarize(std::vector<double>{});
  EXPECT_TRUE(empty["median"].is_null());
  EXPECT_TRUE(std::isnan(empty.get<summary>().median));
}

TEST(measure, stops_on_the_noise_target_after_the_minimums) {
  measure_settings settings;
  settings.warmup_iterations = 3;
  settings.min_iterations = 7;
  settings.min_time_s = 0;
  settings.max_time_s = 100;
  settings.target_cv = 0.01;
  int calls = 0;
  const auto result = measure(settings, [&] {
    ++calls;
    return 1.0;
  });
  EXPECT_EQ(result.samples_s.size(), 7u);
  EXPECT_EQ(calls, 10);  // warm-up iterations run but are not kept
  EXPECT_TRUE(result.reached_noise_target);
  EXPECT_EQ(result.stop_reason, "noise target");
}

TEST(measure, noisy_samples_stop_at_max_time_with_a_flag_not_a_hang) {
  measure_settings settings;
  settings.warmup_iterations = 0;
  settings.max_time_s = 10;
  settings.target_cv = 0.001;
  int i = 0;
  const auto result = measure(settings, [&] { return (i++ % 2) ? 0.5 : 1.5; });
  EXPECT_EQ(result.stop_reason, "max_time");
  EXPECT_TRUE(result.hit_max_time);
  EXPECT_FALSE(result.reached_noise_target);
  EXPECT_EQ(result.samples_s.size(), 10u);  // 10 s of 1 s average samples
}

TEST(measure, max_iterations_caps_the_loop) {
  measure_settings settings;
  settings.warmup_iterations = 0;
  settings.max_iterations = 4;
  settings.target_cv = 0;
  int i = 0;
  const auto result = measure(settings, [&] { return 1.0 + (i++) * 0.1; });
  EXPECT_EQ(result.samples_s.size(), 4u);
  EXPECT_EQ(result.stop_reason, "max_iterations");
}

TEST(measure, every_rank_follows_the_agreed_decision) {
  measure_settings settings;
  settings.warmup_iterations = 0;
  settings.min_iterations = 1;
  settings.min_time_s = 0;
  int agreements = 0;
  // This rank is ready at once, but the agreement (another rank's view) keeps it going for 5 iterations.
  const auto result = measure(
      settings, [] { return 1.0; }, [&](bool) { return ++agreements >= 5; });
  EXPECT_EQ(result.samples_s.size(), 5u);
}
