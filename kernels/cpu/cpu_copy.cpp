#include "kernels/cpu/cpu_copy.hpp"

#include <fmt/core.h>
#include <omp.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include "kernels/cpu/host_memory.hpp"

namespace exacheck::membw {
namespace {

// 2 MiB: the x86-64 huge page, as for the STREAM arrays (fewer TLB misses where THP is in madvise mode).
constexpr std::size_t k_alignment = std::size_t{2} << 20;

}  // namespace

void cpu_copy_backend::free_deleter::operator()(void* pointer) const noexcept {
  std::free(pointer);
}

cpu_copy_backend::cpu_copy_backend(int threads, int local_rank)
    : m_threads(std::max(threads, 1)), m_pinning(m_threads, local_rank) {}

std::optional<std::string> cpu_copy_backend::unsupported_reason(copy_direction direction) const {
  if (direction == copy_direction::d2d) return std::nullopt;
  return fmt::format("copybw {} needs a GPU (the cpu backend copies host memory to host memory only: d2d)",
                     to_string(direction));
}

std::optional<std::string> cpu_copy_backend::peer_unavailable_reason(int, int) const {
  return std::string("copybw p2p needs a GPU");
}

void cpu_copy_backend::prepare(const copy_route& route, std::uint64_t bytes, std::uint64_t seed) {
  if (const auto reason = unsupported_reason(route.direction)) throw std::invalid_argument(*reason);
  if (bytes == 0) throw std::invalid_argument("cpu_copy: a copy needs at least one byte");
  m_bytes = 0;
  m_source.reset();
  m_destination.reset();
  m_source.reset(cpu::allocate_aligned(cpu::checked_bytes(bytes, 1, "the copy source"), k_alignment,
                                       "the copy source", true));
  m_destination.reset(cpu::allocate_aligned(cpu::checked_bytes(bytes, 1, "the copy destination"), k_alignment,
                                            "the copy destination", true));
  auto* source = static_cast<unsigned char*>(m_source.get());
  auto* destination = static_cast<unsigned char*>(m_destination.get());
  // First touch by the thread that will copy each share, so its pages sit on that thread's NUMA node.
#pragma omp parallel num_threads(m_threads)
  {
    const int thread = omp_get_thread_num();
    m_pinning.pin_calling_thread(thread);
    const byte_range share = static_share(bytes, omp_get_num_threads(), thread);
    fill_copy_pattern_range(source + share.begin, share.begin, share.end - share.begin, seed);
    fill_copy_pattern_range(destination + share.begin, share.begin, share.end - share.begin,
                            poison_seed(seed));
  }
  m_seed = seed;
  m_bytes = bytes;
}

batch_time cpu_copy_backend::time_batch(int copies) {
  require_buffers();
  const auto* source = static_cast<const unsigned char*>(m_source.get());
  auto* destination = static_cast<unsigned char*>(m_destination.get());
  const std::uint64_t bytes = m_bytes;
  return time_on_host(copies, [&] {
#pragma omp parallel num_threads(m_threads)
    {
      const byte_range share = static_share(bytes, omp_get_num_threads(), omp_get_thread_num());
      std::memcpy(destination + share.begin, source + share.begin, share.end - share.begin);
    }
  });
}

pattern_check cpu_copy_backend::check_destination() {
  require_buffers();
  return check_copy_pattern(m_destination.get(), m_bytes, m_seed, m_threads);
}

void cpu_copy_backend::corrupt_destination_for_testing(std::uint64_t offset) {
  require_buffers();
  if (offset >= m_bytes) throw std::out_of_range("cpu_copy: corrupt offset past the destination");
  static_cast<unsigned char*>(m_destination.get())[offset] ^= 0xFF;
}

std::string cpu_copy_backend::implementation() const {
  return fmt::format(
      "host memory → host memory: memcpy of static 64-byte-line shares by {} OpenMP thread(s) {}, "
      "2 MiB-aligned buffers first touched by their copying thread",
      m_threads, m_pinning.describe());
}

void cpu_copy_backend::require_buffers() const {
  if (m_bytes == 0) throw std::logic_error("cpu_copy: copy called before prepare()");
}

}  // namespace exacheck::membw
