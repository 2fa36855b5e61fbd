#pragma once
// How one worker launch ended, as the controller saw it: what a case entry of run.json records about the
// process (harness/controller/process.hpp runs it; harness/results/run_document.hpp records it).
#include <string>

namespace exacheck {

struct process_result {
  enum class ending { exited, signaled, timed_out, interrupted, failed_to_start };
  ending how = ending::exited;
  int exit_code = 0;  // when exited
  int signal = 0;     // when signaled
  double elapsed_s = 0;
  std::string error;  // when failed_to_start: why (e.g. "mpirun: No such file or directory")
};

}  // namespace exacheck
