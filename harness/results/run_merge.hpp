#pragma once
// One fleet from many runs (`exacheck report --merge`, docs/reading-a-report.md "One fleet from many runs"):
// runs of the same plan made on different nodes — one node per job, as operators run nightly — become one run
// document, which the ordinary analysis and every report then treat exactly as a single run of those nodes.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace exacheck {

// One run to merge: its directory (its basename is the run's id in the merged provenance) and its run.json,
// parsed and upgraded to run_schema (upgrade_run_document).
struct merge_input {
  std::string run_dir;
  nlohmann::json run;
};

struct merge_options {
  // The hosts that should have a run (--expected-nodes / --expected-file): each one without a run, or whose
  // run reported nothing, is MISSING in the analysis. Added to the union of the runs' own expected_hosts,
  // never in place of it (a node a run expected stays MISSING when this set forgets it).
  std::vector<std::string> expected_hosts;
  std::string expected_from;  // how they were given, for provenance ("--expected-nodes node[01-04]")
  std::vector<std::string> command_line;
};

// Merges `inputs` into one run document (schema run_schema, without `analysis`: the caller analyses it).
//
// - Same plan only: every run must have the plan name and plan sha256 (and system name) of the first; a run
// of
//   another throws std::invalid_argument naming both runs and what differs.
// - The same node in two runs: the newer run (provenance.started_at) wins and the older one is listed as
//   superseded in provenance.merged.runs, its results left out; a run that shares only some of its hosts
//   with newer runs cannot be split and is refused (std::invalid_argument naming both runs and the host).
// - Cases of the same id become one case: rank-scoped and node-scoped points of the same params pool their
//   ranks (numbered on: the second run's ranks follow the first's), so that fleet outliers are judged across
//   every node; a collective's point (scope global) of each run stays its own, as a per_node group point
//   (params gain `groups` and `group`, as with the plan key `groups: per_node`), so the analysis compares the
//   nodes' copies. Checks of the same (metric, params) combine into the worst of them; fleet checks are left
//   to the analysis. Each case lists `sources` (run, status, outcome, message, ranks, first_rank, hosts) and
//   every check its `source`: positions in provenance.merged.runs.
// - Never better than the worst input: the merged run is complete only when every run kept is, interrupted
//   when any was; a case's status is the least finished of its runs'.
nlohmann::json merge_runs(const std::vector<merge_input>& inputs, const merge_options& options);

// The hosts of `expected` that no run kept in `merged` (provenance.merged.runs, not superseded) reported, in
// the order given: the nodes that had no run at all.
std::vector<std::string> hosts_without_run(const nlohmann::json& merged);

}  // namespace exacheck
