#pragma once
// Aligned host memory for the CPU kernels. An allocation that cannot be made is an exception that names its
// size and purpose (the worker records it as the case's ERROR), never a null pointer or a wrapped-around size
// written through: an array of 2^64−1 bytes once became a small allocation and a segfault.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace exacheck::cpu {

// count × element_bytes, or std::length_error naming `what` when the product does not fit in 64 bits.
std::size_t checked_bytes(std::uint64_t count, std::uint64_t element_bytes, std::string_view what);

// `bytes` (at least one) rounded up to `alignment` (a power of two) and aligned to it; with
// `huge_pages`, advised MADV_HUGEPAGE. Free with std::free. Throws std::length_error when the rounded size
// overflows and std::runtime_error naming the size and `what` when the memory cannot be had.
void* allocate_aligned(std::size_t bytes, std::size_t alignment, std::string_view what, bool huge_pages);

}  // namespace exacheck::cpu
