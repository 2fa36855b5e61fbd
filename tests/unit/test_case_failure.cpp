// The reason a failed launch is given (harness/results/case_failure.hpp): from how the launcher ended, what
// it printed and the ranks' progress files (harness/results/rank_progress.hpp) — hosts, ranks and cause, the
// time-out's limit beside the time it ran, and whether it failed before any rank measured (the retry rule).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "harness/results/case_failure.hpp"
#include "harness/results/rank_progress.hpp"

using namespace exacheck;

namespace {
rank_progress at(int rank, const std::string& host, rank_phase phase, int point = 0, int points = 0) {
  rank_progress p;
  p.rank = rank;
  p.host = host;
  p.phase = phase;
  p.point = point;
  p.points = points;
  return p;
}

process_result timed_out(double elapsed_s) {
  process_result r;
  r.how = process_result::ending::timed_out;
  r.elapsed_s = elapsed_s;
  return r;
}

failure_evidence by(const std::string& launcher, double timeout_s = 0) {
  failure_evidence e;
  e.launcher = launcher;
  e.timeout_s = timeout_s;
  return e;
}

process_result exited(int status) {
  process_result r;
  r.how = process_result::ending::exited;
  r.exit_code = status;
  return r;
}
}  // namespace

TEST(rank_progress, files_are_written_and_read_back_by_rank) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("exacheck-progress-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto p = at(3, "node04", rank_phase::measuring, 4, 9);
  write_rank_progress(dir.string(), p);
  write_rank_progress(dir.string(), at(1, "node02", rank_phase::started));
  p.point = 5;
  write_rank_progress(dir.string(), p);  // replaced, never appended
  std::ofstream(dir / "rank-9.json") << "{\"not\": \"progress\"}";
  std::ofstream(dir / "notes.txt") << "x";
  const auto read = read_rank_progress(dir.string());
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].rank, 1);
  EXPECT_EQ(read[0].phase, rank_phase::started);
  EXPECT_EQ(read[1].rank, 3);
  EXPECT_EQ(read[1].host, "node04");
  EXPECT_EQ(read[1].point, 5);
  EXPECT_EQ(read[1].points, 9);
  EXPECT_EQ(describe_phase(read[1]), "measuring point 5/9");
  EXPECT_TRUE(read_rank_progress((dir / "absent").string()).empty());
  std::filesystem::remove_all(dir);
}

TEST(rank_progress, rank_before_mpi_init_comes_from_the_launchers_environment) {
  ::setenv("SLURM_PROCID", "5", 1);
  EXPECT_EQ(launcher_rank_from_environment(), 5);
  ::setenv("OMPI_COMM_WORLD_RANK", "2", 1);  // Open MPI's own first
  EXPECT_EQ(launcher_rank_from_environment(), 2);
  ::setenv("OMPI_COMM_WORLD_RANK", "x", 1);
  EXPECT_EQ(launcher_rank_from_environment(), 5);
  ::unsetenv("OMPI_COMM_WORLD_RANK");
  ::unsetenv("SLURM_PROCID");
}

TEST(case_failure, timeout_says_limit_and_time_and_names_the_least_advanced_ranks) {
  const std::vector<rank_progress> progress{
      at(0, "node01", rank_phase::gathering, 9, 9), at(1, "node01", rank_phase::gathering, 9, 9),
      at(2, "node03", rank_phase::measuring, 4, 9), at(3, "node03", rank_phase::measuring, 4, 9)};
  const auto f = describe_failure(timed_out(603.2), "", progress, 4, by("srun", 600));
  EXPECT_EQ(f.cause, "timeout");
  EXPECT_EQ(
      f.reason,
      "timed out after 603 s (limit 600 s): ranks 2-3 on node03 stuck measuring point 4/9; ranks 0-1 on "
      "node01 waiting, gathering results to rank 0");
  EXPECT_EQ(f.hosts, std::vector<std::string>{"node03"});
  EXPECT_EQ(f.ranks, (std::vector<int>{2, 3}));
  EXPECT_FALSE(f.before_measuring);
  const auto j = to_json(f);
  EXPECT_EQ(j["timeout_s"], 600.0);
  EXPECT_EQ(j["ranks_not_finished"].size(), 2u);
}

TEST(case_failure, timeout_with_ranks_that_never_started_or_all_done) {
  const auto never =
      describe_failure(timed_out(10), "", {at(0, "node01", rank_phase::started)}, 2, by("mpirun", 10));
  EXPECT_EQ(
      never.reason,
      "timed out after 10 s (limit 10 s): rank 1 never started (no progress file); rank 0 on node01 waiting, "
      "in MPI_Init");
  EXPECT_TRUE(never.before_measuring);
  const auto done = describe_failure(timed_out(10), "", {at(0, "n", rank_phase::done)}, 1, by("", 10));
  EXPECT_TRUE(done.reason.find("every rank reported done") != std::string::npos) << done.reason;
}

