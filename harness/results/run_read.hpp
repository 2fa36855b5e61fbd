#pragma once
// How `exacheck report` reads run.json: only what the analysis and the reports read is built. At 2,100 GPUs
// run.json is ~100 MB, most of it the rank records' samples and correctness and the old analysis; building
// them as a document only to drop them cost as much as the rest of the command, and even lexing them did.
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
  bool had_analysis = false;          // run.json held an "analysis" object
  std::uint64_t analysis_digest = 0;  // analysis_text_digest of it, taken from its text
  nlohmann::json analysis_rules;      // its "rules" (the plan's `outliers:`), null when it had none
};

// Reads the run.json at `path` and builds what run_for_report says. The members left out are passed over in
// the text (harness/io/json_stream.hpp skippable_file): their strings must be closed and their brackets
// matched, nothing more; everything else is parsed. A file that is not JSON is refused as parse_json_file
// refuses it (usage_error with path:line:column). tests/unit/test_report_filter.cpp renders every report
// from this and from the whole document and compares them: a report that starts reading one of the members
// left out must take it off the list in run_read.cpp.
run_for_report read_run_for_report(const std::string& path);

// A digest of an analysis object's members other than "rules", each as its key and its text as exacheck
// writes it (nlohmann's compact dump): the same as read_run_for_report takes from a run.json that exacheck
// wrote with this analysis, so that `report` rewrites run.json only when the analysis changed. Another text
// of the same values (indented, another number format) reads as changed: a harmless rewrite.
std::uint64_t analysis_text_digest(const nlohmann::json& analysis);

}  // namespace exacheck
