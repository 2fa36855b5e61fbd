#include "kernels/cpu/thread_pinning.hpp"

#include <pthread.h>

#include <algorithm>
#include <cstddef>
#include <thread>

namespace exacheck::cpu {

thread_pinning::thread_pinning(int threads, int local_rank) : m_threads(std::max(threads, 1)) {
  CPU_ZERO(&m_original_affinity);
  if (sched_getaffinity(0, sizeof(m_original_affinity), &m_original_affinity) != 0) return;  // leave unpinned
  std::vector<int> allowed;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &m_original_affinity)) allowed.push_back(cpu);
  if (allowed.empty()) return;
  const auto hardware = static_cast<std::size_t>(std::thread::hardware_concurrency());
  const std::size_t offset = allowed.size() == hardware ? static_cast<std::size_t>(std::max(local_rank, 0)) *
                                                              static_cast<std::size_t>(m_threads)
                                                        : 0;
  for (int t = 0; t < m_threads; ++t)
    m_cpus.push_back(allowed[(offset + static_cast<std::size_t>(t)) % allowed.size()]);
}

thread_pinning::~thread_pinning() {
  if (!m_pinned) return;
#pragma omp parallel num_threads(m_threads)
  pthread_setaffinity_np(pthread_self(), sizeof(m_original_affinity), &m_original_affinity);
}

void thread_pinning::pin_calling_thread(int thread) {
  if (m_cpus.empty() || thread < 0 || thread >= static_cast<int>(m_cpus.size())) return;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(m_cpus[static_cast<std::size_t>(thread)], &one);
  pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
  // Set from inside the parallel region by each thread; every write is `true`, so the race is benign.
#pragma omp atomic write
  m_pinned = true;
}

std::string thread_pinning::describe() const {
  if (m_cpus.empty()) return "unpinned";
  std::string listed = "pinned to CPUs ";
  for (std::size_t t = 0; t < m_cpus.size() && t < 16; ++t)
    listed += (t ? "," : "") + std::to_string(m_cpus[t]);
  if (m_cpus.size() > 16) listed += ",…";
  return listed;
}

}  // namespace exacheck::cpu
