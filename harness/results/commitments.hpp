#pragma once
// "Committed, not measured": a reference the run should have judged but did not is a failing check, never a
// silent RECORDED (docs/run-json.md "Checks"). A step of its own, run by the controller after the last case
// and before the analysis.
#include <cstddef>
#include <nlohmann/json.hpp>

#include "harness/plan/plan.hpp"

namespace exacheck {

class registry;

// For every case of `run` (run.json's "cases") that this run launched — not "pending", not "skipped" — and
// every reference of `system` that applies to a point of it (the case's benchmark, and `where` plus the
// metric's reporting condition name values the case runs), adds a FAIL check to the case when none of its
// checks judged the reference: the point was SKIPPED, the metric not reported, the case errored or timed out.
// A check of the metric at a point the reference applies to counts as judging it when it carries a reference
// (PASS or FAIL) or already FAILs. Cases never launched (filtered out by --tags/--case, or not reached before
// an interrupt) are not expected to measure anything. Recomputes the outcome of each case it adds to; the
// caller updates the summary. Returns the number of checks added.
std::size_t add_unmeasured_commitments(nlohmann::json& run, const system_spec& system,
                                       const registry& suites);

}  // namespace exacheck
