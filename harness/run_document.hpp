#pragma once
// Builds run.json (docs/run-json.md) as a run goes: header and provenance, one entry per case, summary.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/outcome.hpp"
#include "harness/plan.hpp"
#include "harness/process.hpp"

namespace exacheck {

nlohmann::json make_run_header(const plan& p, const system_spec* system,
                               const std::vector<std::string>& command_line);

// The case entry before it runs: identity, parameters, command; status "pending".
nlohmann::json make_case_entry(const expanded_case& c, const std::vector<std::string>& command);

// Fills a case entry from how its worker launch ended and the worker's result file (absent when it crashed).
void complete_case_entry(nlohmann::json& entry, const process_result& ended, const std::string& result_file,
                         const std::string& log_file, const system_spec* system, int ranks_expected);

// A case's one-word outcome from its checks: the worst, except that a case with some PASS and otherwise only
// RECORDED checks is a PASS. Used when a case ends and again when fleet checks are added (reports/aggregate).
outcome case_outcome(const nlohmann::json& checks);

// Recomputes verdict, exit code and counts from the cases (called after every case and at the end).
void update_summary(nlohmann::json& run, bool interrupted, bool complete);

}  // namespace exacheck
