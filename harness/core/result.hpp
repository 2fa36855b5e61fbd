#pragma once
// What a benchmark measures, as records: reporters render these and never compute.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/enum_names.hpp"
#include "harness/core/param_spec.hpp"
#include "harness/core/statistics.hpp"

namespace exacheck {

enum class better { higher, lower };
inline constexpr std::array<enum_name<better>, 2> better_names{
    {{better::higher, "higher"}, {better::lower, "lower"}}};
std::string_view to_string(better value);
std::optional<better> better_from_string(std::string_view text);

struct metric {
  std::string name;  // "tflops", "busbw", "triad_bandwidth", "latency"
  double value = 0.0;
  std::string unit;       // SI: "TFLOP/s", "GB/s", "us", "s"
  std::string statistic;  // how `value` was taken from the samples: "median", "best_excluding_first", ...
  better better_is = better::higher;
  std::string description;
};

// Named per-iteration samples, e.g. {"time", "s", [...]}.
struct sample_series {
  std::string name;
  std::string unit;
  std::vector<double> values;
};

struct correctness {
  bool checked = false;  // false only with a reason (e.g. verification disabled in the plan)
  bool passed = false;
  std::string method;  // "sampled entries vs long double reference", "exact integer sum", ...
  std::string detail;  // e.g. "max relative error 3.1e-15 at (12, 40), tolerance 1e-10"
};

// A point's check when the plan turned verification off (`verify: false`): not checked, and why, in the
// words every suite records.
inline correctness not_verified_by_plan() {
  return {.checked = false,
          .passed = false,
          .method = "not verified",
          .detail = "verification disabled in the plan"};
}

// The rank whose median time per iteration was the highest (global points: collectives), named so that a
// slow rank or host can be found; its median relative to the median over ranks of each rank's median.
struct slowest_rank_record {
  int rank = -1;
  std::string host;
  double median_s = 0;                  // that rank's median time per call
  double median_of_rank_medians_s = 0;  // the median over ranks of each rank's median
  double ratio = 0;                     // median_s / median_of_rank_medians_s (≥ 1)
};

// Scope of a point's metrics: per rank (every rank is a device: gemm, membw, flops), per node (every rank of
// a node reports its node's value: copybw's p2p matrix) or global (the same value on every rank, already
// reduced across ranks: collectives). Rank and node values are judged rank by rank alike; only the analysis
// tells them apart (a node's value is never compared GPU against GPU, nor repeated per rank in results.csv).
enum class metric_scope { rank, node, global };
inline constexpr std::array<enum_name<metric_scope>, 3> metric_scope_names{
    {{metric_scope::rank, "rank"}, {metric_scope::node, "node"}, {metric_scope::global, "global"}}};

// One parameter point measured by one rank.
struct point_result {
  // The point's identity: every declared parameter as the plan asked for it (defaults filled in, a sweep
  // inside the worker expanded to this point's value). Compare, references, Prometheus series, JUnit names
  // and check keys all match points on it, so nothing measured or sized at run time belongs here.
  param_values params = nlohmann::json::object();
  // What the suite derived or sized while it ran (flops' auto-sized inner_iterations, its isa and threads;
  // the bytes a collective actually moved; the array size STREAM used): recorded, shown, never an identity.
  // A key named like a parameter is the value used in its place (docs/run-json.md "derived").
  nlohmann::json derived = nlohmann::json::object();
  metric_scope scope = metric_scope::rank;
  std::vector<metric> metrics;
  std::vector<sample_series> samples;
  correctness check;
  std::optional<std::string> skipped_reason;        // set: nothing measured, the reason why (SKIPPED)
  std::vector<std::string> warnings;                // e.g. "measurement hit max_time before the noise target"
  std::optional<slowest_rank_record> slowest_rank;  // set by suites that time every rank of one collective
  // The group of the launch's ranks that measured the point, when a collective ran as independent copies
  // (harness/node/rank_groups.hpp: id, kind, round, hosts, ranks); null when it ran on every rank.
  nlohmann::json group;
};

void to_json(nlohmann::json& out, const metric& value);
void from_json(const nlohmann::json& in, metric& value);
void to_json(nlohmann::json& out, const sample_series& value);
void from_json(const nlohmann::json& in, sample_series& value);
void to_json(nlohmann::json& out, const correctness& value);
void from_json(const nlohmann::json& in, correctness& value);
void to_json(nlohmann::json& out, const slowest_rank_record& value);
void from_json(const nlohmann::json& in, slowest_rank_record& value);
void to_json(nlohmann::json& out, const point_result& value);
void from_json(const nlohmann::json& in, point_result& value);

}  // namespace exacheck
