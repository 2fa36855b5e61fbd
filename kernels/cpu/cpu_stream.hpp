#pragma once
// The CPU backend of the membw suite: STREAM kernels as OpenMP `parallel for schedule(static)` loops over
// three arrays, one pinned thread per CPU, first-touch initialisation in the kernels' own static partition.
//
// Pinning: at init_arrays each OpenMP thread t binds itself (pthread_setaffinity_np) to one CPU of the set
// the process is allowed to run on (sched_getaffinity), so a binding made by the launcher (mpirun --bind-to,
// srun --cpu-bind, taskset) is respected: threads only ever narrow it. A rank left unbound sees every CPU of
// the node; its threads then take the block starting at local_rank × threads, so that ranks of one node do
// not pile onto the same cores. libgomp keeps the same threads in a team of the same size, so the pinning
// made at init holds in every kernel; the original mask is restored in the destructor.
//
// Arrays: aligned to 2 MiB and advised MADV_HUGEPAGE, so that the kernels stream through huge pages (fewer
// TLB misses) where the kernel's transparent huge pages are in `madvise` or `always` mode.
#include <sched.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/cpu/thread_pinning.hpp"
#include "suites/membw/stream_backend.hpp"

namespace exacheck::membw {

class cpu_stream_backend final : public stream_backend {
 public:
  // threads: OpenMP threads of this rank; local_rank places an unbound rank's threads (see above).
  cpu_stream_backend(int threads, int local_rank);
  ~cpu_stream_backend() override = default;
  // Owns the arrays and the threads' pinning: a copy would free and unpin twice.
  cpu_stream_backend(const cpu_stream_backend&) = delete;
  cpu_stream_backend& operator=(const cpu_stream_backend&) = delete;

  std::optional<std::string> unsupported_reason(std::string_view dtype) const override;
  void init_arrays(std::size_t elements, std::string_view dtype, double a0, double b0, double c0) override;
  void copy() override;
  void scale(double scalar) override;
  void add() override;
  void triad(double scalar) override;
  double dot() override;
  stream_batch time_batch(stream_kernel kernel, int calls, double scalar) override;
  void read_arrays(std::vector<double>& a, std::vector<double>& b, std::vector<double>& c) const override;
  std::string implementation() const override;

  // Test hook: adds `delta` to element `index` of array 'a', 'b' or 'c', so tests can show that a wrong
  // answer is detected.
  void corrupt_array_for_testing(char array, std::size_t index, double delta);

 private:
  struct free_deleter {
    void operator()(void* pointer) const noexcept;
  };
  using buffer = std::unique_ptr<void, free_deleter>;

  void require_arrays() const;

  int m_threads = 1;
  cpu::thread_pinning m_pinning;  // after m_threads: built from it
  std::size_t m_elements = 0;
  bool m_single = false;  // fp32 rather than fp64
  buffer m_a, m_b, m_c;
};

}  // namespace exacheck::membw
