// Bad input to the plan, system and reference loaders is a clear error (exit 2, file:line:column, one short
// line per issue), never a crash, a hang or a run that loses its results: bytes that are not UTF-8, files
// that are not regular files, very long or multi-line text, unsafe case names, sweeps past the plan's launch
// limit.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "harness/core/errors.hpp"
#include "harness/plan/plan.hpp"
#include "harness/compare/reference_file.hpp"
#include "plan_test_support.hpp"

namespace exacheck {
namespace {

using testing::issue_with;

const std::string header = "schema: exacheck/plan/v1\nname: test\n";

class plan_bad_input : public testing::plan_files {
 protected:
  // Every issue prints as one line that starts with the file and a line number.
  static void expect_one_line_each_with_place(const std::vector<validation_issue>& issues) {
    for (const auto& issue : issues) {
      const std::string text = issue.to_string();
      EXPECT_EQ(text.find('\n'), std::string::npos) << text;
      EXPECT_GT(issue.where.line, 0) << text;
      EXPECT_EQ(first_invalid_utf8(text), std::nullopt) << text;
      EXPECT_LT(text.size(), 1000u) << text.substr(0, 200);
    }
  }
};

TEST_F(plan_bad_input, bytes_that_are_not_utf8_are_refused_with_line_and_column) {
  // A Latin-1 'é' in a description was once read as is, and the run then failed to write run.json at all.
  const auto issues =
      plan_issues(header + "description: caf\xe9 au lait\ncases: [{name: g, benchmark: gemm}]\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].where.line, 3);
  EXPECT_EQ(issues[0].where.column, 17);
  EXPECT_EQ(issues[0].message, "byte 0xe9 is not UTF-8 text");
  EXPECT_NE(issues[0].expected.find("UTF-8"), std::string::npos);
  expect_one_line_each_with_place(issues);
}

TEST_F(plan_bad_input, system_and_reference_files_with_bytes_that_are_not_utf8_are_refused_too) {
  const auto system = system_issues("schema: exacheck/system/v1\nname: box\ndescription: \"\xff\xfe\"\n");
  ASSERT_EQ(system.size(), 1u);
  EXPECT_EQ(system[0].where.line, 3);
  EXPECT_EQ(system[0].message, "byte 0xff is not UTF-8 text");
  const std::string reference =
      write("ref.yaml", "schema: exacheck/reference/v1\nwho: {organisation: X\xc3}\n");
  try {
    load_reference_file(reference);
    ADD_FAILURE() << "a reference file with a broken UTF-8 sequence loaded";
  } catch (const validation_error& e) {
    ASSERT_EQ(e.issues().size(), 1u);
    EXPECT_EQ(e.issues()[0].where.line, 2);
    EXPECT_EQ(e.issues()[0].message, "byte 0xc3 is not UTF-8 text");
  }
}

TEST_F(plan_bad_input, a_plan_that_is_a_fifo_or_a_directory_is_refused_at_once) {
  const auto fifo = m_dir / "plan.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  const auto start = std::chrono::steady_clock::now();
  for (const auto& path : {fifo, m_dir}) {
    try {
      load_plan(path.string(), m_registry);
      ADD_FAILURE() << "loaded " << path;
    } catch (const validation_error& e) {
      EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
    }
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));  // never waits for a writer
}

TEST_F(plan_bad_input, case_names_are_short_safe_directory_names) {
  const auto issues = plan_issues(header +
                                  "cases:\n"
                                  "  - {name: .hidden, benchmark: gemm, params: {n: 1}}\n"
                                  "  - {name: a/b, benchmark: gemm, params: {n: 1}}\n"
                                  "  - {name: " +
                                  std::string(65, 'x') +
                                  ", benchmark: gemm, params: {n: 1}}\n"
                                  "  - {name: \"tab\\tand\\nnewline\", benchmark: gemm, params: {n: 1}}\n"
                                  "  - {name: " +
                                  std::string(64, 'y') + ", benchmark: gemm, params: {n: 1}}\n");
  ASSERT_EQ(issues.size(), 4u);  // the 64-character name is fine
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(issues[i].where.line, 4 + i);
    EXPECT_NE(issues[i].message.find("cannot be used as a directory name"), std::string::npos);
    EXPECT_EQ(issues[i].expected,
              "1 to 64 letters, digits, '_', '-' and '.', not starting with '.' (it names a directory)");
  }
  EXPECT_EQ(issues[3].message, "case name 'tab\\tand\\nnewline' cannot be used as a directory name");
  expect_one_line_each_with_place(issues);
}

TEST_F(plan_bad_input, a_megabyte_key_or_value_gives_one_short_line) {
  const std::string huge(std::size_t{1} << 20, 'q');
  const auto start = std::chrono::steady_clock::now();
  // A key that long must be written as an explicit key ("? key"): YAML caps implicit keys at 1024 characters.
  const auto issues = plan_issues(
      header + "cases:\n  - name: " + huge + "\n    benchmark: gemm\n    params:\n      n: 1\n      ? " +
      huge + "\n      : 2\n      dtype: " + huge + "\n  - name: g\n    benchmark: " + huge + "\n    ? " +
      huge + "\n    : 1\n");
  // Bounded work: the did-you-mean of a 1 MiB word was a table of 10^12 cells.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  issue_with(issues, "case name 'qqqq");
  issue_with(issues, "unknown parameter 'qqqq");
  issue_with(issues, "parameter 'dtype' is 'qqqq");
  issue_with(issues, "unknown benchmark 'qqqq");
  issue_with(issues, "unknown key 'qqqq");
  for (const auto& issue : issues) {
    EXPECT_NE(issue.message.find("…' (1048576 bytes)"), std::string::npos) << issue.message.substr(0, 200);
    EXPECT_EQ(issue.suggestion, "");
  }
  expect_one_line_each_with_place(issues);
}

TEST_F(plan_bad_input, text_with_line_breaks_stays_on_one_line_in_messages) {
  const auto issues = plan_issues(header +
                                  "cases: [{name: g, benchmark: gemm, params: {n: 1, dtype: \"fp\\n64\"}, "
                                  "backend: \"cu\\r\\nda\"}]\n");
  EXPECT_EQ(issue_with(issues, "parameter 'dtype'").message, "case 'g': parameter 'dtype' is 'fp\\n64'");
  EXPECT_EQ(issue_with(issues, "backend").message, "case 'g': backend is 'cu\\x0d\\nda'");
  expect_one_line_each_with_place(issues);
}

TEST_F(plan_bad_input, sweeps_past_the_launch_limit_of_the_plan_are_refused_at_the_case_that_crosses_it) {
  // 6,000 launches each: the first case fits, the second takes the plan past 10,000.
  const std::string sweep = "params: {n: 1, m: {from: 1, to: 6000, step: 1}}";
  const auto issues = plan_issues(header + "cases:\n  - {name: a, benchmark: gemm, " + sweep +
                                  "}\n  - {name: b, benchmark: gemm, " + sweep + "}\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].where.line, 5);
  EXPECT_EQ(issues[0].message,
            "case 'b' takes the plan past 10000 worker launches (6000 before it, 6000 in it)");
  EXPECT_NE(issues[0].expected.find("at most 10000 launches per plan"), std::string::npos);
  // Repeats count: 2,500 values × 4 repeats is 10,000, at the limit and allowed.
  load(header +
       "cases: [{name: a, benchmark: gemm, repeats: 4, params: {n: 1, m: {from: 1, to: 2500, step: 1}}}]\n");
}

TEST_F(plan_bad_input, a_sweep_of_a_trillion_points_is_refused_before_anything_is_expanded) {
  const std::string range = "{from: 1, to: 10000, step: 1}";
  const auto start = std::chrono::steady_clock::now();
  const auto issues =
      plan_issues(header + "cases: [{name: a, benchmark: gemm, repeats: 10000, params: {n: " + range +
                  ", m: " + range + ", alpha: " + range + "}}]\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(issue_with(issues, "past 10000 worker launches").message,
            "case 'a' takes the plan past 10000 worker launches (0 before it, more than 10000 in it)");
}

}  // namespace
}  // namespace exacheck
