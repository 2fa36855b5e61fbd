#pragma once
// Pinning a rank's OpenMP threads, one per CPU, inside what the launcher gave the process — shared by the
// kernels that need it (STREAM, FMA chains).
#include <sched.h>

#include <string>
#include <vector>

namespace exacheck::cpu {

class thread_pinning {
 public:
  // Chooses a CPU for each of `threads` threads from the process's affinity mask. A rank the launcher left
  // unbound sees every core: each local rank takes its own block (wrapping round when oversubscribed). A
  // bound rank sees only its own cores: its threads are placed within them.
  thread_pinning(int threads, int local_rank);
  // Gives the OpenMP threads (which outlive this object) their original mask back, if any was changed.
  ~thread_pinning();
  // Owns the process's original mask and restores it once: a copy would restore twice.
  thread_pinning(const thread_pinning&) = delete;
  thread_pinning& operator=(const thread_pinning&) = delete;

  // Call from OpenMP thread `thread` inside a parallel region of `threads` threads. No-op when pinning is
  // impossible (the mask could not be read).
  void pin_calling_thread(int thread);
  const std::vector<int>& cpus() const { return m_cpus; }  // empty when pinning is impossible
  // For a backend's implementation(): "pinned to CPUs 0,1,…" (the first 16) or "unpinned".
  std::string describe() const;

 private:
  int m_threads;
  std::vector<int> m_cpus;        // thread t runs on m_cpus[t]
  cpu_set_t m_original_affinity;  // the process's mask before pinning
  bool m_pinned = false;
};

}  // namespace exacheck::cpu
