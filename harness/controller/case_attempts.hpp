#pragma once
// Retries of launches that failed before any rank began measuring (a failed task launch, a crash in MPI_Init:
// plan key launch_retries, docs/plan-schema.md), and the stop of a run whose Slurm allocation is gone. Each
// attempt is recorded in the case's run.json entry (`attempts`); a run stopped for its allocation says why in
// `stopped` and lists the cases it could not run once (docs/run-json.md).
#include <nlohmann/json.hpp>
#include <string>

#include "harness/controller/allocation_state.hpp"

namespace exacheck {

// Seconds between a failed attempt and the next: a moment for a node's daemons or a port to settle.
inline constexpr double launch_retry_pause_s = 2.0;

// Whether the case whose attempt `attempt` (1-based) ended as `entry` runs again: it errored before any rank
// began measuring (entry.failure.before_measuring), the allocation is not gone, the launcher did start, and
// fewer than `launch_retries` retries were made. A case that failed after measuring began never is: its
// failure is the result.
bool should_retry_launch(const nlohmann::json& entry, int attempt, int launch_retries);

// The record of one attempt: {attempt, status, outcome, message, elapsed_s, failure}.
nlohmann::json attempt_record(const nlohmann::json& entry, int attempt);

// After the last attempt of a case that was retried: entry.attempts lists `earlier` and the last one, and the
// message says so ("passed on attempt 2 of 2; attempt 1: …" or "… (attempt 2 of 2; attempt 1: …)").
void record_attempts(nlohmann::json& entry, nlohmann::json earlier);

// The run stops: the cases from index `first_not_run` on become status "not_run" (listed once in
// summary.unfinished_cases, no check each), and run.stopped says why.
void stop_for_lost_allocation(nlohmann::json& run, std::size_t first_not_run, const allocation_gone& gone);

}  // namespace exacheck
