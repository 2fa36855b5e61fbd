// What srun, slurmstepd and Open MPI's mpirun print when a launch fails, read back into host + rank + cause
// (harness/results/launcher_messages.hpp), and signals by name (signal_names.hpp). Every text below is a real
// one: as Slurm 22.05.8 and Open MPI 4.1.4 printed it on the dev cluster (scripts/dev-cluster.sh, 4 nodes),
// or the format string of its source named beside it, filled in.
#include <gtest/gtest.h>

#include <csignal>

#include "harness/results/launcher_messages.hpp"
#include "harness/results/signal_names.hpp"

using namespace exacheck;

namespace {
std::vector<launcher_finding> not_consequences(const std::vector<launcher_finding>& all) {
  std::vector<launcher_finding> kept;
  for (const auto& f : all)
    if (!f.consequence) kept.push_back(f);
  return kept;
}
}  // namespace

TEST(signal_names, signals_by_name_and_glibc_description) {
  EXPECT_EQ(signal_name(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(describe_signal_by_name(SIGSEGV), "SIGSEGV (Segmentation fault)");
  EXPECT_EQ(describe_signal_by_name(SIGKILL), "SIGKILL (Killed)");
  EXPECT_EQ(describe_signal_by_name(SIGBUS), "SIGBUS (Bus error)");
  EXPECT_EQ(describe_signal_by_name(SIGABRT), "SIGABRT (Aborted)");
  EXPECT_EQ(describe_signal_by_name(SIGTERM), "SIGTERM (Terminated)");
  EXPECT_EQ(describe_signal_by_name(40), "signal 40");
}

TEST(signal_names, srun_strsignal_text_reads_back_with_or_without_core_dumped) {
  EXPECT_EQ(signal_from_description("Segmentation fault"), SIGSEGV);
  EXPECT_EQ(signal_from_description("Segmentation fault (core dumped)"), SIGSEGV);
  EXPECT_EQ(signal_from_description("Killed"), SIGKILL);
  EXPECT_EQ(signal_from_description("Bus error"), SIGBUS);
  EXPECT_FALSE(signal_from_description("Exited with exit code 2").has_value());
}

TEST(signal_names, launcher_exit_status_128_plus_n_is_signal_n) {
  EXPECT_EQ(signal_of_exit_status(139), SIGSEGV);  // mpirun after a rank's SIGSEGV (dev cluster)
  EXPECT_EQ(signal_of_exit_status(143), SIGTERM);  // srun after --kill-on-bad-exit terminated the step
  EXPECT_EQ(signal_of_exit_status(137), SIGKILL);
  EXPECT_FALSE(signal_of_exit_status(233).has_value());
  EXPECT_FALSE(signal_of_exit_status(3).has_value());
  EXPECT_FALSE(signal_of_exit_status(128).has_value());
}

TEST(launcher_messages, srun_segfault_names_task_host_and_signal_and_the_terminated_rest_are_consequences) {
  // Dev cluster: salloc -N 4 --ntasks-per-node=1 srun --kill-on-bad-exit=1 (rank 3 raises SIGSEGV); srun
  // exited 143. Format: Slurm 22.05 src/plugins/launch/slurm/launch_slurm.c _task_finish(),
  // error("%s: %s %s: %s%s", hosts, task_str, tasks, strsignal(sig), core_str).
  const std::string log =
      "[node04:32669] *** Process received signal ***\n"
      "[node04:32669] Signal: Segmentation fault (11)\n"
      "[node04:32669] Signal code:  (-6)\n"
      "srun: error: node04: task 3: Segmentation fault\n"
      "srun: launch/slurm: _step_signal: Terminating StepId=5.0\n"
      "slurmstepd-node01: error: *** STEP 5.0 ON node01 CANCELLED AT 2026-12-03T23:24:04 ***\n"
      "srun: error: node03: task 2: Terminated\n"
      "srun: error: node01: task 0: Terminated\n"
      "srun: error: node02: task 1: Terminated\n"
      "srun: Force Terminated StepId=5.0\n";
  const auto findings = parse_launcher_messages(log);
  const auto* primary = primary_finding(findings);
  ASSERT_NE(primary, nullptr);
  EXPECT_EQ(primary->cause, "signal");
  EXPECT_EQ(primary->signal, SIGSEGV);
  EXPECT_EQ(primary->hosts, std::vector<std::string>{"node04"});
  EXPECT_EQ(primary->ranks, std::vector<int>{3});
  EXPECT_EQ(primary->message, "srun: error: node04: task 3: Segmentation fault");
  int consequences = 0;
  for (const auto& f : findings) consequences += f.consequence;
  EXPECT_EQ(consequences, 3);
  EXPECT_FALSE(says_allocation_gone(findings));
}

TEST(launcher_messages, srun_task_ranges_and_host_ranges_expand) {
  // Dev cluster, srun -n 8 on 4 nodes: "srun: error: node04: tasks 6-7: Terminated"; a host list as
  // hostset_ranged_string prints several.
  const auto findings =
      parse_launcher_messages("srun: error: node[03-04]: tasks 4-5,7: Exited with exit code 2\n");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].cause, "exit");
  EXPECT_EQ(findings[0].exit_code, 2);
  EXPECT_EQ(findings[0].hosts, (std::vector<std::string>{"node03", "node04"}));
  EXPECT_EQ(findings[0].ranks, (std::vector<int>{4, 5, 7}));
  EXPECT_EQ(expand_host_list("node[01-03,07],login"),
            (std::vector<std::string>{"node01", "node02", "node03", "node07", "login"}));
  EXPECT_TRUE(expand_task_list("3-1").empty());
}

