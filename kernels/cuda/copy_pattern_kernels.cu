// copybw's pattern kernels: grid-stride loops over 8-byte words (one 64-bit load or store per word), the
// bytes past the last whole word taken by the grid's first thread.
#include "kernels/cuda/copy_pattern_kernels.cuh"
#include "suites/copybw/copy_pattern.hpp"

namespace exacheck::cuda::copy_pattern_kernels {
namespace {

using membw::copy_pattern_byte;
using membw::copy_pattern_word;

__global__ void __launch_bounds__(block_threads)
    fill_kernel(void* data, std::size_t bytes, std::uint64_t seed) {
  auto* words = static_cast<std::uint64_t*>(data);
  auto* bytes_out = static_cast<unsigned char*>(data);
  const std::size_t first = static_cast<std::size_t>(blockIdx.x) * block_threads + threadIdx.x;
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * block_threads;
  const std::size_t word_count = bytes / 8;
  for (std::size_t i = first; i < word_count; i += stride) words[i] = copy_pattern_word(i, seed);
  if (first == 0)
    for (std::size_t offset = word_count * 8; offset < bytes; ++offset)
      bytes_out[offset] = copy_pattern_byte(offset, seed);
}

__device__ __forceinline__ int nonzero_bytes(std::uint64_t x) {
  int count = 0;
#pragma unroll
  for (int b = 0; b < 8; ++b) count += ((x >> (8 * b)) & 0xFF) != 0;
  return count;
}

// Each thread counts in registers and touches the result once: a buffer that is wrong everywhere costs one
// pair of atomics per thread, not per word.
__global__ void __launch_bounds__(block_threads)
    compare_kernel(const void* data, std::size_t bytes, std::uint64_t seed, device_mismatch* result) {
  const auto* words = static_cast<const std::uint64_t*>(data);
  const auto* bytes_in = static_cast<const unsigned char*>(data);
  const std::size_t first = static_cast<std::size_t>(blockIdx.x) * block_threads + threadIdx.x;
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * block_threads;
  const std::size_t word_count = bytes / 8;
  unsigned long long wrong = 0, first_wrong = ~0ull;
  for (std::size_t i = first; i < word_count; i += stride) {
    const std::uint64_t difference = words[i] ^ copy_pattern_word(i, seed);
    if (difference == 0) continue;
    wrong += static_cast<unsigned long long>(nonzero_bytes(difference));
    // Little endian: the lowest set byte of the difference is the first wrong byte in memory.
    const unsigned long long offset =
        i * 8 + static_cast<unsigned long long>((__ffsll(static_cast<long long>(difference)) - 1) / 8);
    first_wrong = min(first_wrong, offset);
  }
  if (first == 0)
    for (std::size_t offset = word_count * 8; offset < bytes; ++offset)
      if (bytes_in[offset] != copy_pattern_byte(offset, seed)) {
        ++wrong;
        first_wrong = min(first_wrong, static_cast<unsigned long long>(offset));
      }
  if (wrong > 0) {
    atomicAdd(&result->wrong_bytes, wrong);
    atomicMin(&result->first_wrong_offset, first_wrong);
  }
}

}  // namespace

cudaError_t launch_fill(void* data, std::size_t bytes, std::uint64_t seed, int blocks, cudaStream_t stream) {
  fill_kernel<<<blocks, block_threads, 0, stream>>>(data, bytes, seed);
  return cudaGetLastError();
}

cudaError_t launch_compare(const void* data, std::size_t bytes, std::uint64_t seed, device_mismatch* result,
                           int blocks, cudaStream_t stream) {
  // wrong_bytes = 0, first_wrong_offset = ~0 (all bytes 0xFF).
  cudaError_t status = cudaMemsetAsync(&result->wrong_bytes, 0, sizeof result->wrong_bytes, stream);
  if (status == cudaSuccess)
    status = cudaMemsetAsync(&result->first_wrong_offset, 0xFF, sizeof result->first_wrong_offset, stream);
  if (status != cudaSuccess) return status;
  compare_kernel<<<blocks, block_threads, 0, stream>>>(data, bytes, seed, result);
  return cudaGetLastError();
}

}  // namespace exacheck::cuda::copy_pattern_kernels
