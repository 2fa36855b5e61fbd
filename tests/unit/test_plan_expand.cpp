// Expanding a plan into worker launches (defaults, sweeps, repeats, ids, filters) and matching references.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "harness/plan/plan.hpp"
#include "harness/core/stable_hash.hpp"
#include "plan_test_support.hpp"

namespace exacheck {
namespace {

const std::string header = "schema: exacheck/plan/v1\nname: test\n";

class plan_expand : public testing::plan_files {
 protected:
  std::vector<expanded_case> expand_yaml(const std::string& yaml, const case_filter& filter = {}) {
    return expand(load(yaml), m_registry, filter);
  }
};

TEST_F(plan_expand, every_declared_parameter_gets_its_default) {
  const auto cases = expand_yaml(header + "cases: [{name: g, benchmark: gemm, params: {n: 512}}]\n");
  ASSERT_EQ(cases.size(), 1u);
  const auto& params = cases[0].params;
  EXPECT_EQ(params["n"], 512);
  EXPECT_EQ(params["m"], 1024);
  EXPECT_EQ(params["dtype"], "fp64");
  EXPECT_EQ(params["alpha"], 1.0);
  EXPECT_EQ(params["transpose"], false);
  EXPECT_EQ(params["settle"], 0.5);
  EXPECT_EQ(params["workspace"], 1 << 20);
  EXPECT_EQ(params.size(), 7u);
}

TEST_F(plan_expand, list_parameters_form_a_cartesian_product_first_declared_varies_slowest) {
  const auto cases = expand_yaml(
      header + "cases: [{name: g, benchmark: gemm, params: {n: [1, 2, 3], dtype: [fp64, fp32]}}]\n");
  ASSERT_EQ(cases.size(), 6u);
  // dtype is declared before n: each dtype runs every n.
  const std::vector<std::pair<std::string, int>> expected = {{"fp64", 1}, {"fp64", 2}, {"fp64", 3},
                                                             {"fp32", 1}, {"fp32", 2}, {"fp32", 3}};
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(cases[i].params["dtype"], expected[i].first);
    EXPECT_EQ(cases[i].params["n"], expected[i].second);
    EXPECT_EQ(cases[i].name, "g");
    EXPECT_EQ(cases[i].benchmark, "gemm");
  }
}

TEST_F(plan_expand, swept_inside_worker_parameter_stays_one_launch_with_a_list) {
  const auto cases =
      expand_yaml(header +
                  "cases: [{name: a, benchmark: allreduce, params: {bytes: {from: 8, to: 64, factor: 2}, "
                  "dtype: [int32, fp64]}}]\n");
  ASSERT_EQ(cases.size(), 2u);  // dtype is an outer sweep, the sizes run inside one worker
  for (const auto& c : cases) EXPECT_EQ(c.params["bytes"], nlohmann::json({8, 16, 32, 64}));
  EXPECT_EQ(cases[0].params["dtype"], "int32");
  EXPECT_EQ(cases[1].params["dtype"], "fp64");
}

TEST_F(plan_expand, swept_inside_worker_scalar_and_default_are_wrapped_into_lists) {
  const auto given =
      expand_yaml(header + "cases: [{name: a, benchmark: allreduce, params: {bytes: 1GiB}}]\n");
  EXPECT_EQ(given.at(0).params["bytes"], nlohmann::json::array({1ull << 30}));
  const auto defaulted = expand_yaml(header + "cases: [{name: a, benchmark: allreduce}]\n");
  EXPECT_EQ(defaulted.at(0).params["bytes"], nlohmann::json::array({1 << 20}));
}

TEST_F(plan_expand, repeats_multiply_launches_with_distinct_ids_and_repeat_index) {
  const auto cases =
      expand_yaml(header + "cases: [{name: g, benchmark: gemm, params: {n: [1, 2]}, repeats: 3}]\n");
  ASSERT_EQ(cases.size(), 6u);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(cases[i].repeat_index, static_cast<int>(i % 3));
    EXPECT_EQ(cases[i].params["n"], i < 3 ? 1 : 2);
    ids.insert(cases[i].id);
  }
  EXPECT_EQ(ids.size(), 6u);
}

