#pragma once
// `exacheck compare`: a run against a baseline (another run, or a vendor reference file), metric by metric
// and GPU by GPU. Matching is by what was measured (benchmark + point parameters + metric), never by case id,
// so renamed cases and reordered plans still compare. The result is compare.json (docs/reading-a-report.md
// "Comparing two runs"); reports/render/compare_markdown.cpp renders it.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace exacheck {

// One GPU's value of a metric (a CPU rank stands for its device on a CPU run).
struct device_value {
  std::string host;
  std::string gpu;     // the device index as text; a CPU rank's local rank; "" when unknown
  std::string uuid;    // "" when the device has none (CPU)
  std::string serial;  // "" when NVML did not tell it
  double value = 0;    // NaN when the measurement is not valid (NaN, infinite or zero)
};

// One (benchmark, point, metric) of a run or of a reference file.
struct comparable_metric {
  std::string benchmark, metric;
  nlohmann::json params = nlohmann::json::object();  // run: the point's parameters; reference: its `where`
  std::string unit;
  std::string better = "higher";      // "higher" | "lower"
  bool per_gpu = true;                // rank-scoped: `value` is the median over devices; else a global value
  double value = 0;                   // NaN when there is no valid value
  int ranks = 0;                      // how many ranks measured it (0: unknown)
  std::vector<device_value> devices;  // per_gpu only; repeats of a case pooled
  nlohmann::json distribution = nlohmann::json();  // reference only: its per_gpu {count, min, …} or null
  std::string source;                              // "case gemm (gemm-3f9c1a7e)", "ref.yaml:12:5"
};

// Every metric of a run with its per-GPU median (rank-scoped metrics, devices from run.json "analysis" when
// present, else one per rank) or its global value; repeats of one point are pooled.
std::vector<comparable_metric> comparable_metrics_of_run(const nlohmann::json& run);

// A value counts when it is finite and not zero (fail closed, as the verdicts do).
bool is_valid_value(double value);

// The verdict of one value against its baseline: REGRESSION when it is worse than `tolerance_pct` in the
// direction of `better`, IMPROVEMENT when better by more, SAME within (the edge included), NEW when the
// baseline has no valid value; a current value that is not valid is a REGRESSION.
struct judgement {
  std::optional<double> delta_pct;  // (current − baseline) / |baseline| × 100
  std::string verdict;
  std::string note;
};
judgement judge(double current, double baseline, const std::string& better, double tolerance_pct);

// Parses "5%", "5" or "0.5 %" into percent; throws usage_error otherwise (negative included).
double parse_tolerance_pct(const std::string& text);

// Whether a baseline's parameters select a run point: every key of `where` is in `params` with an equal value
// (numbers by value, so 8192 matches 8192.0). `exact`: the key sets must also be the same.
bool params_match(const nlohmann::json& where, const nlohmann::json& params, bool exact);

// compare.json (schema exacheck/compare/v1). `exact_params`: run against run (points must be the same);
// false for a reference file, whose `where` may name a subset. A node, GPU, point or metric of the baseline
// that this run did not measure is MISSING, named in "missing", and fails the comparison (exit code 1) unless
// `allow_missing`. `current_info` and `baseline_info` describe both sides for the report (kind, path, plan,
// dates, provenance).
nlohmann::json compare_metrics(const std::vector<comparable_metric>& current,
                               const std::vector<comparable_metric>& baseline, double tolerance_pct,
                               bool exact_params, bool allow_missing, const nlohmann::json& current_info,
                               const nlohmann::json& baseline_info);

// ---- the subcommands (harness/compare/compare_command.cpp) ----

struct compare_options {
  std::string run_dir;
  std::string baseline;  // a run directory, a run.json, or a reference file (YAML)
  std::string tolerance = "5%";
  std::string out_dir;         // default: run_dir
  bool allow_missing = false;  // what the baseline has and this run lacks is reported, not failed
};
// Prints the comparison, writes compare.md and compare.json; returns 1 when any REGRESSION or (unless
// allow_missing) anything of the baseline is MISSING, else 0. Usage
// errors (a missing directory, a file that is no run or reference) throw usage_error or validation_error.
int run_compare(const compare_options& options);

struct export_reference_options {
  std::string run_dir;
  std::string out_file;
  std::string organisation;  // --who
  std::string contact;
  std::string notes;
};
// Writes a reference file (schema exacheck/reference/v1) with the run's per-GPU medians and provenance. The
// file is loaded with the reference-file loader before it is renamed to `out_file`: when it would not load,
// nothing is written there and std::runtime_error names what was wrong (exit code 3).
int run_export_reference(const export_reference_options& options);

}  // namespace exacheck