TEST(launcher_messages, srun_out_of_memory_and_core_dumped) {
  // launch_slurm.c: error("%s: %s %s: Out Of Memory", ...); core_str " (core dumped)".
  const auto oom = parse_launcher_messages("srun: error: node02: task 1: Out Of Memory\n");
  ASSERT_EQ(oom.size(), 1u);
  EXPECT_EQ(oom[0].cause, "out_of_memory");
  const auto core = parse_launcher_messages("srun: error: node02: task 1: Bus error (core dumped)\n");
  ASSERT_EQ(core.size(), 1u);
  EXPECT_EQ(core[0].signal, SIGBUS);
}

TEST(launcher_messages, srun_task_launch_failure_names_its_node) {
  // libslurmfull.so (src/api/step_launch.c): error("Task launch for %ps failed on node %s: %m"), %ps being
  // "StepId=12.0"; launch_slurm.c: "Application launch failed: %m".
  const auto findings = parse_launcher_messages(
      "srun: error: Task launch for StepId=12.0 failed on node node02: Communication connection failure\n"
      "srun: error: Application launch failed: Communication connection failure\n"
      "srun: Job step aborted\n");
  const auto* primary = primary_finding(findings);
  ASSERT_NE(primary, nullptr);
  EXPECT_EQ(primary->cause, "task_launch_failed");
  EXPECT_EQ(primary->hosts, std::vector<std::string>{"node02"});
  EXPECT_EQ(primary->detail, "Communication connection failure");
  // Slurm before 20.11 printed the step as "12.0".
  const auto old = parse_launcher_messages(
      "srun: error: Task launch for 12.0 failed on node node03: Invalid job credential\n");
  ASSERT_EQ(old.size(), 1u);
  EXPECT_EQ(old[0].hosts, std::vector<std::string>{"node03"});
}

TEST(launcher_messages, slurmstepd_execve_failure_names_its_node) {
  // Dev cluster: srun /nonexistent/prog on 2 nodes.
  const auto findings = parse_launcher_messages(
      "srun: error: node02: task 1: Exited with exit code 2\n"
      "srun: error: node01: task 0: Exited with exit code 2\n"
      "slurmstepd-node02: error: execve(): /nonexistent/prog: No such file or directory\n"
      "slurmstepd-node01: error: execve(): /nonexistent/prog: No such file or directory\n");
  const auto* primary = primary_finding(findings);
  ASSERT_NE(primary, nullptr);
  EXPECT_EQ(primary->cause, "task_launch_failed");
  EXPECT_EQ(primary->hosts, std::vector<std::string>{"node02"});
}

TEST(launcher_messages, node_failure_names_the_node_and_the_terminated_tasks_are_consequences) {
  // Dev cluster: node03's link cut and the node set DOWN while srun -N 4 ran a step.
  const std::string log =
      "srun: error: Node failure on node03\n"
      "slurmstepd-node01: error: *** STEP 11.0 ON node01 CANCELLED AT 2026-12-03T23:25:24 DUE TO NODE "
      "FAILURE, "
      "SEE SLURMCTLD LOG FOR DETAILS ***\n"
      "srun: Job step aborted: Waiting up to 7 seconds for job step to finish.\n"
      "srun: error: node04: task 3: Terminated\n"
      "srun: launch/slurm: _step_signal: Terminating StepId=11.0\n"
      "srun: error: node01: task 0: Terminated\n";
  const auto findings = parse_launcher_messages(log);
  const auto* primary = primary_finding(findings);
  ASSERT_NE(primary, nullptr);
  EXPECT_EQ(primary->cause, "node_failure");
  EXPECT_EQ(primary->hosts, std::vector<std::string>{"node03"});
  for (const auto& f : findings)
    if (f.cause == "signal") {
      EXPECT_TRUE(f.consequence) << f.message;
    }
}

