#include "harness/controller/launch_layout.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>

#include "harness/core/errors.hpp"

namespace exacheck {
namespace {

[[noreturn]] void refuse(const expanded_case& c, const std::string& why) {
  throw usage_error(fmt::format("case '{}': {}", c.name, why));
}

std::string job_text(const slurm_allocation& a) {
  return fmt::format("Slurm job {} ({} node(s): {}; tasks per node {})", a.job_id, a.nodes.size(),
                     a.node_list, fmt::join(a.tasks_per_node, ","));
}

// mpirun over the hosts given: by slot, each host filled to its slots in order (mpirun's own mapping), or
// ranks_per_node on each.
launch_layout on_hosts(const expanded_case& c, const launch_site& site) {
  if (c.launcher != "mpirun")
    refuse(c, fmt::format("hosts and hostfile are for launcher mpirun, not {} (srun takes its nodes from the "
                          "Slurm allocation)",
                          c.launcher));
  const auto& hosts = c.hosts.hosts;
  std::vector<int> slots;
  for (const auto& h : hosts) slots.push_back(c.ranks_per_node > 0 ? c.ranks_per_node : std::max(1, h.slots));
  const int capacity = std::accumulate(slots.begin(), slots.end(), 0);
  launch_layout layout;
  layout.ranks = c.ranks == all_ranks ? capacity : c.ranks;
  if (layout.ranks > capacity)
    refuse(c, fmt::format("{} ranks, but the {} host(s) given take {} ({}); give slots (node01:4, or "
                          "'slots=4' in the hostfile), ranks_per_node, or fewer ranks",
                          layout.ranks, hosts.size(), capacity,
                          c.ranks_per_node > 0 ? fmt::format("ranks_per_node {}", c.ranks_per_node)
                                               : std::string("their slots; a host without slots takes 1")));
  std::vector<int> on_host(hosts.size(), 0);
  for (std::size_t i = 0, left = static_cast<std::size_t>(layout.ranks); i < hosts.size() && left > 0; ++i) {
    on_host[i] = std::min<int>(slots[i], static_cast<int>(left));
    left -= static_cast<std::size_t>(on_host[i]);
  }
  std::vector<std::string> unknown_cpus;
  int threads = 0, least_cpus = 0;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    if (on_host[i] == 0) continue;
    layout.expected_hosts.push_back(hosts[i].host);
    int cpus = c.cpus_per_node;
    if (cpus == 0) cpus = hosts[i].slots;
    if (cpus == 0) {
      cpus = site.controller_cpus;
      unknown_cpus.push_back(hosts[i].host);
    }
    const int share = std::max(1, cpus / on_host[i]);
    threads = threads == 0 ? share : std::min(threads, share);
    least_cpus = least_cpus == 0 ? cpus : std::min(least_cpus, cpus);
    layout.ranks_per_node = std::max(layout.ranks_per_node, on_host[i]);
  }
  if (!unknown_cpus.empty())
    layout.warning = fmt::format(
        "case '{}': the CPUs of {} are not known (no cpus_per_node, no slots): assuming this node's {} "
        "CPU(s) "
        "each; set cpus_per_node in the plan or --cpus-per-node",
        c.name, fmt::join(unknown_cpus, ", "), site.controller_cpus);
  launch_request& r = layout.request;
  r.ranks_on_busiest_node = layout.ranks_per_node;
  // Every host the same number of ranks: ppr spreads them so even where mpirun would count slots otherwise
  // (a hostfile line without slots= is the host's cores to Open MPI).
  const bool even = std::all_of(on_host.begin(), on_host.end(),
                                [&](int n) { return n == 0 || n == layout.ranks_per_node; });
  r.ranks_per_node = c.ranks_per_node > 0 || even ? layout.ranks_per_node : 0;
  // Oversubscribed only when some host has more ranks × threads than CPUs (the launcher compares the busiest
  // node's ranks with this count).
  bool fits = true;
  for (std::size_t i = 0; i < hosts.size(); ++i)
    if (on_host[i] > 0) {
      const int cpus = c.cpus_per_node > 0  ? c.cpus_per_node
                       : hosts[i].slots > 0 ? hosts[i].slots
                                            : site.controller_cpus;
      fits = fits && on_host[i] * threads <= cpus;
    }
  r.cpus_on_node = fits ? layout.ranks_per_node * threads : least_cpus;
  layout.threads_per_rank = threads;
  if (c.hosts.hostfile.empty())
    r.hosts = host_argument(hosts);
  else
    r.hostfile = c.hosts.hostfile;
  return layout;
}

// srun, or mpirun (which reads SLURM_* itself and starts its daemons with srun), inside the allocation.
launch_layout in_allocation(const expanded_case& c, const slurm_allocation& a) {
  launch_layout layout;
  layout.ranks = c.ranks == all_ranks ? a.tasks : c.ranks;
  if (layout.ranks > a.tasks)
    refuse(c, fmt::format("{} ranks, but {} has {} task(s); ask the allocation for more (salloc/sbatch -n or "
                          "--ntasks-per-node) or run fewer ranks (--ranks all: every task of it)",
                          layout.ranks, job_text(a), a.tasks));
  const int least_tasks = *std::min_element(a.tasks_per_node.begin(), a.tasks_per_node.end());
  if (c.ranks_per_node > 0 && c.ranks_per_node > least_tasks)
    refuse(c, fmt::format("ranks_per_node {}, but {} gives as few as {} task(s) on a node; leave "
                          "ranks_per_node out (the allocation decides) or ask for --ntasks-per-node={}",
                          c.ranks_per_node, job_text(a), least_tasks, c.ranks_per_node));
  const int uniform = c.ranks_per_node > 0 ? c.ranks_per_node : a.uniform_tasks_per_node();
  // CPUs per task as the allocation gives them: with its own ranks per node when the plan sets one.
  int threads = a.cpus_for_each_task();
  if (c.ranks_per_node > 0 && !a.cpus_per_task) {
    threads = 0;
    for (const int cpus : a.cpus_per_node) {
      const int share = std::max(1, cpus / c.ranks_per_node);
      threads = threads == 0 ? share : std::min(threads, share);
    }
  }
  layout.threads_per_rank = threads;
  const bool whole = layout.ranks == a.tasks && c.ranks_per_node == 0;
  if (whole) layout.expected_hosts = a.nodes;
  layout.ranks_per_node =
      uniform > 0 ? uniform : *std::max_element(a.tasks_per_node.begin(), a.tasks_per_node.end());
  launch_request& r = layout.request;
  r.ranks_per_node = uniform;
  r.ranks_on_busiest_node = layout.ranks_per_node;
  // Oversubscribed only when some node has more tasks × CPUs per task than CPUs (SLURM_CPUS_PER_TASK can say
  // so; the share computed from the allocation never does).
  bool fits = true;
  for (std::size_t i = 0; i < a.nodes.size(); ++i)
    fits = fits &&
           (c.ranks_per_node > 0 ? c.ranks_per_node : a.tasks_per_node[i]) * threads <= a.cpus_per_node[i];
  r.cpus_on_node = fits ? layout.ranks_per_node * threads
                        : *std::min_element(a.cpus_per_node.begin(), a.cpus_per_node.end());
  // The ranks over as few nodes as hold them, so that srun neither warns nor spreads them thinner than the
  // allocation's tasks per node.
  if (c.launcher == "srun") {
    if (whole)
      r.nodes = static_cast<int>(a.nodes.size());
    else if (uniform > 0)
      r.nodes = (layout.ranks + uniform - 1) / uniform;
  }
  return layout;
}

}  // namespace

