#pragma once
// Runs one worker launch as its own session and process group, so a time-out or Ctrl-C can stop every rank it
// started, and so can the guardian when the controller dies (harness/guardian.hpp).
#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace exacheck {

class case_guardian;

struct process_result {
  enum class ending { exited, signaled, timed_out, interrupted, failed_to_start };
  ending how = ending::exited;
  int exit_code = 0;  // when exited
  int signal = 0;     // when signaled
  double elapsed_s = 0;
  std::string error;  // when failed_to_start: why (e.g. "mpirun: No such file or directory")
};

// Starts argv (PATH lookup for argv[0]) with `environment` added, stdout and stderr appended to `log_path`,
// in a new session (so a new process group). Waits until it ends, `timeout_s` passes, or `*interrupt` becomes
// true; in the last two cases the launcher's group gets SIGTERM, then its whole session SIGKILL after
// `grace_s`; whatever is left of the session when the launcher ends is killed too. `on_wait` (optional) is
// called about every 50 ms with the seconds elapsed, e.g. to show progress on long cases. `guardian`
// (optional) is told the session while it runs. The launcher gets SIGTERM when the controller dies.
process_result run_process(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& environment, const std::string& log_path,
                           double timeout_s, const std::atomic<bool>* interrupt,
                           const std::function<void(double elapsed_s)>& on_wait = {}, double grace_s = 3.0,
                           case_guardian* guardian = nullptr);

// The last `max_lines` lines of a text file ("" when it cannot be read).
std::string tail_of_file(const std::string& path, std::size_t max_lines = 30);

// SIGINT, SIGTERM and SIGHUP set the returned flag instead of killing the controller, so results so far are
// kept.
const std::atomic<bool>& install_interrupt_handlers();
int last_interrupt_signal();
// "SIGINT", "SIGTERM" or "SIGHUP": the last of them received.
std::string interrupt_signal_name();
// After SIGHUP: stdout and stderr that are a terminal, or a hung-up one, go to /dev/null from now on, so that
// the results so far are still saved and rendered (a write to a hung-up terminal fails with EIO). Files and
// pipes are kept.
void leave_hung_up_terminal();

}  // namespace exacheck
