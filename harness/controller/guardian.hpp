#pragma once
// Launched processes die with the controller, whatever kills it. Each worker launch runs in a session of its
// own (run_process: setsid), and every rank it starts stays in that session even after it is re-parented
// (Open MPI puts each rank in a process group of its own, so a process group alone does not name them all). A
// small guardian process, forked once per run, is told the session of the launch now running; when the
// controller ends without telling it that the launch ended — SIGKILL, a crash, the OOM killer — it sees the
// end of its socket and stops that session: SIGTERM, then SIGKILL after a grace period.
#include <sys/types.h>

namespace exacheck {

// Sends `signal_number` (0: none, only count) to every living process of session `session`, found through
// /proc; returns how many there were. Allocation-free and async-signal-safe, so that the guardian, a forked
// child of a process that may hold other threads (OpenBLAS, render_all), can call it.
int signal_session(pid_t session, int signal_number);

// Stops session `session`: SIGTERM to every process of it, then SIGKILL to what is left after `grace_s`
// (and again until none is left, for at most a few seconds more). Async-signal-safe.
void stop_session(pid_t session, double grace_s);

class case_guardian {
 public:
  // Forks the guardian. It ignores SIGINT, SIGTERM and SIGHUP (the controller handles them and stops its
  // launches itself), runs in a process group of its own (a signal to the controller's group does not reach
  // it), and holds no descriptor of the controller's but its end of the socket and /dev/null.
  explicit case_guardian(double grace_s = 3.0);
  // Tells the guardian that the run is over (closes the socket) and reaps it.
  ~case_guardian();
  // Owns a process and a descriptor: not copyable.
  case_guardian(const case_guardian&) = delete;
  case_guardian& operator=(const case_guardian&) = delete;

  // The session of the launch that now runs; 0 when none does.
  void watch(pid_t session);

 private:
  pid_t m_pid = -1;
  int m_socket = -1;
};

}  // namespace exacheck
