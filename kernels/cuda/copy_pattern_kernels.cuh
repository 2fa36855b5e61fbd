#pragma once
// Device side of copybw's verification: write the index-hash pattern (suites/copybw/copy_pattern.hpp) into a
// device buffer, and compare a device buffer with it, every byte, where it lives. A plain header for nvcc
// (copy_pattern_kernels.cu) and the C++20 backend (cuda_copy.cpp): CUDA runtime types only.
//
// Launchers enqueue on `stream` (a stream of the buffer's device, which must be current) and return the
// launch's error; none of them synchronises.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace exacheck::cuda::copy_pattern_kernels {

inline constexpr int block_threads = 256;

// What the compare kernel found, in device memory: bytes that differ, and the lowest such offset
// (~0 when none).
struct device_mismatch {
  unsigned long long wrong_bytes;
  unsigned long long first_wrong_offset;
};

// Bytes [0, bytes) of `data` (8-byte aligned, as cudaMalloc's are) = the pattern of `seed`.
cudaError_t launch_fill(void* data, std::size_t bytes, std::uint64_t seed, int blocks, cudaStream_t stream);

// Compares bytes [0, bytes) of `data` with the pattern of `seed` into *result (device memory), which the
// launcher resets first.
cudaError_t launch_compare(const void* data, std::size_t bytes, std::uint64_t seed, device_mismatch* result,
                           int blocks, cudaStream_t stream);

}  // namespace exacheck::cuda::copy_pattern_kernels