TEST(case_failure, srun_segfault_is_named_with_host_rank_signal_and_srun_status_decoded) {
  const std::string log =
      "srun: error: node04: task 3: Segmentation fault\n"
      "srun: launch/slurm: _step_signal: Terminating StepId=5.0\n"
      "srun: error: node01: task 0: Terminated\n";
  std::vector<rank_progress> progress;
  for (int r = 0; r < 4; ++r)
    progress.push_back(at(r, "node0" + std::to_string(r + 1), rank_phase::measuring, 1, 1));
  const auto f = describe_failure(exited(143), log, progress, 4, by("srun"));
  EXPECT_EQ(f.cause, "signal");
  EXPECT_EQ(f.signal, "SIGSEGV");
  EXPECT_EQ(f.reason,
            "rank 3 on node04 killed by SIGSEGV (Segmentation fault); srun exited with status 143 (128+15: "
            "SIGTERM) and wrote no result");
  EXPECT_EQ(f.hosts, std::vector<std::string>{"node04"});
  EXPECT_FALSE(f.before_measuring);
  const auto blamed = failed_ranks_of(f);
  ASSERT_EQ(blamed.size(), 1u);
  EXPECT_EQ(blamed[0]["rank"], 3);
  EXPECT_EQ(blamed[0]["host"], "node04");
}

TEST(case_failure, launch_failure_names_node_and_ranks_that_never_started_and_is_before_measuring) {
  const auto f = describe_failure(
      exited(1),
      "srun: error: Task launch for StepId=12.0 failed on node node02: Communication connection failure\n",
      {}, 2, by("srun"));
  EXPECT_EQ(f.cause, "task_launch_failed");
  EXPECT_EQ(
      f.reason,
      "task launch failed on node02: Communication connection failure; ranks 0-1 never started (no progress "
      "file); srun exited with status 1 and wrote no result");
  EXPECT_TRUE(f.before_measuring);
  EXPECT_FALSE(f.allocation_gone);
}

TEST(case_failure, a_crash_in_mpi_init_is_before_measuring_and_names_the_stuck_rank) {
  const auto f = describe_failure(
      exited(1), "", {at(0, "node01", rank_phase::initialised), at(1, "node02", rank_phase::started)}, 2,
      by("srun"));
  EXPECT_TRUE(f.before_measuring);
  EXPECT_EQ(
      f.reason,
      "rank 1 on node02 never finished MPI_Init: in MPI_Init; srun exited with status 1 and wrote no result");
}

TEST(case_failure, a_ranks_own_error_comes_before_the_launchers_abort_and_is_not_before_measuring) {
  rank_progress failed = at(1, "node02", rank_phase::failed);
  failed.error = "selftest: error requested by the plan";
  const auto f = describe_failure(
      exited(3), "MPI_ABORT was invoked on rank 1 in communicator MPI_COMM_WORLD\nwith errorcode 3.\n",
      {at(0, "node01", rank_phase::measuring, 1, 1), failed}, 2, by("mpirun"));
  EXPECT_EQ(f.cause, "rank_error");
  EXPECT_EQ(f.reason,
            "rank 1 on node02 failed: selftest: error requested by the plan; mpirun exited with status 3 and "
            "wrote no "
            "result");
  EXPECT_FALSE(f.before_measuring);
}

TEST(case_failure, nothing_said_decodes_the_launchers_exit_status_or_signal) {
  const auto by_status = describe_failure(exited(139), "", {}, 1, by("mpirun"));
  EXPECT_EQ(by_status.cause, "signal");
  EXPECT_EQ(by_status.signal, "SIGSEGV");
  EXPECT_TRUE(by_status.reason.find("mpirun exited with status 139 (128+11: SIGSEGV)") != std::string::npos)
      << by_status.reason;
  process_result killed;
  killed.how = process_result::ending::signaled;
  killed.signal = 9;
  const auto by_signal =
      describe_failure(killed, "", {at(0, "vm", rank_phase::measuring, 1, 1)}, 1, by("local"));
  EXPECT_EQ(by_signal.reason, "the worker was killed by SIGKILL (Killed) and wrote no result");
}

TEST(case_failure, a_node_failure_names_the_node_and_the_ranks_it_held_once) {
  // Dev cluster: node02 set down while a step of 4 ranks ran (srun's and slurmstepd's lines).
  const std::string log =
      "srun: error: Node failure on node02\n"
      "slurmstepd-node01: error: *** STEP 22.0 ON node01 CANCELLED AT 2026-12-03T23:40:02 DUE TO NODE "
      "FAILURE, "
      "SEE SLURMCTLD LOG FOR DETAILS ***\n"
      "srun: error: node04: task 3: Terminated\n";
  const std::vector<rank_progress> progress{
      at(0, "node01", rank_phase::measuring, 1, 1), at(1, "node02", rank_phase::measuring, 1, 1),
      at(2, "node03", rank_phase::measuring, 1, 1), at(3, "node04", rank_phase::measuring, 1, 1)};
  const auto f = describe_failure(exited(143), log, progress, 4, by("srun"));
  EXPECT_EQ(f.cause, "node_failure");
  EXPECT_EQ(
      f.reason,
      "node failure on node02 (rank 1 there); srun exited with status 143 (128+15: SIGTERM) and wrote no "
      "result");
  EXPECT_EQ(f.ranks, std::vector<int>{1});
  EXPECT_EQ(f.hosts, std::vector<std::string>{"node02"});
}
