#include "harness/controller/launcher.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "harness/core/errors.hpp"

namespace exacheck {

int threads_per_rank(int cpus_on_node, int ranks_on_node) {
  return std::max(1, cpus_on_node / std::max(1, ranks_on_node));
}

namespace {
std::vector<std::string> mpirun_argv(const launch_request& request, launch_command& command) {
  const int ranks_on_node =
      request.ranks_per_node > 0 ? std::min(request.ranks_per_node, request.ranks) : request.ranks;
  // Open MPI refuses to start as root, and refuses more ranks than slots, unless told: users must never need
  // to.
  command.environment = {{"OMPI_ALLOW_RUN_AS_ROOT", "1"}, {"OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"}};
  std::vector<std::string> argv{"mpirun", "-np", std::to_string(request.ranks)};
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
  std::vector<std::string> argv{"srun",
                                fmt::format("--ntasks={}", request.ranks),
                                fmt::format("--cpus-per-task={}", request.threads_per_rank),
                                "--cpu-bind=cores",
                                "--kill-on-bad-exit=1",
                                "--unbuffered"};
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
  } else if (request.launcher == "mpirun") {
    command.argv = mpirun_argv(request, command);
  } else if (request.launcher == "srun") {
    command.argv = srun_argv(request);
  } else {
    throw usage_error(fmt::format("unknown launcher '{}'; expected local, mpirun or srun", request.launcher));
  }
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

}  // namespace exacheck
