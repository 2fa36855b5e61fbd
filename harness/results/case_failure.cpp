#include "harness/results/case_failure.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <tuple>

#include "harness/results/launcher_messages.hpp"
#include "harness/results/result_accounting.hpp"  // rank_list
#include "harness/results/signal_names.hpp"

namespace exacheck {
namespace {

constexpr std::size_t most_groups_named = 6;

int phase_order(const std::string& phase) {
  if (phase == "not_started") return -1;
  if (const auto p = rank_phase_from_string(phase)) return static_cast<int>(*p);
  return -1;
}

bool reached_measuring(rank_phase phase) {
  return phase == rank_phase::measuring || phase == rank_phase::gathering || phase == rank_phase::done;
}

std::string ranks_text(const std::vector<int>& ranks) {
  return fmt::format("{} {}", ranks.size() == 1 ? "rank" : "ranks", rank_list(ranks));
}

// "node03", "node01, node02 … (+3 more)".
std::string hosts_text(const std::vector<std::string>& hosts) {
  std::string text;
  for (std::size_t i = 0; i < hosts.size() && i < 4; ++i) text += (i ? ", " : "") + hosts[i];
  if (hosts.size() > 4) text += fmt::format(" … (+{} more)", hosts.size() - 4);
  return text;
}

// "rank 3 on node04", "ranks 2-3 on node03", "a rank on node04", "rank 3".
std::string who(const std::vector<int>& ranks, const std::vector<std::string>& hosts) {
  if (ranks.empty()) return hosts.empty() ? "a rank" : "a rank on " + hosts_text(hosts);
  return hosts.empty() ? ranks_text(ranks) : ranks_text(ranks) + " on " + hosts_text(hosts);
}

// The hosts of `ranks` as their progress files say, in rank order, each once.
std::vector<std::string> hosts_of(const std::vector<int>& ranks, const std::map<int, std::string>& host_of) {
  std::vector<std::string> hosts;
  for (const int r : ranks)
    if (const auto h = host_of.find(r); h != host_of.end() && !h->second.empty())
      if (std::find(hosts.begin(), hosts.end(), h->second) == hosts.end()) hosts.push_back(h->second);
  return hosts;
}

// The ranks that did not finish, grouped by host and what they were doing, least advanced first.
std::vector<unfinished_ranks> group_unfinished(const std::vector<rank_progress>& progress,
                                               int ranks_expected) {
  std::map<int, const rank_progress*> by_rank;
  for (const auto& p : progress) by_rank[p.rank] = &p;
  const int ranks = std::max(ranks_expected, by_rank.empty() ? 0 : by_rank.rbegin()->first + 1);
  std::map<std::tuple<int, int, std::string, std::string>, unfinished_ranks> groups;
  for (int r = 0; r < ranks; ++r) {
    const auto found = by_rank.find(r);
    if (found == by_rank.end()) {
      auto& g = groups[{-1, 0, "", ""}];
      g.ranks.push_back(r);
      g.phase = "not_started";
      g.description = "never started";
      continue;
    }
    const rank_progress& p = *found->second;
    if (p.phase == rank_phase::done) continue;
    const std::string description = describe_phase(p);
    auto& g = groups[{static_cast<int>(p.phase), p.point, description, p.host}];
    g.ranks.push_back(r);
    g.host = p.host;
    g.phase = to_string(p.phase);
    g.point = p.point;
    g.points = p.points;
    g.description = description;
  }
  std::vector<unfinished_ranks> sorted;
  for (auto& [key, g] : groups) sorted.push_back(std::move(g));
  return sorted;  // the map's order: phase, point, then description and host
}

std::string group_text(const unfinished_ranks& g, const char* verb) {
  if (g.phase == "not_started") return ranks_text(g.ranks) + " never started (no progress file)";
  const std::string where = g.host.empty() ? "" : " on " + g.host;
  if (g.phase == "failed") return ranks_text(g.ranks) + where + " " + g.description;
  return fmt::format("{}{} {}{}", ranks_text(g.ranks), where, verb, g.description);
}

std::string join_groups(const std::vector<const unfinished_ranks*>& groups, const char* verb) {
  std::string text;
  for (std::size_t i = 0; i < groups.size() && i < most_groups_named; ++i)
    text += (i ? "; " : "") + group_text(*groups[i], verb);
  if (groups.size() > most_groups_named)
    text += fmt::format("; … and {} more", groups.size() - most_groups_named);
  return text;
}

// One finding as a clause: "rank 3 on node04 killed by SIGSEGV (Segmentation fault)".
std::string finding_text(const launcher_finding& f, const std::vector<std::string>& hosts) {
  const std::string subject = who(f.ranks, hosts);
  const std::string on = hosts.empty() ? "" : " on " + hosts_text(hosts);
  if (f.cause == "signal") return subject + " killed by " + describe_signal_by_name(f.signal);
  if (f.cause == "exit")
    return f.exit_code ? fmt::format("{} exited with status {}", subject, *f.exit_code)
                       : fmt::format("{} {}", subject, f.detail.empty() ? "exited" : f.detail);
  if (f.cause == "out_of_memory") return subject + " ran out of memory (killed by Slurm's OOM handling)";
  if (f.cause == "abort") return subject + " called abort";
  if (f.cause == "mpi_abort")
    return fmt::format("{} called MPI_Abort (errorcode {})", subject, f.exit_code.value_or(0));
  if (f.cause == "task_launch_failed")
    return fmt::format("task launch failed{}{}: {}", on, f.ranks.empty() ? "" : " for " + ranks_text(f.ranks),
                       f.detail);
  if (f.cause == "step_failed") return "srun could not create the job step: " + f.detail;
  if (f.cause == "node_failure") return hosts.empty() ? "a node of the step failed" : "node failure" + on;
  if (f.cause == "daemon_lost")
    return hosts.empty() ? "mpirun lost a daemon: " + f.detail : "mpirun lost its daemon" + on;
  if (f.cause == "allocation_gone") return "the Slurm allocation is gone: " + f.detail;
  if (f.cause == "mpi_init_failed")
    return "MPI_Init failed" + on + (f.detail.empty() ? "" : " (" + f.detail + ")");
  if (f.cause == "mpi_transport") return "Open MPI" + on + ": " + f.detail;
  return f.message;
}

std::string launcher_name(const failure_evidence& evidence) {
  return evidence.launcher.empty() || evidence.launcher == "local" ? std::string("the worker")
                                                                   : evidence.launcher;
}

std::string exit_status_text(const std::string& launcher, int status) {
  if (const auto signal = signal_of_exit_status(status))
    return fmt::format("{} exited with status {} (128+{}: {})", launcher, status, *signal,
                       signal_name(*signal));
  return fmt::format("{} exited with status {}", launcher, status);
}

void add_hosts(std::vector<std::string>& into, const std::vector<std::string>& hosts) {
  for (const auto& h : hosts)
    if (!h.empty() && std::find(into.begin(), into.end(), h) == into.end()) into.push_back(h);
}

void add_ranks(std::vector<int>& into, const std::vector<int>& ranks) {
  for (const int r : ranks)
    if (std::find(into.begin(), into.end(), r) == into.end()) into.push_back(r);
}

void describe_timeout(case_failure& f, const std::vector<unfinished_ranks>& groups) {
  f.cause = "timeout";
  f.reason = fmt::format("timed out after {:.0f} s (limit {:.0f} s)", f.elapsed_s, f.timeout_s);
  if (groups.empty()) {
    f.reason += ": every rank reported done (stuck after its results: in MPI_Finalize or exiting)";
    return;
  }
  // The least advanced ranks are the ones the others wait for.
  const auto least = std::make_tuple(phase_order(groups.front().phase), groups.front().point);
  std::vector<const unfinished_ranks*> stuck, waiting;
  for (const auto& g : groups)
    (std::make_tuple(phase_order(g.phase), g.point) == least ? stuck : waiting).push_back(&g);
  f.reason += ": " + join_groups(stuck, "stuck ");
  if (!waiting.empty()) f.reason += "; " + join_groups(waiting, "waiting, ");
  for (const auto* g : stuck) {
    add_ranks(f.ranks, g->ranks);
    add_hosts(f.hosts, {g->host});
  }
}

}  // namespace

case_failure describe_failure(const process_result& ended, std::string_view log,
                              const std::vector<rank_progress>& progress, int ranks_expected,
                              const failure_evidence& evidence) {
  case_failure f;
  f.elapsed_s = ended.elapsed_s;
  f.timeout_s = evidence.timeout_s;
  const auto groups = group_unfinished(progress, ranks_expected);
  f.not_finished = groups;
  f.before_measuring = std::none_of(progress.begin(), progress.end(), [](const rank_progress& p) {
    return reached_measuring(p.phase) || p.phase == rank_phase::failed;
  });
  std::map<int, std::string> host_of;
  for (const auto& p : progress) host_of[p.rank] = p.host;
  const auto findings = parse_launcher_messages(log);
  f.allocation_gone = says_allocation_gone(findings);
  const std::string launcher = launcher_name(evidence);

  if (ended.how == process_result::ending::timed_out) {
    describe_timeout(f, groups);
    // What the launcher said while it was stopped (a node failure, a daemon lost) is part of the story.
    if (const auto* primary = primary_finding(findings); primary && !primary->consequence) {
      f.launcher_message = primary->message;
      std::vector<std::string> hosts =
          primary->hosts.empty() ? hosts_of(primary->ranks, host_of) : primary->hosts;
      f.reason += "; " + launcher + " said: " + finding_text(*primary, hosts);
    }
    return f;
  }
  if (ended.how == process_result::ending::failed_to_start) {
    f.cause = "launcher_not_started";
    f.reason = "could not start the launcher: " + ended.error;
    return f;
  }

  // Ranks that failed of their own (their error in their progress file) come first: a launcher's MPI_Abort
  // or non-zero exit after them is what they caused.
  std::vector<const unfinished_ranks*> failed, never_initialised;
  for (const auto& g : groups) {
    if (g.phase == "failed") failed.push_back(&g);
    if (g.phase == "not_started" || g.phase == "started") never_initialised.push_back(&g);
  }
  std::vector<std::string> clauses;
  for (const auto* g : failed) {
    clauses.push_back(group_text(*g, ""));
    add_ranks(f.ranks, g->ranks);
    add_hosts(f.hosts, {g->host});
    if (f.cause.empty()) f.cause = "rank_error";
  }
  const launcher_finding* primary = primary_finding(findings);
  if (primary && primary->consequence && !failed.empty()) primary = nullptr;
  if (primary) {
    const auto hosts_for = [&](const launcher_finding& x) {
      return x.hosts.empty() ? hosts_of(x.ranks, host_of) : x.hosts;
    };
    if (failed.empty() || (primary->cause != "mpi_abort" && primary->cause != "exit")) {
      const auto hosts = hosts_for(*primary);
      std::string clause = finding_text(*primary, hosts);
      std::vector<int> ranks_there;  // a failed node or lost daemon: the ranks it held, from their progress
      if (primary->ranks.empty() && (primary->cause == "node_failure" || primary->cause == "daemon_lost"))
        for (const auto& [rank, host] : host_of)
          if (std::find(hosts.begin(), hosts.end(), host) != hosts.end()) ranks_there.push_back(rank);
      if (!ranks_there.empty()) clause += " (" + ranks_text(ranks_there) + " there)";
      clauses.insert(clauses.begin() + (primary->cause == "signal" ? 0 : static_cast<long>(clauses.size())),
                     clause);
      f.cause = primary->cause;
      if (primary->cause == "signal") f.signal = signal_name(primary->signal);
      f.launcher_message = primary->message;
      std::vector<std::string> blamed = hosts;
      blamed.insert(blamed.end(), f.hosts.begin(), f.hosts.end());
      f.hosts.clear();
      add_hosts(f.hosts, blamed);
      std::vector<int> ranks = primary->ranks.empty() ? ranks_there : primary->ranks;
      ranks.insert(ranks.end(), f.ranks.begin(), f.ranks.end());
      f.ranks.clear();
      add_ranks(f.ranks, ranks);
    }
    // Up to two more things the launcher said that are not consequences and not the same thing again.
    std::set<std::string> said{primary->message};
    std::size_t more = 0;
    for (const auto& x : findings) {
      if (more >= 2 || x.consequence || said.count(x.message) || &x == primary) continue;
      // Open MPI's own signal handler line repeats what srun or mpirun said of a named rank.
      if (x.cause == "signal" && x.ranks.empty() && primary->cause == "signal" && x.signal == primary->signal)
        continue;
      if (x.cause == "mpi_transport" && primary->cause != "mpi_init_failed") continue;
      // slurmstepd's "STEP … CANCELLED … DUE TO NODE FAILURE" names no node: srun's line said which.
      if (x.cause == primary->cause && x.hosts.empty()) continue;
      said.insert(x.message);
      clauses.push_back(finding_text(x, hosts_for(x)));
      add_hosts(f.hosts, hosts_for(x));
      ++more;
    }
  }
  if (!never_initialised.empty()) {
    clauses.push_back(join_groups(never_initialised, "never finished MPI_Init: "));
    for (const auto* g : never_initialised) add_hosts(f.hosts, {g->host});
  }
  // The launcher's own end, decoded.
  std::string end_text;
  if (ended.how == process_result::ending::signaled) {
    f.signal = f.signal.empty() ? signal_name(ended.signal) : f.signal;
    end_text = fmt::format("{} was killed by {}", launcher, describe_signal_by_name(ended.signal));
    if (f.cause.empty()) f.cause = "signal";
  } else {
    f.exit_status = ended.exit_code;
    end_text = exit_status_text(launcher, ended.exit_code);
    if (f.cause.empty()) {
      const auto signal = signal_of_exit_status(ended.exit_code);
      f.cause = signal ? "signal" : ended.exit_code == 0 ? "no_result" : "exit";
      if (signal) f.signal = signal_name(*signal);
    }
  }
  clauses.push_back(end_text + " and wrote no result");
  for (std::size_t i = 0; i < clauses.size(); ++i) f.reason += (i ? "; " : "") + clauses[i];
  // "the worker" is rank 0 on this host when nothing else was named (launcher local).
  return f;
}

case_failure describe_failure_from_files(const process_result& ended, const std::string& log_file,
                                         int ranks_expected, const failure_evidence& evidence) {
  std::string log;
  if (std::ifstream in(log_file, std::ios::binary); in) {
    constexpr std::streamoff most = 256 * 1024;
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    if (size > 0) {
      const std::streamoff from = std::max<std::streamoff>(0, size - most);
      in.seekg(from);
      log.resize(static_cast<std::size_t>(size - from));
      in.read(log.data(), static_cast<std::streamsize>(log.size()));
      log.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount())));
    }
  }
  const auto progress = evidence.progress_dir.empty() ? std::vector<rank_progress>()
                                                      : read_rank_progress(evidence.progress_dir);
  return describe_failure(ended, log, progress, ranks_expected, evidence);
}