TEST(launcher_messages, an_expired_or_revoked_allocation_is_gone) {
  // Dev cluster, the next srun in the same allocation after the node failure ended the job:
  EXPECT_TRUE(says_allocation_gone(
      parse_launcher_messages("srun: error: Slurm job 11 has expired\n"
                              "srun: Check SLURM_JOB_ID environment variable. Expired or invalid job 11\n")));
  // libslurmfull.so: "Job allocation %u has been revoked", "Unable to create step for job %u: %m" with
  // slurm_strerror(ESLURM_INVALID_JOB_ID), "Unable to confirm allocation for job %u: %m".
  EXPECT_TRUE(says_allocation_gone(parse_launcher_messages("srun: Job allocation 11 has been revoked.\n")));
  EXPECT_TRUE(says_allocation_gone(
      parse_launcher_messages("srun: error: Unable to create step for job 11: Invalid job id specified\n")));
  EXPECT_TRUE(says_allocation_gone(parse_launcher_messages(
      "srun: error: Unable to confirm allocation for job 11: Invalid job id specified\n")));
  // slurmstepd (src/slurmd/slurmstepd/req.c): "*** %s ON %s CANCELLED AT %s DUE TO TIME LIMIT ***".
  EXPECT_TRUE(says_allocation_gone(parse_launcher_messages(
      "slurmstepd: error: *** JOB 11 ON node01 CANCELLED AT 2026-12-03T23:25:24 DUE TO TIME LIMIT ***\n")));
  // A step that cannot be made for want of resources is not a lost allocation.
  const auto busy = parse_launcher_messages(
      "srun: error: Unable to create step for job 11: More processors requested than permitted\n");
  EXPECT_FALSE(says_allocation_gone(busy));
  ASSERT_EQ(busy.size(), 1u);
  EXPECT_EQ(busy[0].cause, "step_failed");
}

TEST(launcher_messages, mpirun_signal_names_rank_host_and_signal) {
  // Dev cluster: mpirun inside salloc -N 4, rank 3 raised SIGSEGV; mpirun exited 139. help-orterun.txt
  // [orterun:proc-aborted-strsignal]: "%s noticed that process rank %lu with PID %lu on node %s exited on
  // signal %d (%s)."
  const std::string log =
      "--------------------------------------------------------------------------\n"
      "Primary job  terminated normally, but 1 process returned\n"
      "a non-zero exit code. Per user-direction, the job has been aborted.\n"
      "--------------------------------------------------------------------------\n"
      "--------------------------------------------------------------------------\n"
      "mpirun noticed that process rank 3 with PID 493 on node node04 exited on signal 11 (Segmentation "
      "fault).\n"
      "--------------------------------------------------------------------------\n";
  const auto findings = parse_launcher_messages(log);
  const auto* primary = primary_finding(findings);
  ASSERT_NE(primary, nullptr);
  EXPECT_EQ(primary->cause, "signal");
  EXPECT_EQ(primary->ranks, std::vector<int>{3});
  EXPECT_EQ(primary->hosts, std::vector<std::string>{"node04"});
  EXPECT_EQ(primary->signal, SIGSEGV);
  // The form of the issue report: PID 0.
  const auto pid0_findings = parse_launcher_messages(
      "mpirun noticed that process rank 3 with PID 0 on node node04 exited on signal 11 (Segmentation "
      "fault).\n");
  const auto* pid0 = primary_finding(pid0_findings);
  ASSERT_NE(pid0, nullptr);
  EXPECT_EQ(pid0->hosts, std::vector<std::string>{"node04"});
}

TEST(launcher_messages, mpirun_lost_daemon_names_the_remote_node) {
  // help-errmgr-base.txt [node-died], filled in as the issue quotes it.
  const std::string log =
      "--------------------------------------------------------------------------\n"
      "ORTE has lost communication with a remote daemon.\n\n"
      "  HNP daemon   : [[12345,0],0] on node login\n"
      "  Remote daemon: [[12345,0],2] on node node02\n\n"
      "This is usually due to either a failure of the TCP network\n"
      "connection to the node, or possibly an internal failure of\n"
      "the daemon itself. We cannot recover from this failure, and\n"
      "therefore will terminate the job.\n";
  const auto findings = parse_launcher_messages(log);
  const auto* primary = primary_finding(findings);
  ASSERT_NE(primary, nullptr);
  EXPECT_EQ(primary->cause, "daemon_lost");
  EXPECT_EQ(primary->hosts, std::vector<std::string>{"node02"});
}