TEST_F(plan_expand, ids_are_name_and_eight_hex_digits_and_stable_across_loads) {
  const std::string yaml = header +
                           "cases:\n  - {name: g, benchmark: gemm, params: {n: [1, 2]}}\n"
                           "  - {name: a, benchmark: allreduce}\n";
  const auto first = expand_yaml(yaml);
  const auto second = expand_yaml(yaml);
  ASSERT_EQ(first.size(), 3u);
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_TRUE(std::regex_match(first[i].id, std::regex(first[i].name + "-[0-9a-f]{8}"))) << first[i].id;
    EXPECT_EQ(first[i].id, second[i].id);
  }
  EXPECT_NE(first[0].id, first[1].id);
  // The id depends on what is measured, not on the case's position in the file.
  const auto reordered = expand_yaml(header +
                                     "cases:\n  - {name: a, benchmark: allreduce}\n"
                                     "  - {name: g, benchmark: gemm, params: {n: [1, 2]}}\n");
  EXPECT_EQ(reordered[0].id, first[2].id);
  EXPECT_EQ(reordered[1].id, first[0].id);
}

TEST(stable_hash, fnv1a_64_gives_the_published_test_vectors) {
  // Landon Curt Noll's FNV test vectors: what every build must give, whatever its standard library.
  EXPECT_EQ(fnv1a_64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a_64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a_64("foobar"), 0x85944171f73967e8ull);
  EXPECT_EQ(fnv1a_64("bar", fnv1a_64("foo")), fnv1a_64("foobar"));  // continues from a state
}

TEST(stable_hash, a_cases_input_seed_is_the_low_32_bits_of_the_fnv1a_64_of_its_id) {
  EXPECT_EQ(case_input_seed("foobar"), 0xf73967e8u);
  EXPECT_EQ(case_input_seed("a"), 0x8601ec8cu);
}

TEST_F(plan_expand, case_settings_override_plan_defaults) {
  const auto cases =
      expand_yaml(header + R"(defaults: {backend: cpu, launcher: local, ranks: 4, ranks_per_node: 2,
           timeout: 5m, verify: false}
cases:
  - {name: g, benchmark: gemm, params: {n: 1}}
  - {name: h, benchmark: gemm, params: {n: 1}, backend: cuda, launcher: srun, ranks: 8, ranks_per_node: 4,
     timeout: 30s, verify: true}
)");
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_EQ(cases[0].backend, "cpu");
  EXPECT_EQ(cases[0].launcher, "local");
  EXPECT_EQ(cases[0].ranks, 4);
  EXPECT_EQ(cases[0].ranks_per_node, 2);
  EXPECT_DOUBLE_EQ(cases[0].timeout_s, 300);
  EXPECT_FALSE(cases[0].verify);
  EXPECT_EQ(cases[1].backend, "cuda");
  EXPECT_EQ(cases[1].launcher, "srun");
  EXPECT_EQ(cases[1].ranks, 8);
  EXPECT_EQ(cases[1].ranks_per_node, 4);
  EXPECT_DOUBLE_EQ(cases[1].timeout_s, 30);
  EXPECT_TRUE(cases[1].verify);
}

TEST_F(plan_expand, case_measure_settings_merge_onto_the_plan_defaults) {
  const auto cases = expand_yaml(header + R"(defaults: {measure: {warmup_iterations: 7, max_time: 3s}}
cases:
  - {name: g, benchmark: gemm, params: {n: 1}, measure: {max_time: 1s, min_iterations: 2}}
  - {name: h, benchmark: gemm, params: {n: 1}}
)");
  const measure_settings builtin;
  EXPECT_EQ(cases[0].measurement.warmup_iterations, 7);                    // from the plan
  EXPECT_DOUBLE_EQ(cases[0].measurement.max_time_s, 1);                    // from the case
  EXPECT_EQ(cases[0].measurement.min_iterations, 2);                       // from the case
  EXPECT_EQ(cases[0].measurement.max_iterations, builtin.max_iterations);  // built-in default
  EXPECT_DOUBLE_EQ(cases[1].measurement.max_time_s, 3);
  EXPECT_EQ(cases[1].measurement.min_iterations, builtin.min_iterations);
}

TEST_F(plan_expand, filters_select_cases_by_any_tag_or_name) {
  const std::string yaml = header + R"(cases:
  - {name: g1, benchmark: gemm, params: {n: 1}, tags: [compute, nightly]}
  - {name: g2, benchmark: gemm, params: {n: 1}, tags: [compute]}
  - {name: a, benchmark: allreduce, tags: [network]}
)";
  const auto names_of = [](const std::vector<expanded_case>& cases) {
    std::vector<std::string> names;
    for (const auto& c : cases) names.push_back(c.name);
    return names;
  };
  EXPECT_EQ(names_of(expand_yaml(yaml)), (std::vector<std::string>{"g1", "g2", "a"}));
  EXPECT_EQ(names_of(expand_yaml(yaml, {{"nightly", "network"}, {}})), (std::vector<std::string>{"g1", "a"}));
  EXPECT_EQ(names_of(expand_yaml(yaml, {{}, {"g2"}})), (std::vector<std::string>{"g2"}));
  EXPECT_EQ(names_of(expand_yaml(yaml, {{"compute"}, {"g2", "a"}})), (std::vector<std::string>{"g2"}));
  EXPECT_TRUE(expand_yaml(yaml, {{"gpu"}, {}}).empty());
}

