#pragma once
// Which datasheet peak a measured rate is a fraction of, as the benchmark's suite declares it
// (suite::peak_rules): a point's parameters name keys of the system file's peak_per_gpu
// (configs/systems/*.yaml), and the controller adds a `pct_of_peak` metric next to `tflops` on every rank
// (harness/results/peak_table.hpp, docs/formulas.md). A benchmark without rules gets no such metric.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/metric_spec.hpp"

namespace exacheck {

class suite;

// Points whose parameters have every value in `where` ({"dtype": "fp64"}, {"engine": "tensor_core", "dtype":
// "tf32"}) are judged against the peak_per_gpu keys `keys`, preferred first.
struct peak_rule {
  nlohmann::json where = nlohmann::json::object();
  std::vector<std::string> keys{};
};

// The keys of the first rule whose `where` the point's parameters match; empty when none does.
std::vector<std::string> peak_keys(const std::vector<peak_rule>& rules, const nlohmann::json& point_params);
std::vector<std::string> peak_keys(const suite& s, std::string_view benchmark,
                                   const nlohmann::json& point_params);

// Name of the metric whose value is divided by the peak, and of the metric added.
inline constexpr std::string_view peak_rate_metric = "tflops";
inline constexpr std::string_view pct_of_peak_metric = "pct_of_peak";

// The metrics a benchmark's points can carry in run.json: the suite's own (suite::metrics), then the one the
// controller derives from the system file — pct_of_peak next to tflops, for benchmarks whose suite declares
// peak rules.
std::vector<metric_spec> reported_metrics(const suite& s, std::string_view benchmark);

}  // namespace exacheck
