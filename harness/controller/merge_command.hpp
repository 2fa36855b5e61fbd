#pragma once
// `exacheck report --merge RUN_DIR… --out DIR`: runs of one plan on different nodes analysed as one fleet
// (harness/results/run_merge.hpp merges them; docs/reading-a-report.md "One fleet from many runs").
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace exacheck {

struct merge_report_options {
  std::vector<std::string> run_dirs;
  std::string out_dir;                        // where the merged run.json and reports go
  std::optional<std::string> expected_nodes;  // a Slurm host list: node[001-004]
  std::optional<std::string> expected_file;   // one host (or host list) per line, '#' comments
  std::optional<double> z_threshold;          // overrides the runs' rules
  std::string prom_textfile;  // --prom-textfile: metrics.prom also published there ("" → not)
  std::vector<std::string> command_line;
};

// RUN_DIR/run.json parsed and upgraded to today's schema. Throws usage_error when it is missing, of an
// unknown schema, or malformed (run_document_problem).
nlohmann::json read_run_document(const std::string& run_dir);

// The runs merged (merge_runs) and analysed with the first run's rules, z threshold overridden when given;
// nothing is written. Throws usage_error for runs that cannot be merged and for a bad expected set.
nlohmann::json merged_analysed_run(const merge_report_options& options);

// Merges, analyses, writes DIR/run.json and every report from it, holding DIR's lock. DIR must not be one of
// the runs, nor hold a run that is not a merge. Returns the merged verdict's exit code (0, 1, 3, 130), 2 for
// a usage error.
int report_merged(const merge_report_options& options);

}  // namespace exacheck
