#pragma once
// Vendor reference files (schema exacheck/reference/v1, docs/reference-files.md): per-GPU medians of a system
// as measured by whoever publishes them, with provenance, for `exacheck compare RUN --baseline ref.yaml`.
// Loaded as strictly as plans (every problem with file:line:column); written by `exacheck export-reference`.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/compare/compare.hpp"
#include "harness/core/errors.hpp"
#include "harness/plan/reference_point.hpp"

namespace exacheck {

// An entry: benchmark, metric, where (the point's parameter values, all or some of them), value and unit, and
// what statistic of the run's the value stands for.
struct reference_entry : reference_point {
  std::string statistic = "per_gpu_median";  // per_gpu_median (rank-scoped metrics) | median (global ones)
  std::optional<std::string> better;         // higher | lower; absent: the run's metric's own direction
  nlohmann::json per_gpu = nullptr;          // {count, min, p5, median, mean, p95, max}, any of them
  source_location defined_at;
};

struct reference_file {
  std::string path;
  std::string organisation, contact;  // who measured and publishes these numbers
  std::string date;                   // YYYY-MM-DD: when they were measured
  // name, gpu_model, cpu_model, gpus, nodes, driver, cuda, cublas, nccl, mpi, exacheck_version (strings,
  // gpus/nodes integers); only name is required.
  nlohmann::json system = nlohmann::json::object();
  std::string notes;
  std::vector<reference_entry> entries;
};

// Throws validation_error listing every problem (unknown keys with a did-you-mean, bad units, numbers,
// statistics, dates, duplicate entries), each with file:line:column.
reference_file load_reference_file(const std::string& path);

// Whether `text` is a date as a reference file's `date:` must be: YYYY-MM-DD.
bool is_reference_date(const std::string& text);

// Whether the file at `path` declares `schema: exacheck/reference/v1` (or is YAML rather than JSON at all):
// how `compare --baseline` tells a reference file from a run.json.
bool looks_like_reference_file(const std::string& path);

// The entries as compare's baseline (values in their units, sources "file:line:col").
std::vector<comparable_metric> comparable_metrics_of_reference(const reference_file& reference);

// A reference file of a run: one entry per (benchmark, point, metric) with a valid value (per-GPU median with
// its per_gpu distribution, or the global value), provenance from run.json.
reference_file reference_from_run(const nlohmann::json& run, const std::string& organisation,
                                  const std::string& contact, const std::string& notes);

// The YAML text of a reference file (loads back to the same entries).
std::string reference_file_yaml(const reference_file& reference);

}  // namespace exacheck