launch_layout lay_out_case(const expanded_case& c, const launch_site& site) {
  launch_layout layout;
  if (!c.hosts.empty()) {
    layout = on_hosts(c, site);
  } else if (site.allocation && c.launcher != "local") {
    layout = in_allocation(c, *site.allocation);
  } else {
    if (c.ranks == all_ranks)
      refuse(c, fmt::format("ranks 'all' means every task of a Slurm allocation, and SLURM_JOB_ID is not set "
                            "(run inside salloc or sbatch){}",
                            c.launcher == "mpirun" ? ", or for mpirun the slots of the hosts given (--hosts, "
                                                     "--hostfile, or the plan's hosts or hostfile)"
                                                   : ""));
    // The controller's own node: every rank here (mpirun), or as srun places them outside an allocation.
    layout.ranks = c.ranks;
    const int ranks_on_node = c.ranks_per_node > 0 ? std::min(c.ranks_per_node, c.ranks) : c.ranks;
    layout.threads_per_rank = threads_per_rank(site.controller_cpus, ranks_on_node);
    layout.ranks_per_node = ranks_on_node;
    layout.request.ranks_per_node = c.ranks_per_node;
    layout.request.cpus_on_node = site.controller_cpus;
  }
  launch_request& r = layout.request;
  r.launcher = c.launcher;
  r.ranks = layout.ranks;
  r.threads_per_rank = layout.threads_per_rank;
  r.launcher_args = c.launcher_args;
  return layout;
}

std::vector<std::string> expected_hosts_of(const std::vector<launch_layout>& layouts) {
  std::vector<std::string> hosts;
  for (const auto& l : layouts)
    for (const auto& h : l.expected_hosts)
      if (std::find(hosts.begin(), hosts.end(), h) == hosts.end()) hosts.push_back(h);
  return hosts;
}

}  // namespace exacheck
