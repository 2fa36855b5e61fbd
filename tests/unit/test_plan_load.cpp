// Loading plan files: what a valid plan becomes, and every way an invalid one is reported
// (file:line:column, what was expected, did-you-mean), all issues at once.
#include <gtest/gtest.h>

#include "harness/io/files.hpp"
#include "harness/plan/plan.hpp"
#include "plan_test_support.hpp"

namespace exacheck {
namespace {

using testing::issue_with;

const std::string header = "schema: exacheck/plan/v1\nname: test\n";

class plan_load : public testing::plan_files {};

TEST_F(plan_load, minimal_plan_loads_with_plan_defaults) {
  const plan p = load(header + "cases:\n  - {name: g, benchmark: gemm, params: {n: 512}}\n");
  EXPECT_EQ(p.name, "test");
  EXPECT_FALSE(p.system_file);
  EXPECT_EQ(p.defaults.backend, "auto");
  EXPECT_EQ(p.defaults.launcher, "mpirun");
  EXPECT_EQ(p.defaults.ranks, 1);
  EXPECT_DOUBLE_EQ(p.defaults.timeout_s, 600);
  ASSERT_EQ(p.cases.size(), 1u);
  EXPECT_EQ(p.cases[0].name, "g");
  EXPECT_EQ(p.cases[0].benchmark, "gemm");
  EXPECT_EQ(p.cases[0].params, nlohmann::json({{"n", 512}}));
  EXPECT_EQ(p.cases[0].repeats, 1);
  EXPECT_EQ(p.cases[0].where.line, 4);
  EXPECT_EQ(p.cases[0].where.column, 5);
  EXPECT_TRUE(std::filesystem::path(p.file).is_absolute());
}

TEST_F(plan_load, every_key_of_defaults_and_cases_is_read) {
  write("systems/box.yaml", "schema: exacheck/system/v1\nname: box\n");
  const plan p = load(header + R"(description: every key
system: systems/box.yaml
defaults:
  backend: cpu
  launcher: local
  ranks: 4
  ranks_per_node: 2
  timeout: 10m
  verify: false
  measure: {warmup_iterations: 1, min_iterations: 3, max_iterations: 50, min_time: 200ms, max_time: 2s,
            target_cv: 0.05}
cases:
  - name: g
    benchmark: gemm
    tags: [compute, nightly]
    params: {n: 512, dtype: fp32, alpha: 2.5, transpose: true, settle: 1m, workspace: 64MiB}
    ranks: 2
    ranks_per_node: 1
    timeout: 90s
    repeats: 3
    backend: auto
    launcher: srun
    verify: true
    measure: {max_time: 1m, target_cv: 0.01}
)");
  EXPECT_EQ(p.description, "every key");
  ASSERT_TRUE(p.system_file);
  EXPECT_EQ(*p.system_file, (m_dir / "systems/box.yaml").lexically_normal().string());
  EXPECT_EQ(p.defaults.backend, "cpu");
  EXPECT_EQ(p.defaults.launcher, "local");
  EXPECT_EQ(p.defaults.ranks, 4);
  EXPECT_EQ(p.defaults.ranks_per_node, 2);
  EXPECT_DOUBLE_EQ(p.defaults.timeout_s, 600);
  EXPECT_FALSE(p.defaults.verify);
  EXPECT_EQ(p.defaults.measurement.warmup_iterations, 1);
  EXPECT_EQ(p.defaults.measurement.min_iterations, 3);
  EXPECT_EQ(p.defaults.measurement.max_iterations, 50);
  EXPECT_DOUBLE_EQ(p.defaults.measurement.min_time_s, 0.2);
  EXPECT_DOUBLE_EQ(p.defaults.measurement.max_time_s, 2);
  EXPECT_DOUBLE_EQ(p.defaults.measurement.target_cv, 0.05);
  const case_spec& c = p.cases.at(0);
  EXPECT_EQ(c.tags, (std::vector<std::string>{"compute", "nightly"}));
  EXPECT_EQ(c.params["dtype"], "fp32");
  EXPECT_DOUBLE_EQ(c.params["alpha"].get<double>(), 2.5);
  EXPECT_EQ(c.params["transpose"], true);
  EXPECT_DOUBLE_EQ(c.params["settle"].get<double>(), 60);
  EXPECT_EQ(c.params["workspace"].get<std::uint64_t>(), 64ull << 20);
  EXPECT_EQ(c.ranks, 2);
  EXPECT_EQ(c.ranks_per_node, 1);
  EXPECT_EQ(c.timeout_s, 90);
  EXPECT_EQ(c.repeats, 3);
  EXPECT_EQ(c.backend, "auto");
  EXPECT_EQ(c.launcher, "srun");
  EXPECT_EQ(c.verify, true);
  EXPECT_EQ(c.measure, nlohmann::json({{"max_time_s", 60.0}, {"target_cv", 0.01}}));
}

TEST_F(plan_load, launch_retries_default_to_one_and_are_read_from_defaults_and_cases) {
  EXPECT_EQ(
      load(header + "cases:\n  - {name: g, benchmark: gemm, params: {n: 512}}\n").defaults.launch_retries, 1);
  const plan p =
      load(header +
           "defaults: {launch_retries: 3}\ncases:\n  - {name: g, benchmark: gemm, params: {n: 512}}\n"
           "  - {name: h, benchmark: gemm, launch_retries: 0, params: {n: 512}}\n");
  EXPECT_EQ(p.defaults.launch_retries, 3);
  const auto cases = expand(p, m_registry);
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_EQ(cases[0].launch_retries, 3);
  EXPECT_EQ(cases[1].launch_retries, 0);
  const auto issues =
      plan_issues(header + "cases:\n  - {name: g, benchmark: gemm, launch_retries: 9, params: {n: 512}}\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_NE(issues[0].message.find("launch_retries"), std::string::npos) << issues[0].message;
}

TEST_F(plan_load, plan_hash_is_sha256_of_the_file_bytes) {
  const std::string yaml = header + "cases: [{name: g, benchmark: gemm, params: {n: 1}}]\n";
  const plan p = load(yaml);
  EXPECT_EQ(p.sha256, sha256_hex(yaml));
  EXPECT_EQ(p.sha256.size(), 64u);
}

TEST(sha256, matches_the_standard_test_vectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_F(plan_load, plan_with_unknown_key_names_line_and_suggestion) {
  const auto issues =
      plan_issues(header + "descripton: typo\ncases: [{name: g, benchmark: gemm, params: {n: 1}}]\n");
  ASSERT_EQ(issues.size(), 1u);
  const auto& issue = issues[0];
  EXPECT_EQ(issue.where.line, 3);
  EXPECT_EQ(issue.where.column, 1);
  EXPECT_NE(issue.where.file.find("plan.yaml"), std::string::npos);
  EXPECT_NE(issue.message.find("unknown key 'descripton'"), std::string::npos);
  EXPECT_EQ(issue.suggestion, "description");
  EXPECT_NE(issue.expected.find("cases"), std::string::npos);
  EXPECT_NE(issue.to_string().find("plan.yaml:3:1: unknown key 'descripton'"), std::string::npos);
  EXPECT_NE(issue.to_string().find("did you mean 'description'?"), std::string::npos);
}

TEST_F(plan_load, unknown_key_in_case_suggests_the_right_key) {
  const auto issue =
      issue_with(plan_issues(header + "cases:\n  - name: g\n    benchmark: gemm\n    parms: {n: 1}\n"),
                 "unknown key 'parms'");
  EXPECT_NE(issue.message.find("case 'g'"), std::string::npos);
  EXPECT_EQ(issue.suggestion, "params");
  EXPECT_EQ(issue.where.line, 6);
  EXPECT_EQ(issue.where.column, 5);
}

TEST_F(plan_load, unknown_keys_in_defaults_and_measure_are_errors) {
  const auto issues = plan_issues(header + R"(defaults:
  rank: 2
  measure: {min_itterations: 3}
cases: [{name: g, benchmark: gemm, params: {n: 1}}]
)");
  EXPECT_EQ(issue_with(issues, "unknown key 'rank'").suggestion, "ranks");
  EXPECT_EQ(issue_with(issues, "unknown key 'min_itterations'").suggestion, "min_iterations");
}

TEST_F(plan_load, unknown_benchmark_is_named_with_the_closest_one) {
  const auto issue = issue_with(plan_issues(header + "cases:\n  - {name: g, benchmark: gemn}\n"),
                                "unknown benchmark 'gemn'");
  EXPECT_EQ(issue.suggestion, "gemm");
  EXPECT_NE(issue.expected.find("allreduce"), std::string::npos);
  EXPECT_EQ(issue.where.line, 4);
}

TEST_F(plan_load, unknown_parameter_names_case_benchmark_and_suggestion) {
  const auto issue = issue_with(
      plan_issues(header + "cases:\n  - name: gemm\n    benchmark: gemm\n    params: {n: 1, dtyp: fp32}\n"),
      "unknown parameter");
  EXPECT_EQ(issue.message, "case 'gemm': unknown parameter 'dtyp' for benchmark 'gemm'");
  EXPECT_EQ(issue.suggestion, "dtype");
  EXPECT_EQ(issue.where.line, 6);
  EXPECT_EQ(issue.where.column, 20);
}

TEST_F(plan_load, bad_enum_value_lists_allowed_values_and_suggests) {
  const auto issue = issue_with(
      plan_issues(header + "cases: [{name: g, benchmark: gemm, params: {n: 1, dtype: [fp32, fp65]}}]\n"),
      "'fp65'");
  EXPECT_EQ(issue.suggestion, "fp64");
  EXPECT_EQ(issue.expected, "one of: fp64, fp32, bf16");
}

TEST_F(plan_load, bad_backend_and_launcher_suggest_the_right_ones) {
  const auto issues = plan_issues(header +
                                  "defaults: {backend: cdua, launcher: mpirn}\n"
                                  "cases: [{name: g, benchmark: gemm, params: {n: 1}}]\n");
  EXPECT_EQ(issue_with(issues, "backend is 'cdua'").suggestion, "cuda");
  EXPECT_EQ(issue_with(issues, "launcher is 'mpirn'").suggestion, "mpirun");
}

TEST_F(plan_load, wrong_value_types_are_errors_with_expectations) {
  const auto issues = plan_issues(header + R"(cases:
  - name: g
    benchmark: gemm
    params: {n: many, alpha: big, transpose: maybe, settle: soon, workspace: lots}
    verify: sometimes
    tags: nightly
)");
  EXPECT_EQ(issue_with(issues, "parameter 'n' is 'many'").expected, "an integer >= 1");
  EXPECT_EQ(issue_with(issues, "parameter 'alpha' is 'big'").expected, "a number");
  EXPECT_EQ(issue_with(issues, "parameter 'transpose' is 'maybe'").expected, "true or false");
  EXPECT_NE(issue_with(issues, "parameter 'settle' is 'soon'").expected.find("duration"), std::string::npos);
  EXPECT_NE(issue_with(issues, "parameter 'workspace' is 'lots'").expected.find("64MiB"), std::string::npos);
  EXPECT_EQ(issue_with(issues, "verify is 'sometimes'").expected, "true or false");
  EXPECT_NE(issue_with(issues, "tags is 'nightly'").expected.find("list"), std::string::npos);
  EXPECT_EQ(issues.size(), 7u);
}

TEST_F(plan_load, missing_required_parameter_is_an_error) {
  const auto issue = issue_with(
      plan_issues(header + "cases:\n  - {name: g, benchmark: gemm, params: {m: 8}}\n"), "required");
  EXPECT_EQ(issue.message, "case 'g': parameter 'n' of benchmark 'gemm' is required");
  EXPECT_EQ(issue.where.line, 4);
}

TEST_F(plan_load, missing_required_keys_are_named) {
  const auto top = plan_issues("schema: exacheck/plan/v1\n");
  issue_with(top, "the plan has no 'name'");
  issue_with(top, "the plan has no 'cases'");
  const auto in_case = plan_issues(header + "cases:\n  - {tags: [x]}\n");
  issue_with(in_case, "case #1 has no 'name'");
  issue_with(in_case, "case #1 has no 'benchmark'");
}

TEST_F(plan_load, duplicate_case_names_are_errors) {
  const auto issue =
      issue_with(plan_issues(header + "cases:\n  - {name: g, benchmark: gemm, params: {n: 1}}\n"
                                      "  - {name: g, benchmark: gemm, params: {n: 2}}\n"),
                 "used twice");
  EXPECT_EQ(issue.message, "case name 'g' is used twice (first at line 4)");
  EXPECT_EQ(issue.where.line, 5);
}

TEST_F(plan_load, duplicate_keys_are_errors) {
  const auto issues =
      plan_issues(header + "name: again\ncases: [{name: g, benchmark: gemm, params: {n: 1, n: 2}}]\n");
  issue_with(issues, "key 'name' appears twice in the plan (first at line 2)");
  issue_with(issues, "parameter 'n' appears twice");
}

TEST_F(plan_load, case_names_must_be_usable_as_directory_names) {
  issue_with(plan_issues(header + "cases: [{name: ../g, benchmark: gemm, params: {n: 1}}]\n"),
             "cannot be used as a directory name");
}

TEST_F(plan_load, cases_must_be_a_non_empty_list) {
  issue_with(plan_issues(header + "cases: []\n"), "cases is a list that is empty");
  issue_with(plan_issues(header + "cases: {name: g}\n"), "cases is a map");
}

TEST_F(plan_load, integer_limits_of_ranks_repeats_and_timeouts_are_checked) {
  const auto issues = plan_issues(header +
                                  "defaults: {ranks: 0, ranks_per_node: -1, timeout: 0s}\n"
                                  "cases: [{name: g, benchmark: gemm, params: {n: 1}, repeats: 0, "
                                  "timeout: 10 minutes}]\n");
  EXPECT_EQ(issue_with(issues, "defaults ranks is '0'").expected,
            "an integer >= 1 and <= 2147483647, or all (every task of the Slurm allocation, or the slots of "
            "mpirun's hosts)");
  issue_with(issues, "defaults ranks_per_node is '-1'");
  EXPECT_EQ(issue_with(issues, "defaults timeout is '0s'").expected, "a duration above zero");
  issue_with(issues, "repeats is '0'");
  issue_with(issues, "timeout is '10 minutes', not a duration");
}

TEST_F(plan_load, contradictory_measure_limits_are_errors) {
  const auto issues = plan_issues(header +
                                  "defaults: {measure: {min_iterations: 10, max_iterations: 5, "
                                  "min_time: 10s, max_time: 1s}}\n"
                                  "cases: [{name: g, benchmark: gemm, params: {n: 1}}]\n");
  issue_with(issues, "min_iterations is above max_iterations");
  issue_with(issues, "min_time is above max_time");
}

TEST_F(plan_load, missing_system_file_is_an_error_with_location) {
  const auto issue = issue_with(
      plan_issues(header +
                  "system: ../systems/nowhere.yaml\ncases: [{name: g, benchmark: gemm, params: {n: 1}}]\n"),
      "does not exist");
  EXPECT_EQ(issue.where.line, 3);
  EXPECT_EQ(issue.where.column, 9);
  EXPECT_NE(issue.message.find("nowhere.yaml"), std::string::npos);
  EXPECT_NE(issue.expected.find("relative to the plan file"), std::string::npos);
}

TEST_F(plan_load, system_path_is_relative_to_the_plan_file_not_the_working_directory) {
  write("systems/box.yaml", "schema: exacheck/system/v1\nname: box\n");
  const std::string path = write("plans/p.yaml", header +
                                                     "system: ../systems/box.yaml\n"
                                                     "cases: [{name: g, benchmark: gemm, params: {n: 1}}]\n");
  const plan p = load_plan(path, m_registry);
  EXPECT_EQ(*p.system_file, (m_dir / "systems/box.yaml").string());
}

TEST_F(plan_load, yaml_syntax_error_reports_line_and_column) {
  const auto issues = plan_issues(header + "cases: [{name: g, benchmark: gemm\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_NE(issues[0].message.find("YAML syntax error"), std::string::npos);
  EXPECT_GE(issues[0].where.line, 3);
  EXPECT_GE(issues[0].where.column, 1);
}

TEST_F(plan_load, missing_plan_file_is_an_error_naming_the_path) {
  const std::string path = (m_dir / "absent.yaml").string();
  try {
    load_plan(path, m_registry);
    FAIL() << "loaded a file that does not exist";
  } catch (const validation_error& e) {
    ASSERT_EQ(e.issues().size(), 1u);
    EXPECT_EQ(e.issues()[0].where.file, path);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
}

TEST_F(plan_load, empty_file_and_non_map_root_are_errors) {
  issue_with(plan_issues(""), "the plan file is empty");
  issue_with(plan_issues("- just\n- a list\n"), "the plan is a list, not a map");
}

TEST_F(plan_load, wrong_schema_is_the_only_error_reported) {
  const auto issues = plan_issues("schema: exacheck/plan/v2\nsize: {nodes: 1}\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].message, "unsupported schema 'exacheck/plan/v2'");
  EXPECT_EQ(issues[0].suggestion, "exacheck/plan/v1");
  issue_with(plan_issues("schema: exacheck/system/v1\nname: box\n"), "this is a system file");
}

TEST_F(plan_load, every_issue_is_collected_before_throwing_and_listed_one_per_line) {
  const std::string path = write("plan.yaml", header + R"(defaults: {backend: gpu}
cases:
  - {name: g, benchmark: gemm, params: {n: 1, dtype: fp16}}
  - {name: h, benchmark: gem, params: {n: 1}}
  - {name: i, benchmark: allreduce, params: {byts: 8}}
)");
  try {
    load_plan(path, m_registry);
    FAIL() << "an invalid plan loaded";
  } catch (const validation_error& e) {
    ASSERT_EQ(e.issues().size(), 4u);
    const std::string text = e.what();
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
    // In file order, each line starting with file:line:column.
    EXPECT_EQ(text.find(path + ":3:"), 0u);
    EXPECT_NE(text.find(path + ":5:"), std::string::npos);
    EXPECT_NE(text.find(path + ":6:"), std::string::npos);
    EXPECT_NE(text.find(path + ":7:"), std::string::npos);
  }
}

}  // namespace
}  // namespace exacheck
