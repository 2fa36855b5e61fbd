#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/controller/guardian.hpp"
#include "harness/controller/process.hpp"

using namespace exacheck;
namespace fs = std::filesystem;

namespace {
fs::path temp_log(const std::string& name) {
  const auto path =
      fs::temp_directory_path() / ("exacheck-process-" + name + "-" + std::to_string(::getpid()) + ".log");
  fs::remove(path);
  return path;
}
}  // namespace

TEST(process, exit_status_and_output_are_captured_with_extra_environment) {
  const auto log = temp_log("exit");
  const auto result = run_process({"sh", "-c", "echo value=$EXACHECK_TEST_VALUE; exit 7"},
                                  {{"EXACHECK_TEST_VALUE", "42"}}, log, 10, nullptr);
  EXPECT_EQ(result.how, process_result::ending::exited);
  EXPECT_EQ(result.exit_code, 7);
  EXPECT_EQ(tail_of_file(log), "value=42\n");
}

TEST(process, a_missing_program_fails_to_start_with_its_name) {
  const auto result = run_process({"exacheck-no-such-program"}, {}, temp_log("missing"), 10, nullptr);
  EXPECT_EQ(result.how, process_result::ending::failed_to_start);
  EXPECT_NE(result.error.find("exacheck-no-such-program"), std::string::npos);
}

TEST(process, a_crash_is_reported_with_its_signal) {
  const auto result = run_process({"sh", "-c", "kill -SEGV $$"}, {}, temp_log("crash"), 10, nullptr);
  EXPECT_EQ(result.how, process_result::ending::signaled);
  EXPECT_EQ(result.signal, SIGSEGV);
}

TEST(process, timeout_kills_the_whole_group_including_grandchildren) {
  const auto log = temp_log("timeout");
  const auto marker =
      fs::temp_directory_path() / ("exacheck-process-grandchild-" + std::to_string(::getpid()));
  fs::remove(marker);
  // The grandchild would write the marker after 3 s if it survived its group being killed at 0.5 s.
  const auto result = run_process({"sh", "-c", "(sleep 3; touch " + marker.string() + ") & sleep 60"}, {},
                                  log, 0.5, nullptr, {}, 0.5);
  EXPECT_EQ(result.how, process_result::ending::timed_out);
  EXPECT_LT(result.elapsed_s, 5.0);
  ::sleep(4);
  EXPECT_FALSE(fs::exists(marker));
}

// Open MPI puts each rank in a process group of its own: a rank is found by the launcher's session instead.
TEST(process, timeout_kills_a_grandchild_that_left_the_launchers_process_group) {
  const auto marker =
      fs::temp_directory_path() / ("exacheck-process-own-group-" + std::to_string(::getpid()));
  fs::remove(marker);
  const std::string rank =
      "perl -e 'setpgrp(0, 0); sleep 3; open(my $f, \">\", \"" + marker.string() + "\")'";
  const auto result =
      run_process({"sh", "-c", rank + " & sleep 60"}, {}, temp_log("own-group"), 0.5, nullptr, {}, 0.5);
  EXPECT_EQ(result.how, process_result::ending::timed_out);
  ::sleep(4);
  EXPECT_FALSE(fs::exists(marker));
}

// The controller is SIGKILLed while a launch runs: the guardian stops the launch's whole session.
TEST(guardian, stops_the_watched_session_when_its_controller_is_killed) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t controller = ::fork();
  if (controller == 0) {
    exacheck::case_guardian guardian(0.5);
    const pid_t launch = ::fork();
    if (launch == 0) {
      ::setsid();
      ::execlp("sh", "sh", "-c", "sleep 60 & sleep 60 & wait", nullptr);
      ::_exit(127);
    }
    guardian.watch(launch);
    [[maybe_unused]] auto written = ::write(ready[1], &launch, sizeof launch);
    ::pause();  // until SIGKILLed: the guardian is never told that the launch ended
  }
  ::close(ready[1]);
  pid_t session = 0;
  ASSERT_EQ(::read(ready[0], &session, sizeof session), static_cast<ssize_t>(sizeof session));
  for (int i = 0; i < 100 && signal_session(session, 0) < 3; ++i)  // sh and its two sleeps
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(signal_session(session, 0), 3);
  ::kill(controller, SIGKILL);
  ::waitpid(controller, nullptr, 0);
  int left = 0;
  for (int i = 0; i < 100 && (left = signal_session(session, 0)) > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(left, 0);
  signal_session(session, SIGKILL);  // never leave them behind after a failure
}

TEST(guardian, leaves_everything_alone_when_told_the_launch_ended) {
  const pid_t launch = ::fork();
  if (launch == 0) {
    ::setsid();
    ::execlp("sleep", "sleep", "60", nullptr);
    ::_exit(127);
  }
  {
    exacheck::case_guardian guardian(0.5);
    guardian.watch(launch);
    guardian.watch(0);
  }  // the run ends: the guardian goes, and the session stays
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(signal_session(launch, 0), 1);
  ::kill(launch, SIGKILL);
  ::waitpid(launch, nullptr, 0);
}

TEST(process, interrupt_flag_stops_the_case) {
  std::atomic<bool> interrupt{false};
  int waits = 0;
  const auto result =
      run_process({"sleep", "60"}, {}, temp_log("interrupt"), 60, &interrupt, [&](double elapsed_s) {
        ++waits;
        if (elapsed_s > 0.2) interrupt = true;
      });
  EXPECT_EQ(result.how, process_result::ending::interrupted);
  EXPECT_GT(waits, 1);  // progress callbacks arrive while the case runs
}

TEST(process, tail_keeps_the_last_lines) {
  const auto log = temp_log("tail");
  std::ofstream(log) << "1\n2\n3\n4\n";
  EXPECT_EQ(tail_of_file(log, 2), "3\n4\n");
  EXPECT_EQ(tail_of_file(log.string() + ".missing"), "");
}
