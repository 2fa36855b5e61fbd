#include "kernels/cpu/host_memory.hpp"

#include <fmt/core.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <stdexcept>

namespace exacheck::cpu {
namespace {

// "1099511627776 B (1024 GiB)": the exact count and a size a person reads at a glance.
std::string size_text(long double bytes) {
  return fmt::format("{:.0f} B ({:.3g} GiB)", bytes, bytes / (1024.0L * 1024.0L * 1024.0L));
}

}  // namespace

std::size_t checked_bytes(std::uint64_t count, std::uint64_t element_bytes, std::string_view what) {
  if (element_bytes != 0 && count > std::numeric_limits<std::size_t>::max() / element_bytes)
    throw std::length_error(fmt::format("cannot allocate {}: {} elements of {} B are {}, beyond 64 bits",
                                        what, count, element_bytes,
                                        size_text(static_cast<long double>(count) * element_bytes)));
  return static_cast<std::size_t>(count * element_bytes);
}

void* allocate_aligned(std::size_t bytes, std::size_t alignment, std::string_view what, bool huge_pages) {
  bytes = std::max<std::size_t>(bytes, 1);
  if (bytes > std::numeric_limits<std::size_t>::max() - (alignment - 1))
    throw std::length_error(
        fmt::format("cannot allocate {}: {} is beyond 64 bits once aligned", what, size_text(bytes)));
  const std::size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  void* pointer = std::aligned_alloc(alignment, rounded);
  if (!pointer)
    throw std::runtime_error(
        fmt::format("cannot allocate {} for {}: the system refused it", size_text(rounded), what));
  if (huge_pages) ::madvise(pointer, rounded, MADV_HUGEPAGE);  // advice only: without THP it still works
  return pointer;
}

}  // namespace exacheck::cpu
