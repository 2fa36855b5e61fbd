#pragma once
// Plan and system files (YAML, schema-versioned): the model, loading with strict validation, and expansion
// into the cases a run launches. See docs/plan-schema.md.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/errors.hpp"
#include "harness/core/measure.hpp"
#include "harness/core/param_spec.hpp"
#include "harness/core/result.hpp"
#include "harness/core/units.hpp"
#include "harness/plan/hosts.hpp"
#include "harness/plan/outlier_rules.hpp"
#include "harness/plan/reference_point.hpp"

namespace exacheck {

class registry;

// `ranks: all` (and `exacheck run --ranks all`): every task of the Slurm allocation, or for mpirun outside
// one the slots of the hosts it is given. The controller replaces it with the number before anything else
// reads a case's ranks (harness/controller/launch_layout.hpp).
inline constexpr int all_ranks = -1;

// A bound of a reference's tolerance: relative ("-5%") or absolute (-20, in the reference's unit).
struct tolerance {
  double amount = 0.0;
  bool percent = true;
};

// A system file's reference: benchmark, metric, where (the parameter values a point must have), value and
// unit (the metric's, or one of the same quantity), and how far from the value a result may be.
struct reference : reference_point {
  std::optional<tolerance> lower, upper;  // absent: unbounded on that side
  std::optional<better> better_is;        // absent: the metric's own direction
  std::string source;                     // provenance: "contract annex B, 2025-03"
  source_location where_defined;
  // Where its keys are written ("benchmark", "metric", "unit", "where", and "where.<key>" for each key of
  // `where`), so that checks against the suites and the plan name the exact spot.
  std::map<std::string, source_location> located;
};

struct system_spec {
  std::string file;  // absolute path, "" when the plan names none
  std::string name;
  int nodes = 1;
  int gpus_per_node = 0;
  nlohmann::json peak_per_gpu =
      nlohmann::json::object();  // as written: {fp64: 34, ..., unit: TFLOP/s, hbm: ...}
  std::vector<reference> references;
};

struct case_spec {
  std::string name;
  std::string benchmark;
  std::vector<std::string> tags;
  // name → one value, or a list (a sweep); {from, to, factor} ranges are already expanded into lists;
  // bytes and durations are normalised (integers of bytes, seconds).
  nlohmann::json params = nlohmann::json::object();
  std::optional<int> ranks;  // all_ranks for `all`
  std::optional<int> ranks_per_node;
  std::optional<host_set> hosts;  // `hosts:` or `hostfile:` (mpirun only)
  std::optional<int> cpus_per_node;
  std::optional<std::vector<std::string>> launcher_args;
  std::optional<double> timeout_s;
  std::optional<int> launch_retries;
  int repeats = 1;
  std::optional<std::string> backend;   // auto | cpu | cuda
  std::optional<std::string> launcher;  // local | mpirun | srun
  std::optional<bool> verify;
  std::optional<bool> allow_gpu_sharing;
  nlohmann::json measure = nlohmann::json::object();  // overrides of measure_settings keys
  source_location where;
};

struct plan_defaults {
  std::string backend = "auto";
  std::string launcher = "mpirun";
  int ranks = 1;           // all_ranks for `all`
  int ranks_per_node = 0;  // 0: all ranks on this node
  host_set hosts;          // empty: mpirun's ranks go where the allocation (or this node) puts them
  int cpus_per_node = 0;   // the hosts' CPUs (outside Slurm); 0: unknown
  std::vector<std::string> launcher_args;  // added to the launcher's argv before the worker's
  double timeout_s = 600;
  // A launch that failed before any rank began measuring (the launch itself, MPI_Init) is run again this many
  // times, after a short pause; a failure after measuring began is never retried (docs/plan-schema.md).
  int launch_retries = 1;
  bool verify = true;
  bool allow_gpu_sharing =
      false;  // more ranks than GPUs on a node share them (round-robin) instead of an error
  measure_settings measurement;
};

struct plan {
  std::string file;    // absolute path
  std::string sha256;  // of the file's bytes, for provenance
  std::string name;
  std::string description;
  std::optional<std::string> system_file;  // resolved relative to the plan file
  plan_defaults defaults;
  std::vector<case_spec> cases;
  // `outliers:` (fleet-outlier rules of the run's analysis); unset: the defaults of reports::outlier_rules.
  std::optional<reports::outlier_rules> outliers;
};

// One worker launch: a case at one point of its outer sweep (swept_inside_worker parameters stay lists).
struct expanded_case {
  std::string id;  // stable: "<name>-<8 hex of hash(name, params, repeat)>"
  std::string name;
  std::string benchmark;
  std::vector<std::string> tags;
  nlohmann::json params = nlohmann::json::object();  // every declared parameter, defaults filled in
  int repeat_index = 0;
  int ranks = 1;  // all_ranks until the controller lays the case out
  int ranks_per_node = 0;
  host_set hosts;
  int cpus_per_node = 0;
  std::vector<std::string> launcher_args;
  double timeout_s = 600;
  int launch_retries = 1;  // plan_defaults::launch_retries
  std::string backend = "auto";
  std::string launcher = "mpirun";
  bool verify = true;
  bool allow_gpu_sharing =
      false;  // more ranks than GPUs on a node share them (round-robin) instead of an error
  measure_settings measurement;
};

// Loading validates strictly and throws validation_error with every issue (file:line:column, expected,
// did-you-mean). Unknown benchmarks and parameters are checked against `suites`.
plan load_plan(const std::string& path, const registry& suites);
// Without `suites`, a system file's references are checked for form only (keys, numbers, tolerances). With
// them, also against the benchmarks: a known benchmark, one of its metrics, `where:` keys that are its
// parameters with valid values (normalised as in plans: 64MiB → bytes), and a unit of the metric's quantity.
system_spec load_system(const std::string& path);
system_spec load_system(const std::string& path, const registry& suites);

struct case_filter {
  std::vector<std::string> tags;   // any of these tags (empty: all)
  std::vector<std::string> names;  // any of these case names (empty: all)
};

// Cartesian product of every listed parameter except swept_inside_worker ones, times repeats, filtered.
std::vector<expanded_case> expand(const plan& p, const registry& suites, const case_filter& filter = {});

// Whether every value of a reference's `where` is the point's (its parameters as measured) or, where the
// worker recorded a parameter resolved, the one `requested` (the launch's parameters, as the plan gave them)
// has.
bool where_matches_point(const nlohmann::json& where, const nlohmann::json& point,
                         const nlohmann::json& requested = nlohmann::json());

// The references that apply to a measured point, most specific first (most `where` keys matched); `requested`
// as for where_matches_point.
std::vector<const reference*> matching_references(const system_spec& system, const std::string& benchmark,
                                                  const std::string& metric, const nlohmann::json& point,
                                                  const nlohmann::json& requested = nlohmann::json());

}  // namespace exacheck
