#pragma once
// How `exacheck report` reads run.json: only what the analysis and the reports read is built. At 2,100 GPUs
// run.json is tens of MB, most of it the rank records' samples and the old analysis; building them as a
// document only to drop them cost as much as the rest of the command.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace exacheck {

// run.json as `exacheck report` reads it.
struct run_for_report {
  // The document without the members of the rank records (cases[].results[].ranks[]) that neither the
  // analysis nor any report reads — "samples", "correctness", "warnings", "skipped", "backend", and a v1
  // file's "statistics" — and without "analysis" when that is an object (`report` computes it again).
  nlohmann::json run;
  bool had_analysis = false;             // run.json held an "analysis" object
  std::uint64_t analysis_digest = 0;     // json_digest of it (harness/files.hpp), read without building it
  nlohmann::json analysis_rules;         // its "rules" (the plan's `outliers:`), null when it had none
};

// Reads the run.json at `path` whole (every byte is parsed: a file that is not JSON is refused, see
// parse_json_file) and builds what run_for_report says. tests/unit/test_report_filter.cpp renders every report
// from this and from the whole document and compares them: a report that starts reading one of the members
// left out must take it off the list in run_read.cpp.
run_for_report read_run_for_report(const std::string& path);

}  // namespace exacheck
