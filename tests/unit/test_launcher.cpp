#include <gtest/gtest.h>

#include <algorithm>

#include "harness/controller/launcher.hpp"
#include "harness/core/errors.hpp"

using namespace exacheck;

namespace {
bool contains_sequence(const std::vector<std::string>& argv, const std::vector<std::string>& sequence) {
  return std::search(argv.begin(), argv.end(), sequence.begin(), sequence.end()) != argv.end();
}
launch_request request_for(const std::string& launcher, int ranks, int cpus, int threads = 1) {
  return {.launcher = launcher,
          .ranks = ranks,
          .threads_per_rank = threads,
          .cpus_on_node = cpus,
          .worker_argv = {"/opt/exacheck", "worker", "--case", "/runs/c 1/case.json"}};
}
}  // namespace

TEST(launcher, local_runs_the_worker_directly) {
  const auto command = build_launch_command(request_for("local", 1, 2));
  EXPECT_EQ(command.argv,
            (std::vector<std::string>{"/opt/exacheck", "worker", "--case", "/runs/c 1/case.json"}));
  // Only the worker's threading, as for every launcher (below).
  EXPECT_EQ(command.environment, worker_threading_environment(1));
}

TEST(launcher, every_launch_sets_the_workers_threading_over_the_sites_environment) {
  // Sites set OMP_PROC_BIND/OMP_PLACES/OMP_NUM_THREADS=1 for every user: exacheck pins its own threads, so
  // the runtime must not bind them, and OpenMP and OpenBLAS get the rank's threads.
  EXPECT_EQ(worker_threading_environment(4),
            (std::map<std::string, std::string>{
                {"OMP_PROC_BIND", "false"}, {"OMP_NUM_THREADS", "4"}, {"OPENBLAS_NUM_THREADS", "4"}}));
  for (const char* launcher : {"local", "mpirun", "srun"}) {
    const auto command =
        build_launch_command(request_for(launcher, launcher == std::string("local") ? 1 : 2, 8, 4));
    for (const auto& [name, value] : worker_threading_environment(4))
      EXPECT_EQ(command.environment.at(name), value) << launcher;
  }
  // mpirun hands them to the ranks of other nodes only when told.
  const auto mpirun = build_launch_command(request_for("mpirun", 2, 8, 4));
  for (const char* name : {"OMP_PROC_BIND", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"})
    EXPECT_TRUE(contains_sequence(mpirun.argv, {"-x", name})) << name;
  EXPECT_EQ(mpirun.argv.back(), "/runs/c 1/case.json");
}

TEST(launcher, local_with_several_ranks_is_a_usage_error_naming_the_fix) {
  try {
    build_launch_command(request_for("local", 4, 2));
    FAIL() << "expected usage_error";
  } catch (const usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("mpirun"), std::string::npos);
  }
}

TEST(launcher, mpirun_allows_root_and_binds_when_ranks_fit) {
  const auto command = build_launch_command(request_for("mpirun", 2, 2));
  EXPECT_EQ(command.argv.front(), "mpirun");
  EXPECT_TRUE(contains_sequence(command.argv, {"-np", "2"}));
  EXPECT_TRUE(contains_sequence(command.argv, {"--bind-to", "core"}));
  EXPECT_FALSE(contains_sequence(command.argv, {"--oversubscribe"}));
  EXPECT_EQ(command.environment.at("OMPI_ALLOW_RUN_AS_ROOT"), "1");
  EXPECT_EQ(command.environment.at("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"), "1");
  // The worker argv comes last, untouched (no shell: the space in the path stays one argument).
  EXPECT_EQ(command.argv.back(), "/runs/c 1/case.json");
}

TEST(launcher, mpirun_oversubscribes_unbound_when_ranks_exceed_cores) {
  const auto command = build_launch_command(request_for("mpirun", 4, 2));
  EXPECT_TRUE(contains_sequence(command.argv, {"-np", "4"}));
  EXPECT_TRUE(contains_sequence(command.argv, {"--oversubscribe", "--bind-to", "none"}));
}

TEST(launcher, mpirun_gives_each_rank_its_threads_cores) {
  const auto command = build_launch_command(request_for("mpirun", 2, 8, 4));
  EXPECT_TRUE(contains_sequence(command.argv, {"--map-by", "slot:PE=4", "--bind-to", "core"}));
}

TEST(launcher, srun_argv_carries_tasks_cpus_and_kill_on_bad_exit) {
  auto request = request_for("srun", 8, 64, 16);
  request.ranks_per_node = 4;
  const auto command = build_launch_command(request);
  EXPECT_EQ(command.argv.front(), "srun");
  EXPECT_TRUE(contains_sequence(command.argv, {"--ntasks=8", "--cpus-per-task=16", "--cpu-bind=cores"}));
  EXPECT_NE(std::find(command.argv.begin(), command.argv.end(), "--kill-on-bad-exit=1"), command.argv.end());
  EXPECT_NE(std::find(command.argv.begin(), command.argv.end(), "--ntasks-per-node=4"), command.argv.end());
  EXPECT_TRUE(contains_sequence(command.argv, {"/opt/exacheck", "worker"}));
}

TEST(launcher, unknown_launcher_is_a_usage_error) {
  EXPECT_THROW(build_launch_command(request_for("pbsdsh", 1, 2)), usage_error);
}

TEST(launcher, threads_share_the_node_and_never_drop_to_zero) {
  EXPECT_EQ(threads_per_rank(2, 1), 2);
  EXPECT_EQ(threads_per_rank(2, 2), 1);
  EXPECT_EQ(threads_per_rank(2, 4), 1);
  EXPECT_EQ(threads_per_rank(64, 4), 16);
}

TEST(launcher, shell_quote_quotes_only_what_needs_it) {
  EXPECT_EQ(shell_quote({"mpirun", "-np", "2", "a b", "it's"}), "mpirun -np 2 'a b' 'it'\\''s'");
}
