// Did-you-mean for command-line options (harness/cli/cli_suggest.cpp): typos, and longer or shorter names.
#include <gtest/gtest.h>

#include "harness/cli/cli_suggest.hpp"

namespace {

using exacheck::did_you_mean_option;

const std::vector<std::string> run_options = {"--help",     "-h",      "--out",    "-o",
                                              "--system",   "--tags",  "--case",   "--backend",
                                              "--launcher", "--ranks", "--dry-run"};

TEST(did_you_mean_option, a_typo_names_the_closest_option) {
  EXPECT_EQ(did_you_mean_option("--rank", run_options), "--ranks");
  EXPECT_EQ(did_you_mean_option("--bakcend", run_options), "--backend");
  EXPECT_EQ(did_you_mean_option("--dryrun", run_options), "--dry-run");
  EXPECT_EQ(did_you_mean_option("-ranks", run_options), "--ranks");  // one dash too few
}

TEST(did_you_mean_option, a_value_given_with_equals_is_not_part_of_the_name) {
  EXPECT_EQ(did_you_mean_option("--rank=2", run_options), "--ranks");
}

TEST(did_you_mean_option, a_longer_or_shorter_name_by_whole_words_names_the_option) {
  EXPECT_EQ(did_you_mean_option("--out-dir", run_options), "--out");
  EXPECT_EQ(did_you_mean_option("--out_file", run_options), "--out");
  EXPECT_EQ(did_you_mean_option("--dry", run_options), "--dry-run");
  EXPECT_EQ(did_you_mean_option("--system-file", run_options), "--system");
}

TEST(did_you_mean_option, nothing_close_is_no_suggestion) {
  EXPECT_EQ(did_you_mean_option("--verbose", run_options), "");
  EXPECT_EQ(did_you_mean_option("--", run_options), "");
  EXPECT_EQ(did_you_mean_option("--outer", run_options), "");  // not whole words
  EXPECT_EQ(did_you_mean_option("--x", run_options), "");
}

}  // namespace
