#include <gtest/gtest.h>

#include <vector>

#include "harness/results/outcome.hpp"

using namespace exacheck;

TEST(outcome, every_outcome_round_trips_through_its_name) {
  for (outcome o : {outcome::pass, outcome::fail, outcome::incorrect, outcome::outlier, outcome::error,
                    outcome::timeout, outcome::skipped, outcome::recorded}) {
    EXPECT_EQ(outcome_from_string(to_string(o)), o);
  }
  EXPECT_EQ(to_string(outcome::incorrect), "INCORRECT");
  EXPECT_FALSE(outcome_from_string("pass").has_value());
  EXPECT_FALSE(outcome_from_string("").has_value());
}

TEST(exit_code, all_pass_recorded_and_skipped_is_zero) {
  const std::vector<outcome> o{outcome::pass, outcome::recorded, outcome::skipped};
  EXPECT_EQ(exit_code_for(o, false), 0);
  EXPECT_EQ(exit_code_for(std::vector<outcome>{}, false), 0);
}

TEST(exit_code, a_failed_check_is_one_even_with_errors) {
  EXPECT_EQ(exit_code_for(std::vector{outcome::pass, outcome::fail}, false), 1);
  EXPECT_EQ(exit_code_for(std::vector{outcome::incorrect, outcome::error}, false), 1);
  EXPECT_EQ(exit_code_for(std::vector{outcome::timeout, outcome::outlier}, false), 1);
}

TEST(exit_code, error_or_timeout_without_failure_is_incomplete) {
  EXPECT_EQ(exit_code_for(std::vector{outcome::pass, outcome::error}, false), 3);
  EXPECT_EQ(exit_code_for(std::vector{outcome::timeout, outcome::skipped}, false), 3);
}

TEST(exit_code, interruption_wins_over_everything) {
  EXPECT_EQ(exit_code_for(std::vector{outcome::fail, outcome::error}, true), 130);
  EXPECT_EQ(exit_code_for(std::vector<outcome>{}, true), 130);
}

TEST(outcome, worst_of_orders_incorrect_above_fail_above_error) {
  EXPECT_EQ(worst_of(std::vector{outcome::pass, outcome::fail, outcome::incorrect}), outcome::incorrect);
  EXPECT_EQ(worst_of(std::vector{outcome::error, outcome::fail}), outcome::fail);
  EXPECT_EQ(worst_of(std::vector{outcome::timeout, outcome::error}), outcome::error);
  EXPECT_EQ(worst_of(std::vector{outcome::pass, outcome::recorded}), outcome::recorded);
}
