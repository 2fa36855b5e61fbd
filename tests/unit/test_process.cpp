#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness/process.hpp"

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
