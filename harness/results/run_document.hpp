#pragma once
// Builds run.json (docs/run-json.md) as a run goes: header and provenance, one entry per case, summary.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/plan/plan.hpp"
#include "harness/results/case_failure.hpp"
#include "harness/results/outcome.hpp"
#include "harness/results/process_result.hpp"

namespace exacheck {

// The schema run.json is written in, and the one every reader expects once the document has gone through
// upgrade_run_document. v3: the run lists each device once (`devices`) and a rank record names its device by
// position there (`"device": 3`); a point lists its metrics' descriptors once (`metrics`), a rank record
// holds only their numbers (`values`); no per-rank `statistics` (docs/run-json.md).
inline constexpr std::string_view run_schema = "exacheck/run/v3";
// v2: as v3 with each rank record's device object in the record itself (at 2,100 GPUs a fifth of run.json,
// the same object 60 times per GPU). Still read, through upgrade_run_document.
inline constexpr std::string_view run_schema_v2 = "exacheck/run/v2";
// v1: as v2 with every rank record carrying a `metrics` list (name, value, unit, statistic, better,
// description) and a `statistics` object. Still read, through upgrade_run_document.
inline constexpr std::string_view run_schema_v1 = "exacheck/run/v1";

// Lists each rank record's device once, in the run's `devices`, and makes the record name it by position
// (run.json v3). Records that name a position already are left as they are; equal device objects share one
// entry. Called before every write of run.json; a document in memory may hold both forms in between
// (rank_device reads either).
void store_devices_once(nlohmann::json& run);

// Brings a parsed run.json to `run_schema` in place: an exacheck/run/v1 or v2 document is converted (true is
// returned: it differs from its file); a v3 one, or anything else, is left as it is (false) — the caller
// then checks `schema` and names what it got. In any document, derived values an older exacheck wrote into
// a point's `params` (flops' inner_iterations, isa, threads; a collective's moved bytes beside
// requested_bytes; membw's array_bytes_used) move to the point's `derived`, and the params of its checks
// and analysis entries become the same identity (point_identity.hpp); that counts as converted. An
// `analysis` in the old per-GPU-object form is made compact in any document (upgrade_analysis_v1),
// which alone does not count as converted. Called right after every parse of a run.json, so that every
// reader knows today's form only. Tolerant of what a filtered parse left out
// (read_run_for_report).
bool upgrade_run_document(nlohmann::json& run);

// The first place where a parsed (and upgraded) run.json is not the shape its readers rely on, as
// ".cases[3].results[0].ranks is a string, where a list is expected", or nullopt when there is none. A member
// that is present must have its type (docs/run-json.md); an absent one is left to the readers' defaults, and
// unknown members are ignored. `.analysis` is only checked to be an object (`report` recomputes it).
// `exacheck report`, `compare` and `export-reference` refuse a document with a problem (exit 2) rather than
// render part of it or write it back with less than it had. harness/run_document_check.cpp.
std::optional<std::string> run_document_problem(const nlohmann::json& run);

// Adds one worker-form metric list (a point_result's `metrics`: name, value, unit, statistic, better,
// description per entry) to a run.json point and one of its rank records: the descriptors go to the point's
// `metrics` (once per name, in first-seen order), the numbers to the rank's `values` (null when not a
// number).
void add_rank_metrics(nlohmann::json& point, nlohmann::json& rank, const nlohmann::json& metrics);

// The descriptor of metric `name` in a point's `metrics`, or nullptr.
const nlohmann::json* metric_descriptor(const nlohmann::json& point, std::string_view name);

nlohmann::json make_run_header(const plan& p, const system_spec* system,
                               const std::vector<std::string>& command_line);

// The case entry before it runs: identity, parameters, command; status "pending".
nlohmann::json make_case_entry(const expanded_case& c, const std::vector<std::string>& command);

// Fills a case entry from how its worker launch ended and the worker's result file (absent when it crashed).
// The result is accounted for first (harness/results/result_accounting.hpp): it must carry `launch_token`,
// the token this launch wrote in its case.json, and account for every one of `ranks_expected` ranks
// (`global_points_from_rank_zero`: exacheck simulate's collectives, see launched_case). A launch that left no
// usable result (time-out, signal, no result file, not started) is described from its log and its ranks'
// progress files (`evidence`; harness/results/case_failure.hpp): the message names hosts, ranks and cause,
// and the entry gets `failure` and its run check `failed_ranks`.
void complete_case_entry(nlohmann::json& entry, const process_result& ended, const std::string& result_file,
                         const std::string& log_file, const system_spec* system, int ranks_expected,
                         const std::string& launch_token, bool global_points_from_rank_zero = false,
                         const failure_evidence& evidence = {});

// A case's one-word outcome from its checks: the worst, except that a case with some PASS and otherwise only
// RECORDED checks is a PASS; no checks at all is ERROR, never a pass. Used when a case ends and again when
// fleet checks are added (reports/aggregate).
outcome case_outcome(const nlohmann::json& checks);

// Recomputes verdict, exit code, counts and the list of unfinished cases from the cases (called after every
// case and at the end): the one place they are derived. `complete` is whether the caller has finished the run
// (recorded every case, analysed it, about to save it for the last time); the run counts as complete only
// when also no case is unfinished (status other than completed, error, timeout) and it was not interrupted.
// Not complete: verdict INCOMPLETE, exit code 3, unless a check already failed (its verdict, exit code 1);
// interrupted: INTERRUPTED, 130. summary.unfinished_cases lists {id, name, status} of each unfinished case.
void update_summary(nlohmann::json& run, bool interrupted, bool complete);

}  // namespace exacheck
