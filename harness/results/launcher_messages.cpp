#include "harness/results/launcher_messages.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <regex>

#include "harness/results/signal_names.hpp"

namespace exacheck {
namespace {

constexpr std::size_t most_log_bytes = 256 * 1024;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

int to_int(const std::string& text) {
  try {
    return std::stoi(text);
  } catch (const std::exception&) {
    return -1;
  }
}

// The findings of one srun task line, "HOSTS: task(s) LIST: WHAT" (the prefix "srun: error: " removed).
// Slurm 22.05 src/plugins/launch/slurm/launch_slurm.c, _task_finish():
//   error("%s: %s %s: Exited with exit code %d", hosts, task_str, tasks, rc);
//   error("%s: %s %s: %s%s", hosts, task_str, tasks, strsignal(sig), core_str);   (" (core dumped)")
//   error("%s: %s %s: Out Of Memory", hosts, task_str, tasks);
// hosts is a ranged host list ("node[03-04]"), tasks a bit_fmt range list ("0-1,5").
std::optional<launcher_finding> srun_task_line(const std::string& line, bool terminating) {
  static const std::regex task(R"(^(\S+): tasks? ([0-9,\-]+): (.+)$)");
  std::smatch m;
  if (!std::regex_match(line, m, task)) return std::nullopt;
  launcher_finding f;
  f.hosts = expand_host_list(m[1].str());
  f.ranks = expand_task_list(m[2].str());
  const std::string what = m[3].str();
  static const std::regex exited(R"(^Exited with exit code (\d+)$)");
  std::smatch e;
  if (std::regex_match(what, e, exited)) {
    f.cause = "exit";
    f.exit_code = to_int(e[1].str());
  } else if (what == "Out Of Memory") {
    f.cause = "out_of_memory";
  } else if (const auto signal = signal_from_description(what)) {
    f.cause = "signal";
    f.signal = *signal;
    // Once srun terminates the step (after a first failure, a node failure or a time-out), the rest of the
    // ranks end by its SIGTERM or SIGKILL: consequences.
    f.consequence = terminating && (*signal == SIGTERM || *signal == SIGKILL);
  } else {
    return std::nullopt;
  }
  f.detail = what;
  return f;
}

launcher_finding make(std::string cause, std::string message) {
  launcher_finding f;
  f.cause = std::move(cause);
  f.message = std::move(message);
  return f;
}

// What Slurm says of the job's end when it will not run another step: the reasons of Slurm 22.05's
// slurm_strerror (src/common/slurm_errno.c) for ESLURM_INVALID_JOB_ID, ESLURM_ALREADY_DONE,
// ESLURM_JOB_NOT_RUNNING and friends.
bool reason_means_job_gone(std::string_view reason) {
  constexpr std::array<std::string_view, 5> gone{
      "Invalid job id specified", "Job/step already completing or completed", "Job is no longer running",
      "Job is pending execution", "Job credential revoked"};
  return std::any_of(gone.begin(), gone.end(), [&](std::string_view g) { return reason.starts_with(g); });
}

// Line-oriented messages: srun's and slurmstepd's, and the [host:pid]-prefixed lines of Open MPI.
void parse_lines(std::string_view log, std::vector<launcher_finding>& found) {
  // Slurm 22.05, src/srun and src/api (strings of /usr/bin/srun and libslurmfull.so of Debian's 22.05.8):
  static const std::regex task_launch(R"(^Task launch for (?:StepId=)?(\S+) failed on node (\S+): (.*)$)");
  static const std::regex node_failure(R"(^Node failure on (\S+)$)");
  static const std::regex revoked(R"(^Job allocation (\d+) has been revoked\.?$)");
  static const std::regex expired(R"(^Slurm job (\d+) has expired$)");
  static const std::regex create_step(R"(^Unable to create step for job (\d+): (.*)$)");
  static const std::regex confirm(R"(^Unable to confirm allocation for job (\d+): (.*)$)");
  // slurmstepd, src/slurmd/slurmstepd/req.c and mgr.c:
  //   "*** %s ON %s CANCELLED AT %s DUE TO NODE FAILURE, SEE SLURMCTLD LOG FOR DETAILS ***" (and TIME LIMIT,
  //   PREEMPTION, JOB REQUEUE, or no reason), "*** %s STEPD TERMINATED ON %s AT %s DUE TO JOB NOT RUNNING
  //   ***"
  static const std::regex cancelled(
      R"(\*\*\* (JOB|STEP) (\S+) ON (\S+) CANCELLED AT (\S+)(?: DUE TO ([^,*]+))?)");
  static const std::regex not_running(
      R"(\*\*\* (?:JOB )?(\S+) STEPD TERMINATED ON (\S+) AT \S+ DUE TO JOB NOT RUNNING)");
  static const std::regex execve(R"(^slurmstepd(?:-(\S+))?: error: execve\(\): (.*)$)");
  // Open MPI 4.1, opal/util/stacktrace.c (its SIGSEGV handler) and ompi/runtime/ompi_mpi_abort.c:
  //   "[node04:32669] Signal: Segmentation fault (11)"
  //   "[cn69:2289703] Local abort before MPI_INIT completed completed successfully, but am not able to ..."
  //   "[node02:1234] *** An error occurred in MPI_Init_thread"
  static const std::regex handler_signal(R"(^\[([^:\]\s]+):\d+\] Signal: (.+) \((\d+)\)$)");
  static const std::regex local_abort(R"(^\[([^:\]\s]+):\d+\] Local abort before MPI_INIT completed)");
  static const std::regex init_error(
      R"(^(?:\[([^:\]\s]+):\d+\] )?\*\*\* An error occurred in (MPI_Init(?:_thread)?)\b)");

  bool terminating = false;  // srun has begun to stop the step: later SIGTERM/SIGKILL ends are consequences
  std::size_t start = 0;
  while (start < log.size()) {
    std::size_t end = log.find('\n', start);
    if (end == std::string_view::npos) end = log.size();
    const std::string_view raw = trim(log.substr(start, end - start));
    start = end + 1;
    if (raw.empty()) continue;
    std::string line(raw);
    std::smatch m;
    // srun's error() lines, "srun: error: …"; salloc repeats some ("salloc: error: Node failure on node03").
    std::string body;
    for (const std::string_view prefix : {"srun: error: ", "salloc: error: ", "srun: ", "salloc: "})
      if (raw.starts_with(prefix)) {
        body = std::string(raw.substr(prefix.size()));
        break;
      }
    if (!body.empty()) {
      if (body.find("Terminating StepId=") != std::string::npos || body.starts_with("Force Terminated") ||
          body.starts_with("Job step aborted")) {
        terminating = true;
        continue;
      }
      if (auto task = srun_task_line(body, terminating)) {
        task->message = line;
        found.push_back(std::move(*task));
        continue;
      }
      if (std::regex_match(body, m, task_launch)) {
        auto f = make("task_launch_failed", line);
        f.hosts = {m[2].str()};
        f.detail = m[3].str();
        found.push_back(std::move(f));
      } else if (std::regex_match(body, m, node_failure)) {
        auto f = make("node_failure", line);
        f.hosts = expand_host_list(m[1].str());
        found.push_back(std::move(f));
        terminating = true;
      } else if (std::regex_match(body, m, revoked) || std::regex_match(body, m, expired)) {
        auto f = make("allocation_gone", line);
        f.detail = body;
        found.push_back(std::move(f));
        terminating = true;
      } else if (std::regex_match(body, m, create_step) || std::regex_match(body, m, confirm)) {
        const bool gone = reason_means_job_gone(m[2].str());
        auto f = make(gone ? "allocation_gone" : "step_failed", line);
        f.detail = m[2].str();
        found.push_back(std::move(f));
      }
      continue;
    }
    if (std::regex_search(line, m, cancelled)) {
      const bool job = m[1].str() == "JOB";
      const std::string due = m[5].matched ? std::string(trim(m[5].str())) : std::string();
      if (job || due == "TIME LIMIT") {
        auto f = make("allocation_gone", line);
        f.detail = due.empty() ? "job cancelled" : "job cancelled due to " + due;
        found.push_back(std::move(f));
      } else if (due == "NODE FAILURE") {
        // The node named is the one whose slurmstepd reports, not the one that failed: no host here.
        auto f = make("node_failure", line);
        f.detail = "step cancelled due to node failure";
        found.push_back(std::move(f));
      }
      terminating = true;
      continue;
    }
    if (std::regex_search(line, m, not_running)) {
      auto f = make("allocation_gone", line);
      f.detail = "job not running";
      found.push_back(std::move(f));
      terminating = true;
      continue;
    }
    if (std::regex_match(line, m, execve)) {
      auto f = make("task_launch_failed", line);
      if (m[1].matched) f.hosts = {m[1].str()};
      f.detail = "execve(): " + m[2].str();
      found.push_back(std::move(f));
      continue;
    }
    if (std::regex_match(line, m, handler_signal)) {
      auto f = make("signal", line);
      f.hosts = {m[1].str()};
      f.signal = to_int(m[3].str());
      f.detail = m[2].str();
      found.push_back(std::move(f));
      continue;
    }
    if (std::regex_search(line, m, local_abort)) {
      auto f = make("mpi_init_failed", line);
      f.hosts = {m[1].str()};
      found.push_back(std::move(f));
      continue;
    }
    if (std::regex_search(line, m, init_error)) {
      auto f = make("mpi_init_failed", line);
      if (m[1].matched) f.hosts = {m[1].str()};
      f.detail = "an error occurred in " + m[2].str();
      found.push_back(std::move(f));
    }
  }
}

// Open MPI's help messages (show_help) span several lines: they are read from the log with every run of
// whitespace made one space. Each pattern is tried only in a window after its fixed opening words.
struct block_pattern {
  std::string_view opening;
  std::regex pattern;
  void (*fill)(const std::smatch&, launcher_finding&);
  const char* cause;
};

const std::vector<block_pattern>& block_patterns() {
  static const std::vector<block_pattern> patterns = [] {
    std::vector<block_pattern> p;
    // help-orterun.txt [orterun:proc-aborted-strsignal] and [orterun:proc-aborted]:
    //   "%s noticed that process rank %lu with PID %lu on node %s exited on signal %d (%s)."
    p.push_back(
        {"noticed that process rank",
         std::regex(
             R"(noticed that process rank (\d+) with PID \d+ on node (\S+) exited on signal (\d+)(?: \(([^)]*)\))?\.)"),
         [](const std::smatch& m, launcher_finding& f) {
           f.ranks = {to_int(m[1].str())};
           f.hosts = {m[2].str()};
           f.signal = to_int(m[3].str());
           f.detail = m[4].matched ? m[4].str() : signal_description(f.signal);
         },
         "signal"});
    // [orterun:proc-ordered-abort]: "%s has exited due to process rank %lu with PID %lu on\nnode %s calling
    // "abort"."
    p.push_back(
        {"has exited due to process rank",
         std::regex(R"(has exited due to process rank (\d+) with PID \d+ on node (\S+) calling \"abort\")"),
         [](const std::smatch& m, launcher_finding& f) {
           f.ranks = {to_int(m[1].str())};
           f.hosts = {m[2].str()};
           f.detail = "called abort";
         },
         "abort"});
    // [orterun:proc-exit-no-sync]: "%s has exited due to process rank %lu with PID %lu on\nnode %s exiting
    // improperly."
    p.push_back(
        {"has exited due to process rank",
         std::regex(R"(has exited due to process rank (\d+) with PID \d+ on node (\S+) exiting improperly)"),
         [](const std::smatch& m, launcher_finding& f) {
           f.ranks = {to_int(m[1].str())};
           f.hosts = {m[2].str()};
           f.detail = "exited without MPI_Finalize";
         },
         "exit"});
    // [orterun:non-zero-exit]: "%s detected that one or more processes exited with non-zero status, thus
    // causing\nthe job to be terminated. The first process to do so was:\n\n  Process name: %s\n  Exit code:
    // %d" (the process name is [[jobid,vpid],rank]).
    p.push_back(
        {"detected that one or more processes exited with non-zero status",
         std::regex(
             R"(detected that one or more processes exited with non-zero status, thus causing the job to be terminated\. The first process to do so was: Process name: \[\[\d+,\d+\],(\d+)\] Exit code: (-?\d+))"),
         [](const std::smatch& m, launcher_finding& f) {
           f.ranks = {to_int(m[1].str())};
           f.exit_code = to_int(m[2].str());
         },
         "exit"});
    // help-mpi-api.txt [mpi-abort]: "MPI_ABORT was invoked on rank %d in communicator %s\nwith errorcode %d."
    p.push_back(
        {"MPI_ABORT was invoked on rank",
         std::regex(R"(MPI_ABORT was invoked on rank (\d+) in communicator (\S+) with errorcode (-?\d+)\.)"),
         [](const std::smatch& m, launcher_finding& f) {
           f.ranks = {to_int(m[1].str())};
           f.exit_code = to_int(m[3].str());
           f.detail = "MPI_Abort on " + m[2].str();
         },
         "mpi_abort"});
    // help-errmgr-base.txt [node-died]: "ORTE has lost communication with a remote daemon.\n\n  HNP daemon :
    // %s on node %s\n  Remote daemon: %s on node %s"
    p.push_back(
        {"ORTE has lost communication with a remote daemon",
         std::regex(
             R"(ORTE has lost communication with a remote daemon\. HNP daemon : \S+ on node \S+ Remote daemon: \S+ on node (\S+))"),
         [](const std::smatch& m, launcher_finding& f) {
           f.hosts = {m[1].str()};
           f.detail = "lost communication with its daemon";
         },
         "daemon_lost"});
    // help-errmgr-base.txt [failed-daemon] and help-plm-base.txt/[no-local-orted]-style texts name no node.
    p.push_back(
        {"An ORTE daemon has unexpectedly failed after launch",
         std::regex(
             R"(An ORTE daemon has unexpectedly failed after launch and before communicating back to mpirun)"),
         [](const std::smatch&, launcher_finding& f) { f.detail = "a daemon failed after launch"; },
         "daemon_lost"});
    p.push_back({"ORTE was unable to reliably start one or more daemons",
                 std::regex(R"(ORTE was unable to reliably start one or more daemons)"),
                 [](const std::smatch&, launcher_finding& f) { f.detail = "could not start its daemons"; },
                 "daemon_lost"});
    // help-orterun.txt [orterun:exe-not-accessible]: "%s was unable to launch the specified application as it
    // could not access\nor execute an executable:\n\nExecutable: %s\nNode: %s\n\nwhile attempting to start
    // process rank %lu."
    p.push_back(
        {"was unable to launch the specified application",
         std::regex(
             R"(was unable to launch the specified application as it could not access or execute an executable: Executable: (\S+) Node: (\S+) while attempting to start process rank (\d+)\.)"),
         [](const std::smatch& m, launcher_finding& f) {
           f.hosts = {m[2].str()};
           f.ranks = {to_int(m[3].str())};
           f.detail = "could not access or execute " + m[1].str();
         },
         "task_launch_failed"});
    // [orterun:exe-not-found]: "… This error was first reported for process\nrank %lu; …\n\nNode:       %s\n
    // Executable: %s"
    p.push_back(
        {"was unable to find the specified executable file",
         std::regex(
             R"(was unable to find the specified executable file, and therefore did not launch the job\. This error was first reported for process rank (\d+);.{0,400}? Node: (\S+) Executable: (\S+))"),
         [](const std::smatch& m, launcher_finding& f) {
           f.ranks = {to_int(m[1].str())};
           f.hosts = {m[2].str()};
           f.detail = "executable not found: " + m[3].str();
         },
         "task_launch_failed"});
    // [orterun:proc-failed-to-start]: "… as it encountered an\nerror:\n\nError code: %d\nError name:
    // %s\nNode: %s\n\nwhen attempting to start process rank %lu."
    p.push_back(
        {"was unable to start the specified application",
         std::regex(
             R"(was unable to start the specified application as it encountered an error: Error code: -?\d+ Error name: (.{1,200}?) Node: (\S+) when attempting to start process rank (\d+)\.)"),
         [](const std::smatch& m, launcher_finding& f) {
           f.detail = m[1].str();
           f.hosts = {m[2].str()};
           f.ranks = {to_int(m[3].str())};
         },
         "task_launch_failed"});
    // help-mpi-runtime.txt [mpi_init:startup:internal-failure]: "It looks like %s failed for some reason;
    // your parallel process is\nlikely to abort." and [mpi_init:startup:pml-add-procs-fail].
    p.push_back(
        {"failed for some reason; your parallel process is",
         std::regex(
             R"(It looks like (\S+) failed for some reason; your parallel process is likely to abort\.)"),
         [](const std::smatch& m, launcher_finding& f) { f.detail = m[1].str() + " failed"; },
         "mpi_init_failed"});
    p.push_back(
        {"MPI_INIT has failed because at least one MPI process is unreachable",
         std::regex(R"(MPI_INIT has failed because at least one MPI process is unreachable from another\.)"),
         [](const std::smatch&, launcher_finding& f) { f.detail = "an MPI process is unreachable"; },
         "mpi_init_failed"});
    // help-mpi-btl-tcp.txt [tcp connect failed]: "WARNING: Open MPI failed to TCP connect to a peer MPI
    // process. This\nshould not happen. …\n  Local host: %s\n  PID:        %d\n  Message:    %s\n  Error:
    // %s (%d)" — the transport fault behind most crashes in MPI_Init over TCP.
    p.push_back(
        {"Open MPI failed to TCP connect to a peer MPI process",
         std::regex(
             R"(Open MPI failed to TCP connect to a peer MPI process\..{0,200}? Local host: (\S+) PID: \d+ Message: (.{1,200}?) Error: )"),
         [](const std::smatch& m, launcher_finding& f) {
           f.hosts = {m[1].str()};
           f.detail = "TCP connect to a peer failed: " + m[2].str();
         },
         "mpi_transport"});
    return p;
  }();
  return patterns;
}

std::string squeeze_whitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (const char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

void parse_blocks(std::string_view log, std::vector<launcher_finding>& found) {
  const std::string text = squeeze_whitespace(log);
  struct at {
    std::size_t offset;
    launcher_finding finding;
  };
  std::vector<at> blocks;
  for (const auto& p : block_patterns()) {
    constexpr std::size_t window = 1200;
    // The opening's sentence begins a little before it ("mpirun noticed…"): the window starts there.
    for (std::size_t from = text.find(p.opening); from != std::string::npos;
         from = text.find(p.opening, from + p.opening.size())) {
      const std::size_t begin = from >= 80 ? from - 80 : 0;
      const std::string piece = text.substr(begin, window);
      std::smatch m;
      if (!std::regex_search(piece, m, p.pattern)) continue;
      if (static_cast<std::size_t>(m.position(0)) > from - begin + p.opening.size()) continue;  // a later one
      launcher_finding f = make(p.cause, m[0].str());
      p.fill(m, f);
      blocks.push_back({begin + static_cast<std::size_t>(m.position(0)), std::move(f)});
    }
  }
  std::stable_sort(blocks.begin(), blocks.end(),
                   [](const at& a, const at& b) { return a.offset < b.offset; });
  for (auto& b : blocks) found.push_back(std::move(b.finding));
}

int priority(const launcher_finding& f) {
  if (f.cause == "allocation_gone") return 0;
  if (f.cause == "node_failure") return f.hosts.empty() ? 2 : 1;
  if (f.cause == "daemon_lost") return f.hosts.empty() ? 4 : 3;
  if (f.cause == "task_launch_failed" || f.cause == "step_failed") return 5;
  if (f.consequence) return 10;
  if (f.cause == "signal" || f.cause == "exit" || f.cause == "out_of_memory" || f.cause == "abort")
    return f.ranks.empty() ? 7 : 6;  // a rank named beats Open MPI's own signal handler's "[host:pid]" line
  if (f.cause == "mpi_abort") return 8;
  if (f.cause == "mpi_init_failed") return 8;
  return 9;  // mpi_transport
}

}  // namespace

std::vector<std::string> expand_host_list(std::string_view list) {
  std::vector<std::string> hosts;
  std::size_t i = 0;
  while (i < list.size()) {
    // One item: a prefix, then optionally [ranges], then optionally a suffix; items are separated by commas
    // outside brackets.
    std::size_t end = i;
    int depth = 0;
    while (end < list.size() && (depth > 0 || list[end] != ',')) {
      if (list[end] == '[') ++depth;
      if (list[end] == ']') --depth;
      ++end;
    }
    const std::string_view item = list.substr(i, end - i);
    i = end + 1;
    const auto open = item.find('[');
    const auto close = item.find(']');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
      if (!item.empty()) hosts.emplace_back(item);
      continue;
    }
    const std::string_view prefix = item.substr(0, open);
    const std::string_view suffix = item.substr(close + 1);
    std::string_view ranges = item.substr(open + 1, close - open - 1);
    while (!ranges.empty()) {
      const auto comma = ranges.find(',');
      const std::string_view range = ranges.substr(0, comma);
      ranges = comma == std::string_view::npos ? std::string_view() : ranges.substr(comma + 1);
      const auto dash = range.find('-');
      const std::string first(range.substr(0, dash));
      const std::string last(dash == std::string_view::npos ? range.substr(0, dash) : range.substr(dash + 1));
      const int from = to_int(first), to = to_int(last);
      if (from < 0 || to < from || to - from > 100000) {
        hosts.push_back(std::string(prefix) + first + std::string(suffix));
        continue;
      }
      for (int n = from; n <= to; ++n)  // zero-padded as the first bound is ("node[01-03]")
        hosts.push_back(fmt::format("{}{:0{}}{}", prefix, n, first.size(), suffix));
    }
  }
  return hosts;
}

std::vector<int> expand_task_list(std::string_view list) {
  std::vector<int> tasks;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view range = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    const auto dash = range.find('-');
    const int from = to_int(std::string(range.substr(0, dash)));
    const int to = dash == std::string_view::npos ? from : to_int(std::string(range.substr(dash + 1)));
    if (from < 0 || to < from || to - from > 1000000) return {};
    for (int t = from; t <= to; ++t) tasks.push_back(t);
  }
  return tasks;
}

std::vector<launcher_finding> parse_launcher_messages(std::string_view log) {
  if (log.size() > most_log_bytes) {
    log.remove_prefix(log.size() - most_log_bytes);
    const auto newline = log.find('\n');  // from a whole line on
    if (newline != std::string_view::npos) log.remove_prefix(newline + 1);
  }
  std::vector<launcher_finding> found;
  parse_lines(log, found);
  parse_blocks(log, found);
  return found;
}

const launcher_finding* primary_finding(const std::vector<launcher_finding>& findings) {
  const launcher_finding* best = nullptr;
  for (const auto& f : findings)
    if (!best || priority(f) < priority(*best)) best = &f;
  return best;
}

bool says_allocation_gone(const std::vector<launcher_finding>& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const launcher_finding& f) { return f.cause == "allocation_gone"; });
}

}  // namespace exacheck
