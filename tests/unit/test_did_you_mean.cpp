// Did-you-mean suggestions and how validation issues read.
#include <gtest/gtest.h>

#include "harness/core/errors.hpp"
#include "harness/core/param_spec.hpp"

namespace exacheck {
namespace {

const std::vector<std::string> plan_keys = {"schema", "name", "description", "system", "defaults", "cases"};
const std::vector<std::string> case_keys = {"name",    "benchmark",      "tags",    "params",
                                            "ranks",   "ranks_per_node", "timeout", "repeats",
                                            "backend", "launcher",       "verify",  "measure"};

TEST(did_you_mean, one_letter_missing_added_or_changed) {
  EXPECT_EQ(did_you_mean("parms", case_keys), "params");
  EXPECT_EQ(did_you_mean("paramss", case_keys), "params");
  EXPECT_EQ(did_you_mean("benchmork", case_keys), "benchmark");
  EXPECT_EQ(did_you_mean("dtyp", {"dtype", "m", "n", "k"}), "dtype");
}

TEST(did_you_mean, swapped_neighbours_count_as_one_typo) {
  EXPECT_EQ(did_you_mean("dtpye", {"dtype", "m", "n"}), "dtype");
  EXPECT_EQ(did_you_mean("nmae", plan_keys), "name");
  EXPECT_EQ(did_you_mean("laucnher", case_keys), "launcher");
}

TEST(did_you_mean, case_is_ignored_and_the_candidate_is_returned_as_written) {
  EXPECT_EQ(did_you_mean("FP64", {"fp64", "fp32"}), "fp64");
  EXPECT_EQ(did_you_mean("Gemm", {"allreduce", "gemm"}), "gemm");
}

TEST(did_you_mean, longer_words_tolerate_more_typos) {
  EXPECT_EQ(did_you_mean("ranks_pernode", case_keys), "ranks_per_node");
  EXPECT_EQ(did_you_mean("reduce_scater", {"allreduce", "reduce_scatter", "allgather"}), "reduce_scatter");
  EXPECT_EQ(did_you_mean("alredcue", {"allreduce", "allgather", "alltoall"}), "allreduce");
}

TEST(did_you_mean, nothing_close_means_no_suggestion) {
  EXPECT_EQ(did_you_mean("frobnicate", case_keys), "");
  EXPECT_EQ(did_you_mean("x", {"m", "n", "k"}), "");
  EXPECT_EQ(did_you_mean("gpu", {"cpu", "cuda", "auto"}), "cpu");  // one letter off is still a typo
  EXPECT_EQ(did_you_mean("anything", {}), "");
  EXPECT_EQ(did_you_mean("", case_keys), "");
}

TEST(did_you_mean, closest_candidate_wins_and_ties_keep_candidate_order) {
  EXPECT_EQ(did_you_mean("fp65", {"fp64", "fp32", "bf16"}), "fp64");
  EXPECT_EQ(did_you_mean("fp3", {"fp32", "fp16"}), "fp32");
  EXPECT_EQ(did_you_mean("mpirn", {"local", "mpirun", "srun"}), "mpirun");
}

TEST(did_you_mean, a_megabyte_word_gets_no_suggestion_and_costs_no_quadratic_memory) {
  // Before the bound, the distance table of two 1 MiB strings was 10^12 cells: 8 TB asked of the allocator.
  const std::string long_value(std::size_t{1} << 20, 'a');
  EXPECT_EQ(did_you_mean(long_value + "x", {long_value, "params"}), "");
  EXPECT_EQ(did_you_mean(long_value, case_keys), "");
}

TEST(did_you_mean, words_up_to_the_bound_are_still_compared) {
  const std::string key(max_suggestion_chars - 1, 'k');
  EXPECT_EQ(did_you_mean(key + "x", {"m", key + "y", "n"}), key + "y");
  EXPECT_EQ(did_you_mean(key.substr(2), {key}), key);  // two characters missing, within a third of the length
}

TEST(did_you_mean, candidates_far_longer_or_shorter_are_never_suggested) {
  EXPECT_EQ(did_you_mean("ranks", {"ranks_per_node_and_more"}), "");
  EXPECT_EQ(did_you_mean("ranks_per_node", {"r"}), "");
  EXPECT_EQ(did_you_mean("ranks_per_nod", {"r", "ranks_per_node"}), "ranks_per_node");
}

TEST(quoted_text, user_text_in_a_message_is_one_short_line_of_utf8) {
  EXPECT_EQ(quoted_text("fp65"), "'fp65'");
  EXPECT_EQ(quoted_text("café"), "'café'");
  EXPECT_EQ(quoted_text("two\nlines\tand\x01"), "'two\\nlines\\tand\\x01'");
  EXPECT_EQ(quoted_text("caf\xe9"), "'caf\\xe9'");  // Latin-1, not UTF-8: shown as a byte
  const std::string shown = quoted_text(std::string(std::size_t{1} << 20, 'x'));
  EXPECT_EQ(shown, "'" + std::string(64, 'x') + "…' (1048576 bytes)");
  EXPECT_EQ(quoted_text("ééé", 2), "'éé…' (6 bytes)");  // cut between characters, never inside one
}

TEST(first_invalid_utf8, finds_the_first_byte_that_is_not_part_of_a_well_formed_sequence) {
  EXPECT_EQ(first_invalid_utf8("plain ascii"), std::nullopt);
  EXPECT_EQ(first_invalid_utf8("μ 𝄞 € é"), std::nullopt);
  EXPECT_EQ(first_invalid_utf8("caf\xe9"), 3u);           // a lead byte without its continuation
  EXPECT_EQ(first_invalid_utf8("ab\x80"), 2u);            // a continuation byte alone
  EXPECT_EQ(first_invalid_utf8("\xc0\xaf"), 0u);          // overlong '/'
  EXPECT_EQ(first_invalid_utf8("x\xed\xa0\x80"), 1u);     // a UTF-16 surrogate
  EXPECT_EQ(first_invalid_utf8("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8("\xff"), 0u);
}

validation_issue make_issue(std::string file, int line, int column, std::string message, std::string expected,
                            std::string suggestion) {
  validation_issue issue;
  issue.where.file = std::move(file);
  issue.where.line = line;
  issue.where.column = column;
  issue.message = std::move(message);
  issue.expected = std::move(expected);
  issue.suggestion = std::move(suggestion);
  return issue;
}

TEST(source_location, prints_file_line_and_column) {
  EXPECT_EQ((source_location{"plan.yaml", 12, 5}.to_string()), "plan.yaml:12:5");
  EXPECT_EQ((source_location{"plan.yaml", 12, 0}.to_string()), "plan.yaml:12");
  EXPECT_EQ((source_location{"plan.yaml", 0, 0}.to_string()), "plan.yaml");
}

TEST(validation_issue, reads_location_message_expectation_and_suggestion) {
  const validation_issue issue =
      make_issue("plan.yaml", 12, 5, "unknown key 'parms' in case 'gemm'", "one of: name, params", "params");
  EXPECT_EQ(issue.to_string(),
            "plan.yaml:12:5: unknown key 'parms' in case 'gemm'; expected one of: name, params; did you mean "
            "'params'?");
  const validation_issue bare = make_issue("plan.yaml", 3, 1, "the plan has no 'name'", "", "");
  EXPECT_EQ(bare.to_string(), "plan.yaml:3:1: the plan has no 'name'");
}

TEST(validation_error, what_lists_every_issue_one_per_line) {
  const validation_error error(
      {make_issue("p.yaml", 1, 1, "first", "", ""), make_issue("p.yaml", 2, 3, "second", "x", "y")});
  EXPECT_EQ(std::string(error.what()),
            "p.yaml:1:1: first\np.yaml:2:3: second; expected x; did you mean 'y'?");
  ASSERT_EQ(error.issues().size(), 2u);
  EXPECT_EQ(error.issues()[1].suggestion, "y");
}

TEST(param_spec, types_print_their_names_and_parameters_are_found_by_name) {
  EXPECT_EQ(to_string(param_type::integer), "integer");
  EXPECT_EQ(to_string(param_type::number), "number");
  EXPECT_EQ(to_string(param_type::bytes), "bytes");
  EXPECT_EQ(to_string(param_type::string), "string");
  EXPECT_EQ(to_string(param_type::boolean), "boolean");
  EXPECT_EQ(to_string(param_type::duration), "duration");
  std::vector<param_spec> specs(2);
  specs[0].name = "m";
  specs[1].name = "dtype";
  EXPECT_EQ(find_param(specs, "dtype"), &specs[1]);
  EXPECT_EQ(find_param(specs, "k"), nullptr);
}

}  // namespace
}  // namespace exacheck
