#pragma once
// Runs one worker launch as its own session and process group, so a time-out or Ctrl-C can stop every rank it
// started, and so can the guardian when the controller dies (harness/controller/guardian.hpp).
#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "harness/io/files.hpp"  // tail_of_file
#include "harness/results/process_result.hpp"

namespace exacheck {

class case_guardian;

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