TEST(launcher_messages, mpirun_launch_failure_names_node_and_rank_over_its_exit_status) {
  // Dev cluster: mpirun /nonexistent/prog inside salloc -N 2 (mpirun exited 132, which is not a SIGILL).
  // help-orterun.txt [orterun:exe-not-accessible].
  const std::string log =
      "--------------------------------------------------------------------------\n"
      "mpirun was unable to launch the specified application as it could not access\n"
      "or execute an executable:\n\n"
      "Executable: /nonexistent/prog\n"
      "Node: node02\n\n"
      "while attempting to start process rank 1.\n"
      "--------------------------------------------------------------------------\n"
      "2 total processes failed to start\n";
  const auto findings = parse_launcher_messages(log);
  const auto* primary = primary_finding(findings);
  ASSERT_NE(primary, nullptr);
  EXPECT_EQ(primary->cause, "task_launch_failed");
  EXPECT_EQ(primary->hosts, std::vector<std::string>{"node02"});
  EXPECT_EQ(primary->ranks, std::vector<int>{1});
}

TEST(launcher_messages, mpirun_non_zero_exit_and_mpi_abort_name_the_rank) {
  // help-orterun.txt [orterun:non-zero-exit] and help-mpi-api.txt [mpi-abort].
  const auto exit = parse_launcher_messages(
      "mpirun detected that one or more processes exited with non-zero status, thus causing\n"
      "the job to be terminated. The first process to do so was:\n\n"
      "  Process name: [[41091,1],1]\n"
      "  Exit code:    3\n");
  ASSERT_EQ(exit.size(), 1u);
  EXPECT_EQ(exit[0].cause, "exit");
  EXPECT_EQ(exit[0].ranks, std::vector<int>{1});
  EXPECT_EQ(exit[0].exit_code, 3);
  const auto abort = parse_launcher_messages(
      "MPI_ABORT was invoked on rank 1 in communicator MPI_COMM_WORLD\nwith errorcode 3.\n\n"
      "NOTE: invoking MPI_ABORT causes Open MPI to kill all MPI processes.\n");
  ASSERT_EQ(abort.size(), 1u);
  EXPECT_EQ(abort[0].cause, "mpi_abort");
  EXPECT_EQ(abort[0].ranks, std::vector<int>{1});
}

TEST(launcher_messages, a_crash_in_mpi_init_names_its_host) {
  // Open MPI 4.1.4 (ompi/runtime/ompi_mpi_abort.c), as users have posted it:
  //   "*** An error occurred in MPI_Init_thread" … "[cn69:2289703] Local abort before MPI_INIT completed
  //   completed successfully, but am not able to aggregate error messages, …"
  const auto findings = parse_launcher_messages(
      "*** An error occurred in MPI_Init_thread\n"
      "*** on a NULL communicator\n"
      "*** MPI_ERRORS_ARE_FATAL (processes in this communicator will now abort,\n"
      "***    and potentially your MPI job)\n"
      "[node03:2289703] Local abort before MPI_INIT completed completed successfully, but am not able to "
      "aggregate error messages, and not able to guarantee that all other processes were killed!\n");
  const auto* primary = primary_finding(findings);
  ASSERT_NE(primary, nullptr);
  EXPECT_EQ(primary->cause, "mpi_init_failed");
  bool named = false;
  for (const auto& f : findings) named = named || f.hosts == std::vector<std::string>{"node03"};
  EXPECT_TRUE(named);
  // help-mpi-btl-tcp.txt, as printed on the dev cluster (srun -n 8, 2 per node): the TCP fault behind it.
  const auto tcp = parse_launcher_messages(
      "WARNING: Open MPI failed to TCP connect to a peer MPI process.  This\n"
      "should not happen.\n\n"
      "Your Open MPI job may now hang or fail.\n\n"
      "  Local host: node01\n"
      "  PID:        343\n"
      "  Message:    connect() to 10.217.0.12:1024 failed\n"
      "  Error:      Operation now in progress (115)\n");
  ASSERT_EQ(not_consequences(tcp).size(), 1u);
  EXPECT_EQ(tcp[0].cause, "mpi_transport");
  EXPECT_EQ(tcp[0].hosts, std::vector<std::string>{"node01"});
}

TEST(launcher_messages, unknown_text_finds_nothing) {
  EXPECT_TRUE(parse_launcher_messages("fake_worker: wrote a 'ok' result of 2 rank(s)\nhello\n").empty());
  EXPECT_EQ(primary_finding({}), nullptr);
}