nlohmann::json to_json(const case_failure& f) {
  nlohmann::json not_finished = nlohmann::json::array();
  for (const auto& g : f.not_finished)
    not_finished.push_back({{"ranks", g.ranks},
                            {"host", g.host.empty() ? nlohmann::json(nullptr) : nlohmann::json(g.host)},
                            {"phase", g.phase},
                            {"point", g.point},
                            {"points", g.points},
                            {"description", g.description}});
  nlohmann::json j = {
      {"cause", f.cause},
      {"hosts", f.hosts},
      {"ranks", f.ranks},
      {"signal", f.signal.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.signal)},
      {"exit_status", f.exit_status ? nlohmann::json(*f.exit_status) : nlohmann::json(nullptr)},
      {"launcher_message", f.launcher_message},
      {"reason", f.reason},
      {"before_measuring", f.before_measuring},
      {"allocation_gone", f.allocation_gone},
      {"ranks_not_finished", std::move(not_finished)}};
  if (f.cause == "timeout") {
    j["elapsed_s"] = f.elapsed_s;
    j["timeout_s"] = f.timeout_s;
  }
  return j;
}

nlohmann::json failed_ranks_of(const case_failure& f) {
  nlohmann::json ranks = nlohmann::json::array();
  std::set<std::string> named_hosts;
  std::map<int, std::string> host_of;
  for (const auto& g : f.not_finished)
    for (const int r : g.ranks) host_of[r] = g.host;
  const auto entry = [&](nlohmann::json rank, const std::string& host) {
    return nlohmann::json{{"rank", std::move(rank)}, {"host", host},    {"kind", nullptr},
                          {"gpu", nullptr},          {"uuid", nullptr}, {"reason", f.reason}};
  };
  // A rank whose host is known is named with it; a host without a known rank, alone.
  for (const int r : f.ranks) {
    std::string host;
    if (const auto h = host_of.find(r); h != host_of.end()) host = h->second;
    if (host.empty() && f.hosts.size() == 1) host = f.hosts.front();
    if (host.empty()) continue;
    ranks.push_back(entry(r, host));
    named_hosts.insert(host);
  }
  for (const auto& host : f.hosts)
    if (!named_hosts.count(host)) ranks.push_back(entry(nullptr, host));
  return ranks;
}

}  // namespace exacheck
