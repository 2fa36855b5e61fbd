#include "harness/controller/drain_command.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include "harness/controller/drain.hpp"
#include "harness/controller/process.hpp"
#include "harness/core/errors.hpp"
#include "harness/io/files.hpp"
#include "reports/analysis/aggregate.hpp"

namespace exacheck {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A scratch file for one command's output, removed when it goes.
class scratch_file {
 public:
  scratch_file() {
    std::string pattern = (fs::temp_directory_path() / "exacheck-slurm-XXXXXX").string();
    const int fd = ::mkstemp(pattern.data());
    if (fd >= 0) ::close(fd);
    m_path = pattern;
  }
  ~scratch_file() {
    std::error_code ignored;
    fs::remove(m_path, ignored);
  }
  scratch_file(const scratch_file&) = delete;  // owns the file
  scratch_file& operator=(const scratch_file&) = delete;
  const std::string& path() const { return m_path; }

 private:
  std::string m_path;
};

struct command_output {
  bool started = false;
  int exit_code = -1;
  std::string text;  // stdout and stderr
};

command_output run_command(const std::vector<std::string>& argv) {
  const scratch_file out;
  const auto ended = run_process(argv, {}, out.path(), 30, nullptr);
  command_output result;
  result.started = ended.how != process_result::ending::failed_to_start;
  result.exit_code = ended.how == process_result::ending::exited ? ended.exit_code : -1;
  result.text = result.started ? read_file(out.path()) : ended.error;
  return result;
}

// The last line a command wrote (its error), for a one-line message.
std::string last_line(const std::string& text) {
  std::string last, line;
  std::istringstream lines(text);
  while (std::getline(lines, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last;
}

// Every node's state and reason, as `sinfo -h -N -o '%N|%T|%E'` lists them (a node in several partitions is
// listed once per partition: the first line counts); nullopt, with `why`, when sinfo could not be asked.
std::optional<std::map<std::string, slurm_node_state>> slurm_states(std::string& why) {
  const auto out = run_command({"sinfo", "-h", "-N", "-o", "%N|%T|%E"});
  if (!out.started || out.exit_code != 0) {
    why = out.started ? fmt::format("sinfo exited with status {}: {}", out.exit_code, last_line(out.text))
                      : "sinfo is not here (" + out.text + ")";
    return std::nullopt;
  }
  std::map<std::string, slurm_node_state> states;
  std::istringstream lines(out.text);
  for (std::string line; std::getline(lines, line);) {
    const auto first = line.find('|');
    const auto second = first == std::string::npos ? first : line.find('|', first + 1);
    if (second == std::string::npos) continue;
    slurm_node_state state{line.substr(first + 1, second - first - 1), line.substr(second + 1)};
    if (state.reason == "none" || state.reason == "(null)") state.reason.clear();
    states.emplace(line.substr(0, first), std::move(state));
  }
  return states;
}

std::string shell_quoted(const std::string& text) {
  if (text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=_-.,:/") ==
      std::string::npos)
    return text;
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// As a shell line to copy: `reason='exacheck: …'` rather than `'reason=exacheck: …'`.
std::string printed(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& a : argv) {
    const auto equals = a.find('=');
    const std::string key = equals == std::string::npos ? "" : a.substr(0, equals + 1);
    const bool plain_key = !key.empty() && shell_quoted(key) == key;
    line +=
        (line.empty() ? "" : " ") + (plain_key ? key + shell_quoted(a.substr(equals + 1)) : shell_quoted(a));
  }
  return line;
}

// The run to judge and its id: one run as it was analysed (analysed here when it never was), or the merge.
json run_to_judge(const drain_options& options, std::string& run_id) {
  if (!options.merge.run_dirs.empty()) {
    run_id = "merge";
    return merged_analysed_run(options.merge);
  }
  if (options.run_dir.empty()) throw usage_error("give RUN_DIR, or --merge RUN_DIR…");
  run_id = fs::path(options.run_dir).lexically_normal().filename().string();
  if (run_id.empty()) run_id = fs::path(options.run_dir).lexically_normal().parent_path().filename().string();
  json run = read_run_document(options.run_dir);
  const auto analysis = run.find("analysis");
  if (analysis == run.end() || !analysis->is_object() || !analysis->contains("device_verdicts")) {
    reports::outlier_rules rules;
    if (analysis != run.end() && analysis->is_object() && analysis->contains("rules"))
      rules = reports::rules_from_json((*analysis)["rules"]);
    reports::analyse_run(run, rules);
  }
  return run;
}

// Runs (or prints) one scontrol command per node; false when one failed.
bool carry_out(const std::vector<std::vector<std::string>>& commands, bool apply) {
  bool all_done = true;
  for (const auto& argv : commands) {
    if (!apply) {
      fmt::print("  {}\n", printed(argv));
      continue;
    }
    const auto out = run_command(argv);
    const bool done = out.started && out.exit_code == 0;
    fmt::print("  {}  {}\n", printed(argv), done ? "done" : "FAILED: " + last_line(out.text));
    all_done = all_done && done;
  }
  return all_done;
}

}  // namespace

int run_drain(const drain_options& options) {
  drain_policy policy;
  if (!options.on.empty()) policy.on = parse_drain_verdicts(options.on);
  policy.max_nodes = options.max_nodes;
  policy.max_percent = options.max_percent;
  std::string run_id;
  const json run = run_to_judge(options, run_id);
  std::string why_no_slurm;
  const auto states = slurm_states(why_no_slurm);
  const drain_plan plan = plan_drain(run, run_id, states ? &*states : nullptr, policy);
  std::string on;
  for (const auto& v : policy.on) on += (on.empty() ? "" : ",") + v;
  fmt::print(
      "exacheck drain: {} node(s) in run {}, drained on {}; cap {} node(s) drained by exacheck at once\n",
      plan.nodes, run_id, on, plan.limit);
  if (!states) fmt::print("Slurm's node states are unknown: {}\n", why_no_slurm);
  for (const auto& n : plan.others) fmt::print("  left alone  {} ({}): {}\n", n.host, n.verdict, n.reason);
  for (const auto& n : plan.already) fmt::print("  left as is  {} ({}): {}\n", n.host, n.verdict, n.reason);
  const std::size_t failing = plan.drain.size() + plan.already.size() + plan.others.size();
  if (failing == 0) {
    fmt::print("no node fails on {}: nothing to drain\n", on);
    return drain_exit::nothing_to_do;
  }
  if (plan.cap_exceeded) {
    for (const auto& n : plan.drain) fmt::print("  not drained  {} ({}): {}\n", n.host, n.verdict, n.reason);
    fmt::print(
        stderr,
        "exacheck drain: {} node(s) would be drained by exacheck ({} now, {} already), more than the cap "
        "of {} of {} node(s): NOTHING was drained. So many failing nodes is more often a wrong "
        "reference, plan or system file than a broken fleet: check the run (report.md) first; raise "
        "the cap with --max-nodes / --max-percent only when the nodes are really bad.\n",
        plan.drain.size() + plan.already.size(), plan.drain.size(), plan.already.size(), plan.limit,
        plan.nodes);
    return drain_exit::cap_exceeded;
  }
  std::vector<std::vector<std::string>> commands;
  for (const auto& n : plan.drain)
    commands.push_back({"scontrol", "update", "nodename=" + n.host, "state=drain", "reason=" + n.reason});
  if (commands.empty()) return drain_exit::nodes_failing;
  const bool apply = options.apply && states;
  fmt::print("{}\n", apply ? "draining:" : "would run:");
  const bool done = carry_out(commands, apply);
  if (options.apply && !states) {
    fmt::print(stderr, "exacheck drain: could not apply: {}; nothing was drained\n", why_no_slurm);
    return drain_exit::not_applied;
  }
  if (!options.apply) fmt::print("(nothing changed: --apply runs these)\n");
  return done ? drain_exit::nodes_failing : drain_exit::not_applied;
}

int run_resume(const drain_options& options) {
  std::string run_id;
  const json run = run_to_judge(options, run_id);
  std::string why_no_slurm;
  const auto states = slurm_states(why_no_slurm);
  if (!states) {
    fmt::print(stderr, "exacheck resume: cannot tell which nodes exacheck drained: {}; nothing was resumed\n",
               why_no_slurm);
    return drain_exit::not_applied;
  }
  const resume_plan plan = plan_resume(run, *states);
  fmt::print("exacheck resume: run {}\n", run_id);
  for (const auto& n : plan.others) fmt::print("  left alone  {}: {}\n", n.host, n.reason);
  for (const auto& n : plan.kept) fmt::print("  kept drained  {}: {}\n", n.host, n.reason);
  if (plan.resume.empty()) {
    fmt::print("no node drained by exacheck passes now: nothing to resume\n");
    return drain_exit::nothing_to_do;
  }
  std::vector<std::vector<std::string>> commands;
  for (const auto& n : plan.resume)
    commands.push_back({"scontrol", "update", "nodename=" + n.host, "state=resume"});
  fmt::print("{}\n", options.apply ? "resuming:" : "would run:");
  const bool done = carry_out(commands, options.apply);
  if (!options.apply) fmt::print("(nothing changed: --apply runs these)\n");
  return done ? drain_exit::nothing_to_do : drain_exit::not_applied;
}

}  // namespace exacheck