TEST_F(plan_expand, tags_are_carried_to_every_launch) {
  const auto cases =
      expand_yaml(header + "cases: [{name: g, benchmark: gemm, params: {n: [1, 2]}, tags: [x]}]\n");
  for (const auto& c : cases) EXPECT_EQ(c.tags, std::vector<std::string>{"x"});
}

TEST_F(plan_expand, hand_built_plan_with_missing_required_parameter_or_unknown_benchmark_throws) {
  plan p;
  p.cases.push_back({});
  p.cases[0].name = "g";
  p.cases[0].benchmark = "gemm";
  try {
    expand(p, m_registry);
    FAIL() << "expanded a case without its required parameter";
  } catch (const validation_error& e) {
    EXPECT_NE(std::string(e.what()).find("parameter 'n' of benchmark 'gemm' is required"), std::string::npos);
  }
  p.cases[0].benchmark = "gemmm";
  try {
    expand(p, m_registry);
    FAIL() << "expanded an unknown benchmark";
  } catch (const validation_error& e) {
    EXPECT_EQ(e.issues().at(0).suggestion, "gemm");
  }
}

// References
// -------------------------------------------------------------------------------------------------

reference make_reference(std::string benchmark, std::string metric, nlohmann::json where, double value) {
  reference ref;
  ref.benchmark = std::move(benchmark);
  ref.metric = std::move(metric);
  ref.where = std::move(where);
  ref.value = value;
  return ref;
}

TEST(matching_references, match_by_benchmark_metric_and_every_where_key) {
  system_spec system;
  system.references = {make_reference("gemm", "tflops", {{"dtype", "bf16"}}, 700),
                       make_reference("gemm", "tflops", {{"dtype", "fp64"}}, 60),
                       make_reference("gemm", "gflops", {{"dtype", "bf16"}}, 1),
                       make_reference("membw", "tflops", nlohmann::json::object(), 2)};
  const auto found = matching_references(system, "gemm", "tflops", {{"dtype", "bf16"}, {"m", 8192}});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->value, 700);
  EXPECT_TRUE(matching_references(system, "gemm", "tflops", {{"dtype", "fp32"}}).empty());
  EXPECT_TRUE(matching_references(system, "allreduce", "tflops", {{"dtype", "bf16"}}).empty());
}

TEST(matching_references, most_specific_first_and_file_order_among_equals) {
  system_spec system;
  system.references = {make_reference("gemm", "tflops", nlohmann::json::object(), 1),
                       make_reference("gemm", "tflops", {{"dtype", "bf16"}}, 2),
                       make_reference("gemm", "tflops", {{"dtype", "bf16"}, {"m", 8192}}, 3),
                       make_reference("gemm", "tflops", {{"m", 8192}}, 4)};
  const auto found = matching_references(system, "gemm", "tflops", {{"dtype", "bf16"}, {"m", 8192}});
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0]->value, 3);
  EXPECT_EQ(found[1]->value, 2);
  EXPECT_EQ(found[2]->value, 4);
  EXPECT_EQ(found[3]->value, 1);
}

TEST(matching_references, numbers_compare_numerically_and_missing_keys_never_match) {
  system_spec system;
  system.references = {make_reference("allreduce", "busbw", {{"bytes", 8.0}}, 1),
                       make_reference("allreduce", "busbw", {{"ranks_per_node", 4}}, 2)};
  const auto found = matching_references(system, "allreduce", "busbw", {{"bytes", std::uint64_t{8}}});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->value, 1);
}

TEST(matching_references, a_parameter_the_worker_resolved_matches_the_value_the_plan_gave) {
  system_spec system;
  system.references = {make_reference("flops", "tflops", {{"dtype", "fp64"}, {"engine", "auto"}}, 1),
                       make_reference("allreduce", "busbw", {{"bytes", 16}}, 2)};
  const nlohmann::json point = {{"dtype", "fp64"}, {"engine", "cpu_simd"}};
  EXPECT_TRUE(matching_references(system, "flops", "tflops", point).empty());
  ASSERT_EQ(
      matching_references(system, "flops", "tflops", point, {{"dtype", "fp64"}, {"engine", "auto"}}).size(),
      1u);
  // A list swept inside the worker names no single point: bytes 8 is not bytes 16.
  EXPECT_TRUE(
      matching_references(system, "allreduce", "busbw", {{"bytes", 8}}, {{"bytes", {8, 16}}}).empty());
}

}  // namespace
}  // namespace exacheck
