// CUDA-core peak kernels: independent FMA chains x ← fma(x, a, b) in registers (fma_chain.hpp), DFMA, FFMA
// and packed HFMA2 on half2 / bfloat162, plus launch() and probe_features(), which dispatch to the .cu files.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels/cuda/flops_device.cuh"

namespace exacheck::cuda::flops_kernels {
namespace {

using flops_types::fma_accumulators;
using flops_types::fma_block_threads;
using flops_types::fma_unroll;
using flops_types::kernel_id;

// One chain element type: how it loads from and stores to the start/final arrays (lanes values each), and its
// FMA.
struct fp64_chain {
  using value = double;
  using stored = double;
  static constexpr int lanes = 1;
  __device__ static value splat(double x) { return x; }
  __device__ static value load(const stored* p) { return p[0]; }
  __device__ static void store(stored* p, value x) { p[0] = x; }
  __device__ static value fma(value x, value a, value b) { return ::fma(x, a, b); }
};

struct fp32_chain {
  using value = float;
  using stored = float;
  static constexpr int lanes = 1;
  __device__ static value splat(double x) { return static_cast<float>(x); }
  __device__ static value load(const stored* p) { return p[0]; }
  __device__ static void store(stored* p, value x) { p[0] = x; }
  __device__ static value fma(value x, value a, value b) { return fmaf(x, a, b); }
};

struct fp16x2_chain {
  using value = __half2;
  using stored = float;
  static constexpr int lanes = 2;
  __device__ static value splat(double x) { return __float2half2_rn(static_cast<float>(x)); }
  __device__ static value load(const stored* p) { return __floats2half2_rn(p[0], p[1]); }
  __device__ static void store(stored* p, value x) {
    p[0] = __low2float(x);
    p[1] = __high2float(x);
  }
  __device__ static value fma(value x, value a, value b) { return __hfma2(x, a, b); }
};

struct bf16x2_chain {
  using value = __nv_bfloat162;
  using stored = float;
  static constexpr int lanes = 2;
  __device__ static value splat(double x) { return __float2bfloat162_rn(static_cast<float>(x)); }
  __device__ static value load(const stored* p) { return __floats2bfloat162_rn(p[0], p[1]); }
  __device__ static void store(stored* p, value x) {
    p[0] = __low2float(x);
    p[1] = __high2float(x);
  }
  __device__ static value fma(value x, value a, value b) { return __hfma2(x, a, b); }
};

template <class Chain>
__global__ void __launch_bounds__(fma_block_threads)
    fma_chains(const typename Chain::stored* __restrict__ starts, typename Chain::stored* __restrict__ finals,
               std::uint64_t steps, double multiplier, double addend, block_clock* __restrict__ clocks) {
  using value = typename Chain::value;
  constexpr int lanes = Chain::lanes;
  const std::size_t base = global_thread() * fma_accumulators * lanes;
  const clock_mark start = mark_clock();
  value x[fma_accumulators];
#pragma unroll
  for (int j = 0; j < fma_accumulators; ++j) x[j] = Chain::load(starts + base + j * lanes);
  const value a = Chain::splat(multiplier), b = Chain::splat(addend);
  std::uint64_t s = 0;
  for (; s + fma_unroll <= steps; s += fma_unroll) {
#pragma unroll
    for (int u = 0; u < fma_unroll; ++u)
#pragma unroll
      for (int j = 0; j < fma_accumulators; ++j) x[j] = Chain::fma(x[j], a, b);
  }
  for (; s < steps; ++s)
#pragma unroll
    for (int j = 0; j < fma_accumulators; ++j) x[j] = Chain::fma(x[j], a, b);
#pragma unroll
  for (int j = 0; j < fma_accumulators; ++j) Chain::store(finals + base + j * lanes, x[j]);
  record_clock(clocks, start, flops_types::instruction_family::fma);
}

template <class Chain>
cudaError_t launch_chain(const void* starts, void* finals, std::uint64_t steps, const operands& values,
                         block_clock* clocks, const launch_shape& shape) {
  using stored = typename Chain::stored;
  fma_chains<Chain><<<shape.blocks, fma_block_threads, 0, shape.stream>>>(
      static_cast<const stored*>(starts), static_cast<stored*>(finals), steps, values.fma_multiplier,
      values.fma_addend, clocks);
  return cudaGetLastError();
}

template <class Chain>
cudaError_t occupancy(int* blocks) {
  return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, fma_chains<Chain>, fma_block_threads, 0);
}

}  // namespace

cudaError_t launch_fma(kernel_id id, const void* starts, void* finals, std::uint64_t steps,
                       const operands& values, block_clock* clocks, const launch_shape& shape) {
  switch (id) {
    case kernel_id::fma_fp64:
      return launch_chain<fp64_chain>(starts, finals, steps, values, clocks, shape);
    case kernel_id::fma_fp32:
      return launch_chain<fp32_chain>(starts, finals, steps, values, clocks, shape);
    case kernel_id::fma_fp16x2:
      return launch_chain<fp16x2_chain>(starts, finals, steps, values, clocks, shape);
    case kernel_id::fma_bf16x2:
      return launch_chain<bf16x2_chain>(starts, finals, steps, values, clocks, shape);
    default:
      return cudaErrorInvalidValue;
  }
}

cudaError_t fma_blocks_per_multiprocessor(kernel_id id, int* blocks) {
  switch (id) {
    case kernel_id::fma_fp64:
      return occupancy<fp64_chain>(blocks);
    case kernel_id::fma_fp32:
      return occupancy<fp32_chain>(blocks);
    case kernel_id::fma_fp16x2:
      return occupancy<fp16x2_chain>(blocks);
    case kernel_id::fma_bf16x2:
      return occupancy<bf16x2_chain>(blocks);
    default:
      return cudaErrorInvalidValue;
  }
}

cudaError_t launch(kernel_id id, flops_types::tensor_path path, const void* starts, void* finals,
                   std::uint64_t steps, const operands& values, block_clock* clocks,
                   const launch_shape& shape) {
  if (!flops_types::is_tensor(id)) return launch_fma(id, starts, finals, steps, values, clocks, shape);
  if (path == flops_types::tensor_path::wgmma)
    return launch_wgmma(id, starts, finals, steps, values, clocks, shape);
  return launch_mma_sync(id, starts, finals, steps, values, clocks, shape);
}

cudaError_t blocks_per_multiprocessor(kernel_id id, flops_types::tensor_path path, int* blocks) {
  if (!flops_types::is_tensor(id)) return fma_blocks_per_multiprocessor(id, blocks);
  if (path == flops_types::tensor_path::wgmma) return wgmma_blocks_per_multiprocessor(id, blocks);
  return mma_sync_blocks_per_multiprocessor(id, blocks);
}

cudaError_t probe_features(flops_types::compiled_features* features) {
  *features = {};
  const cudaError_t status = probe_mma_sync_features(features);
  if (status != cudaSuccess) return status;
  return probe_wgmma_features(features);
}

}  // namespace exacheck::cuda::flops_kernels
