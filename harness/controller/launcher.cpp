#include "harness/controller/launcher.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <array>

#include "harness/core/errors.hpp"

namespace exacheck {

int threads_per_rank(int cpus_on_node, int ranks_on_node) {
  return std::max(1, cpus_on_node / std::max(1, ranks_on_node));
}

std::map<std::string, std::string> worker_threading_environment(int threads_per_rank) {
  const std::string threads = std::to_string(std::max(1, threads_per_rank));
  return {{"OMP_PROC_BIND", "false"}, {"OMP_NUM_THREADS", threads}, {"OPENBLAS_NUM_THREADS", threads}};
}

namespace {
std::vector<std::string> mpirun_argv(const launch_request& request, launch_command& command) {
  const int ranks_on_node = request.ranks_on_busiest_node > 0 ? request.ranks_on_busiest_node
                            : request.ranks_per_node > 0 ? std::min(request.ranks_per_node, request.ranks)
                                                         : request.ranks;
  // Open MPI refuses to start as root, and refuses more ranks than slots, unless told: users must never need
  // to.
  command.environment = {{"OMPI_ALLOW_RUN_AS_ROOT", "1"}, {"OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"}};
  std::vector<std::string> argv{"mpirun", "-np", std::to_string(request.ranks)};
  if (!request.hostfile.empty()) argv.insert(argv.end(), {"--hostfile", request.hostfile});
  if (!request.hosts.empty()) argv.insert(argv.end(), {"--host", request.hosts});
  const bool oversubscribed = ranks_on_node * request.threads_per_rank > request.cpus_on_node;
  if (oversubscribed) {
    argv.insert(argv.end(), {"--oversubscribe", "--bind-to", "none"});
    if (request.ranks_per_node > 0)
      argv.insert(argv.end(), {"--map-by", fmt::format("ppr:{}:node", request.ranks_per_node)});
  } else {
    // Each rank gets threads_per_rank cores of its own: OpenMP threads and BLAS threads stay inside them.
    const std::string map =
        request.ranks_per_node > 0
            ? fmt::format("ppr:{}:node:PE={}", request.ranks_per_node, request.threads_per_rank)
            : fmt::format("slot:PE={}", request.threads_per_rank);
    argv.insert(argv.end(), {"--map-by", map, "--bind-to", "core"});
  }
  // A rank that dies must take the job down rather than leave its peers hanging in a collective.
  argv.insert(argv.end(), {"--mca", "orte_abort_on_non_zero_status", "1"});
  return argv;
}

std::vector<std::string> srun_argv(const launch_request& request) {
  std::vector<std::string> argv{"srun", fmt::format("--ntasks={}", request.ranks)};
  if (request.nodes > 0) argv.push_back(fmt::format("--nodes={}", request.nodes));
  argv.insert(argv.end(), {fmt::format("--cpus-per-task={}", request.threads_per_rank), "--cpu-bind=cores",
                           "--kill-on-bad-exit=1", "--unbuffered"});
  if (request.ranks_per_node > 0) argv.push_back(fmt::format("--ntasks-per-node={}", request.ranks_per_node));
  return argv;
}
}  // namespace

launch_command build_launch_command(const launch_request& request) {
  if (request.ranks < 1) throw usage_error(fmt::format("ranks must be at least 1, got {}", request.ranks));
  if (request.worker_argv.empty()) throw usage_error("no worker command to launch");
  launch_command command;
  if (request.launcher == "local") {
    if (request.ranks != 1)
      throw usage_error(
          fmt::format("launcher 'local' runs exactly one process, but {} ranks were asked for; use launcher "
                      "mpirun or srun",
                      request.ranks));
    if (!request.launcher_args.empty())
      throw usage_error("launcher 'local' runs the worker itself and takes no launcher_args");
  } else if (request.launcher == "mpirun") {
    command.argv = mpirun_argv(request, command);
  } else if (request.launcher == "srun") {
    command.argv = srun_argv(request);
  } else {
    throw usage_error(fmt::format("unknown launcher '{}'; expected local, mpirun or srun", request.launcher));
  }
  // The worker's threading, set whatever the site's environment says (sites set OMP_PROC_BIND, OMP_PLACES,
  // OMP_NUM_THREADS=1 … in every user's environment): exacheck pins its own threads inside the CPUs the
  // launcher granted (kernels/cpu/thread_pinning), so the OpenMP runtime must not bind them, and OpenMP and
  // OpenBLAS get the rank's threads. mpirun passes them to the ranks of other nodes only when told (-x).
  for (const auto& [name, value] : worker_threading_environment(request.threads_per_rank)) {
    command.environment[name] = value;
    if (request.launcher == "mpirun") command.argv.insert(command.argv.end(), {"-x", name});
  }
  command.argv.insert(command.argv.end(), request.launcher_args.begin(), request.launcher_args.end());
  command.argv.insert(command.argv.end(), request.worker_argv.begin(), request.worker_argv.end());
  return command;
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& word : argv) {
    if (!line.empty()) line += ' ';
    const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) ||
             std::string_view("-_./=:,+@%").find(c) != std::string_view::npos;
    });
    if (plain) {
      line += word;
    } else {
      line += '\'';
      for (char c : word) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
      line += '\'';
    }
  }
  return line;
}

bool is_launch_relevant_variable(const std::string& name) {
  static constexpr std::array<std::string_view, 11> prefixes{
      "OMPI_", "PMIX_", "PRTE_", "UCX_", "NCCL_", "OMP_", "GOMP_", "KMP_", "OPENBLAS_", "MKL_", "BLIS_"};
  if (std::any_of(prefixes.begin(), prefixes.end(), [&](std::string_view p) { return name.starts_with(p); }))
    return true;
  // srun's input variables (each an option of the step), not the job's identity.
  static constexpr std::array<std::string_view, 17> slurm_inputs{
      "SLURM_MPI_TYPE",      "SLURM_CPU_BIND",      "SLURM_DISTRIBUTION", "SLURM_NTASKS_PER_NODE",
      "SLURM_CPUS_PER_TASK", "SLURM_OVERCOMMIT",    "SLURM_HINT",         "SLURM_THREADS_PER_CORE",
      "SLURM_GPUS_PER_TASK", "SLURM_GPUS_PER_NODE", "SLURM_GPU_BIND",     "SLURM_CPUS_PER_GPU",
      "SLURM_NETWORK",       "SLURM_MEM_PER_CPU",   "SLURM_MEM_PER_NODE", "SLURM_CPU_FREQ_REQ",
      "SLURM_EXCLUSIVE"};
  return name == "CUDA_VISIBLE_DEVICES" ||
         std::find(slurm_inputs.begin(), slurm_inputs.end(), name) != slurm_inputs.end();
}

std::map<std::string, std::string> launch_relevant_environment() {
  std::map<std::string, std::string> found;
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string name(text.substr(0, equals));
    if (is_launch_relevant_variable(name)) found.emplace(name, std::string(text.substr(equals + 1)));
  }
  return found;
}

std::string rerun_line(const std::map<std::string, std::string>& environment,
                       const std::vector<std::string>& argv) {
  std::vector<std::string> words;
  if (!environment.empty()) words.emplace_back("env");
  for (const auto& [name, value] : environment) words.push_back(name + "=" + value);
  words.insert(words.end(), argv.begin(), argv.end());
  return shell_quote(words);
}

}  // namespace exacheck
