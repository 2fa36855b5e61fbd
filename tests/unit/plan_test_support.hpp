#pragma once
// Test support for the plan tests: a registry with a fake suite whose benchmarks declare parameters of every
// type (so the tests do not depend on the real suites), and a temporary directory to write YAML files into.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "harness/core/errors.hpp"
#include "harness/plan/plan.hpp"
#include "harness/core/registry.hpp"
#include "harness/core/suite.hpp"

namespace exacheck::testing {

// Benchmarks: "gemm" (string enum, integers with bounds, a required integer, number, boolean, duration) and
// "allreduce" (a byte size swept inside the worker, an enum, a boolean), each with a few metrics.
class fake_suite : public suite {
 public:
  std::vector<std::string> benchmarks() const override { return {"gemm", "allreduce"}; }
  std::string description(std::string_view benchmark) const override {
    return "fake " + std::string(benchmark);
  }
  std::vector<param_spec> parameters(std::string_view benchmark) const override {
    if (benchmark == "gemm") {
      return {
          {"dtype", param_type::string, "", "fp64", {"fp64", "fp32", "bf16"}, {}, {}, false, "element type"},
          {"m", param_type::integer, "elements", 1024, {}, 1.0, 65536.0, false, "rows"},
          {"n", param_type::integer, "elements", nullptr, {}, 1.0, {}, false, "columns (required)"},
          {"alpha", param_type::number, "", 1.0, {}, {}, {}, false, "scale"},
          {"transpose", param_type::boolean, "", false, {}, {}, {}, false, "transpose A"},
          {"settle", param_type::duration, "s", 0.5, {}, 0.0, 60.0, false, "pause before timing"},
          {"workspace", param_type::bytes, "B", 1 << 20, {}, {}, {}, false, "scratch memory"},
      };
    }
    return {
        {"bytes", param_type::bytes, "B", 1 << 20, {}, 1.0, {}, true, "message size per rank"},
        {"dtype", param_type::string, "", "fp32", {"int32", "fp32", "fp64"}, {}, {}, false, "element type"},
        {"in_place", param_type::boolean, "", false, {}, {}, {}, false, "in-place operation"},
    };
  }
  // gemm: tflops and time per rank; allreduce: busbw (2 or more ranks) and time, global.
  std::vector<metric_spec> metrics(std::string_view benchmark) const override {
    if (benchmark == "gemm")
      return {{.name = "tflops", .unit = "TFLOP/s", .better_is = better::higher, .statistic = "median"},
              {.name = "time", .unit = "s", .better_is = better::lower, .statistic = "median"}};
    return {{.name = "busbw",
             .unit = "GB/s",
             .better_is = better::higher,
             .statistic = "median",
             .scope = metric_scope::global,
             .min_ranks = 2},
            {.name = "time",
             .unit = "us",
             .better_is = better::lower,
             .statistic = "median",
             .scope = metric_scope::global}};
  }
  // gemm's tflops are a fraction of the dtype's datasheet peak, as the real suite's: it gets pct_of_peak.
  std::vector<peak_rule> peak_rules(std::string_view benchmark) const override {
    if (benchmark != "gemm") return {};
    std::vector<peak_rule> rules;
    for (const char* dtype : {"fp64", "fp32", "bf16"})
      rules.push_back({.where = {{"dtype", dtype}}, .keys = {dtype}});
    return rules;
  }
  std::vector<std::string> backends() const override { return {"cpu"}; }
  std::vector<point_result> run(const run_context&, std::string_view, const param_values&) override {
    return {};
  }
};

inline registry make_fake_registry() {
  registry r;
  r.add(std::make_unique<fake_suite>());
  return r;
}

// A fresh directory per test, removed afterwards.
class plan_files : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    m_dir = std::filesystem::temp_directory_path() / ("exacheck-" + std::string(info->test_suite_name()) +
                                                      "-" + info->name() + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(m_dir);
    std::filesystem::create_directories(m_dir);
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }

  std::string write(const std::string& name, const std::string& content) {
    const auto path = m_dir / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << content;
    return path.string();
  }

  // Loads a plan expecting validation to fail, and returns the issues.
  std::vector<validation_issue> plan_issues(const std::string& yaml) {
    const std::string path = write("plan.yaml", yaml);
    try {
      load_plan(path, m_registry);
    } catch (const validation_error& e) {
      return e.issues();
    }
    ADD_FAILURE() << "the plan loaded, but validation should have failed:\n" << yaml;
    return {};
  }

  std::vector<validation_issue> system_issues(const std::string& yaml) {
    const std::string path = write("system.yaml", yaml);
    try {
      load_system(path);
    } catch (const validation_error& e) {
      return e.issues();
    }
    ADD_FAILURE() << "the system file loaded, but validation should have failed:\n" << yaml;
    return {};
  }

  // The same with the registry: references are also checked against the benchmarks' metrics and parameters.
  std::vector<validation_issue> system_issues_against_suites(const std::string& yaml) {
    const std::string path = write("system.yaml", yaml);
    try {
      load_system(path, m_registry);
    } catch (const validation_error& e) {
      return e.issues();
    }
    ADD_FAILURE() << "the system file loaded, but validation should have failed:\n" << yaml;
    return {};
  }

  plan load(const std::string& yaml) { return load_plan(write("plan.yaml", yaml), m_registry); }

  std::filesystem::path m_dir;
  registry m_registry = make_fake_registry();
};

// The one issue whose message contains `text` (fails the test when there is none).
inline validation_issue issue_with(const std::vector<validation_issue>& issues, const std::string& text) {
  for (const auto& issue : issues)
    if (issue.message.find(text) != std::string::npos) return issue;
  std::string all;
  for (const auto& issue : issues) all += "\n  " + issue.to_string();
  ADD_FAILURE() << "no issue mentions '" << text << "'; issues:" << all;
  return {};
}

}  // namespace exacheck::testing
