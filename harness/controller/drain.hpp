#pragma once
// Which Slurm nodes `exacheck drain` takes out of service and `exacheck resume` gives back (docs/drain.md),
// decided from a run's device verdicts (run.json analysis.device_verdicts) and the nodes' current states —
// pure logic, so that the rules are tested without Slurm. harness/controller/drain_command.cpp asks Slurm and
// runs the commands.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace exacheck {

// Every reason exacheck writes starts with it; resume touches only nodes whose reason does.
inline constexpr std::string_view drain_owner_tag = "exacheck:";

// A node as Slurm reports it now (`sinfo -h -N -o '%N|%T|%E'`).
struct slurm_node_state {
  std::string state;                 // "idle", "drained", "draining", "mixed+drain", "down*", …
  std::string reason;                // "" when none ("none" as sinfo prints it is read as "")
  bool drained() const;              // drained or draining
  bool drained_by_exacheck() const;  // drained, with a reason that starts with drain_owner_tag
};

struct drain_policy {
  // Device verdicts that take a node out: any GPU of it, or the node itself, with one of these. The default
  // is the absolute failures, a reference missed or a wrong answer; OUTLIER (relative to the night's fleet),
  // MISSING (a node that did not run is often down already) and ERROR (a launch or software fault) only when
  // asked for.
  std::set<std::string> on{"FAIL", "INCORRECT"};
  std::optional<int> max_nodes;       // the most nodes exacheck may hold drained at once
  std::optional<double> max_percent;  // … as a percentage of the run's nodes; 10 when neither is given
};

// The default percentage cap, when neither --max-nodes nor --max-percent is given.
inline constexpr double default_max_percent = 10.0;

// "FAIL,INCORRECT" → {FAIL, INCORRECT}; throws usage_error naming a word that is not a device verdict that
// can fail (FAIL, INCORRECT, OUTLIER, MISSING, ERROR).
std::set<std::string> parse_drain_verdicts(std::string_view text);

struct node_decision {
  std::string host;
  std::string verdict;  // the node's device verdict
  std::string reason;   // drain: the Slurm reason to set; otherwise why the node is left as it is
};

struct drain_plan {
  std::vector<node_decision> drain;    // failing and in service: drained now
  std::vector<node_decision> already;  // failing and already drained by exacheck: left as they are
  std::vector<node_decision> others;   // failing and drained by someone else: never touched
  std::size_t nodes = 0;               // nodes of the run (device_verdicts.summary.nodes)
  std::size_t limit = 0;               // the most nodes exacheck may hold drained
  bool cap_exceeded = false;           // drain + already > limit: nothing is drained
};

// Decides from run.json (analysed) which nodes to drain. `run_id` names the run in reasons; in a merged run
// each node's own run (provenance.merged.runs) is named instead. `states` is Slurm's view, or nullptr when it
// could not be asked (every failing node is then proposed for draining). The reason of each node is
// `exacheck: <device> <benchmark> <metric> <VERDICT> run <id>` of its worst failing device, with
// "(+N more)" when more devices of it fail.
drain_plan plan_drain(const nlohmann::json& run, const std::string& run_id,
                      const std::map<std::string, slurm_node_state>* states, const drain_policy& policy);

struct resume_plan {
  std::vector<node_decision> resume;  // drained by exacheck, PASS in a complete run: back to service
  std::vector<node_decision> kept;    // drained by exacheck, but not (yet) PASS here: left drained
  std::vector<node_decision> others;  // drained by someone else: never resumed
};

// Decides which drained nodes go back: only those whose reason carries drain_owner_tag and whose device
// verdict in `run` is PASS, measured by a run that is complete (in a merged run: the node's own run).
resume_plan plan_resume(const nlohmann::json& run, const std::map<std::string, slurm_node_state>& states);

// Exit codes of drain and resume (docs/drain.md).
namespace drain_exit {
inline constexpr int nothing_to_do = 0;  // no failing node (resume: done, or nothing to resume)
inline constexpr int nodes_failing = 1;  // failing nodes drained (--apply) or proposed
inline constexpr int usage_error = 2;
inline constexpr int not_applied = 3;   // --apply, but Slurm could not be asked or a command failed
inline constexpr int cap_exceeded = 4;  // more nodes than the cap: nothing drained
}  // namespace drain_exit

}  // namespace exacheck
