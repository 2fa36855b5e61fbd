#pragma once
// The cpu backend of copybw: d2d is a copy between two buffers of the rank's host memory (OpenMP threads,
// each memcpy-ing its static share of cache lines, pinned as for STREAM, each share first touched by the
// thread that copies it); h2d, d2h and p2p need a GPU and are SKIPPED with that reason.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "kernels/cpu/thread_pinning.hpp"
#include "suites/copybw/copy_backend.hpp"

namespace exacheck::membw {

class cpu_copy_backend final : public copy_backend {
 public:
  // threads: OpenMP threads of this rank; local_rank places an unbound rank's threads (thread_pinning).
  cpu_copy_backend(int threads, int local_rank);
  ~cpu_copy_backend() override = default;
  // Owns the buffers and the threads' pinning: a copy would free and unpin twice.
  cpu_copy_backend(const cpu_copy_backend&) = delete;
  cpu_copy_backend& operator=(const cpu_copy_backend&) = delete;

  std::optional<std::string> unsupported_reason(copy_direction direction) const override;
  int peer_devices() const override { return 0; }
  std::optional<std::string> peer_unavailable_reason(int src_device, int dst_device) const override;
  void prepare(const copy_route& route, std::uint64_t bytes, std::uint64_t seed) override;
  batch_time time_batch(int copies) override;
  pattern_check check_destination() override;
  void corrupt_destination_for_testing(std::uint64_t offset) override;
  std::string implementation() const override;

 private:
  struct free_deleter {
    void operator()(void* pointer) const noexcept;
  };
  using buffer = std::unique_ptr<void, free_deleter>;

  void require_buffers() const;

  int m_threads = 1;
  cpu::thread_pinning m_pinning;  // after m_threads: built from it
  std::uint64_t m_bytes = 0;      // 0 until prepare succeeds
  std::uint64_t m_seed = 0;
  buffer m_source, m_destination;
};

}  // namespace exacheck::membw
