#pragma once
// The datasheet peak of a point, from the system file's peak_per_gpu and the keys the benchmark's suite
// declares (suite::peak_rules, harness/core/peak_rules.hpp), and the `pct_of_peak` metric the controller adds
// next to `tflops` on every rank (docs/formulas.md). A point with no matching peak gets no such metric.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/peak_rules.hpp"
#include "harness/core/registry.hpp"

namespace exacheck {

struct system_spec;

// The peak_per_gpu keys a point's rate is judged against, preferred first, as the suite that runs `benchmark`
// declares them; empty when none applies or no suite of `suites` runs it.
std::vector<std::string> peak_keys_for(std::string_view benchmark, const nlohmann::json& point_params,
                                       const registry& suites = registry::instance());

// The first of peak_keys_for() that `peak_per_gpu` has as a number; nullopt when it has none of them.
std::optional<std::string> peak_key_for(std::string_view benchmark, const nlohmann::json& point_params,
                                        const nlohmann::json& peak_per_gpu,
                                        const registry& suites = registry::instance());

// A resolved peak: its key, its value, and the unit of peak_per_gpu (its `unit` entry).
struct datasheet_peak {
  std::string key;
  double value = 0;
  std::string unit;
};

// The peak for a point, when the system has one with a unit that converts to and from `metric_unit`.
std::optional<datasheet_peak> find_peak(std::string_view benchmark, const nlohmann::json& point_params,
                                        const nlohmann::json& peak_per_gpu, const std::string& metric_unit,
                                        const registry& suites = registry::instance());

// Adds to every rank of every point in `results` (run.json's point-major "results") that reports `tflops` a
// `pct_of_peak` metric: 100 · tflops / peak (the tflops value converted to the peak's unit), unit "%", better
// higher, the tflops metric's statistic, a description naming the key, value and system. Nothing happens
// without a system, or for points whose peak is missing.
void add_pct_of_peak(nlohmann::json& results, std::string_view benchmark, const system_spec* system,
                     const registry& suites = registry::instance());

}  // namespace exacheck
