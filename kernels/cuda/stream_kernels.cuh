#pragma once
// Device STREAM kernels (copy, scale, add, triad, dot) and their launchers, behind a plain header that both
// nvcc (C++17, stream_kernels.cu) and the C++20 backend (cuda_stream.cpp) include: CUDA runtime types only.
//
// Every launcher enqueues on `shape.stream` and returns the launch's error (cudaGetLastError); none of them
// synchronises: the backend does, to keep the membw interface's blocking contract.
#include <cuda_runtime.h>

#include <cstddef>

namespace exacheck::cuda::stream_kernels {

enum class element_type { fp64, fp32 };

// Threads per block of every STREAM kernel (8 warps); the final dot reduction is one block of this size.
inline constexpr int block_threads = 256;

// How a kernel is launched: `blocks` blocks of block_threads threads, each thread striding over the arrays
// by the whole grid, enqueued on `stream`.
struct launch_shape {
  int blocks = 1;
  cudaStream_t stream = nullptr;
};

// Bytes each thread moves per array access when the arrays allow it (double2 / float4): 16-byte loads and
// stores, coalesced across the warp into whole 128-byte lines.
inline constexpr int vector_bytes = 16;

// Packs each thread loads (per array) before it uses the first: several independent loads outstanding per
// thread is what keeps HBM busy; one per thread leaves it short of its bandwidth (Little's law: ~3 TB/s ×
// ~1 µs latency needs megabytes in flight).
inline constexpr int packs_in_flight = 4;

// Elements per access the kernels will use for these arrays: vector_bytes / element size when every pointer
// is 16-byte aligned (always, for cudaMalloc), else 1.
int vector_width(element_type type, const void* a, const void* b, const void* c);

// Resident blocks of block_threads threads per multiprocessor, the lowest over every kernel of `type`
// (cudaOccupancyMaxActiveBlocksPerMultiprocessor).
cudaError_t blocks_per_multiprocessor(element_type type, int* blocks);

// a[i] = a0, b[i] = b0, c[i] = c0, written on the device (values already in the arrays' precision as double).
cudaError_t launch_init(element_type type, void* a, void* b, void* c, std::size_t n, double a0, double b0,
                        double c0, const launch_shape& shape);
cudaError_t launch_copy(element_type type, const void* a, void* c, std::size_t n, const launch_shape& shape);
cudaError_t launch_scale(element_type type, void* b, const void* c, double scalar, std::size_t n,
                         const launch_shape& shape);
cudaError_t launch_add(element_type type, const void* a, const void* b, void* c, std::size_t n,
                       const launch_shape& shape);
cudaError_t launch_triad(element_type type, void* a, const void* b, const void* c, double scalar,
                         std::size_t n, const launch_shape& shape);

// Σ a[i]·b[i] in two stages: each of shape.blocks blocks writes its partial sum (double) to
// partials[block]; then one block of block_threads threads sums the partials into *result (device memory).
// `partials` holds at least shape.blocks doubles.
cudaError_t launch_dot(element_type type, const void* a, const void* b, std::size_t n, double* partials,
                       double* result, const launch_shape& shape);

}  // namespace exacheck::cuda::stream_kernels
