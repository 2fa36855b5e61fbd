#pragma once
// A suite declares its metrics as data, as it does its parameters: `exacheck list`, the validation of system
// files' references and of plans' spread rules, and the "committed, not measured" check all read this one
// table. Every metric a benchmark reports must be declared here with the same unit, direction, statistic and
// scope (tests/unit/test_metric_declarations.cpp runs every suite and compares).
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/result.hpp"

namespace exacheck {

// Every member has a default, so that designated initialisers may name only what differs.
struct metric_spec {
  std::string name{};  // as reported and as references and spread rules name it: "tflops"
  std::string unit{};  // SI, as reported: "TFLOP/s", "GB/s", "us"
  better better_is = better::higher;
  std::string statistic{};  // how the value is taken from the samples: "median", "best_excluding_first"
  metric_scope scope = metric_scope::rank;
  std::string description{};  // one line, for `exacheck list`
  // When the metric is reported: at every measured point unless these narrow it down.
  nlohmann::json only_where = nlohmann::json::object();  // parameter values the point must have
  std::vector<std::string> backends{};                   // the backends that report it; empty: every one
  int min_ranks = 1;                                     // fewer ranks: not reported
  // Added by the controller from the system file (pct_of_peak), not by the benchmark itself.
  bool derived = false;
};

const metric_spec* find_metric_spec(const std::vector<metric_spec>& specs, std::string_view name);

// The metric's names, in declaration order (for "expected one of" texts and did-you-means).
std::vector<std::string> metric_names(const std::vector<metric_spec>& specs);

// "only where direction = d2d; cuda backend; 2 or more ranks", or "" when reported at every point.
std::string reporting_condition(const metric_spec& spec);

// Whether a point with `params` (every value a scalar) is one where the metric is reported, by `only_where`
// (backends and ranks aside).
bool reported_where(const metric_spec& spec, const nlohmann::json& params);

}  // namespace exacheck
