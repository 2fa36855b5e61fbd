#pragma once
// Device-side helpers shared by the flops .cu files (nvcc only): the clock marks around each block's timed
// loop, and the operand values a lane needs.
#include <cuda_runtime.h>

#include <cstddef>

#include "kernels/cuda/flops_kernels.cuh"

namespace exacheck::cuda::flops_kernels {

struct clock_mark {
  unsigned long long cycles;
  unsigned long long ns;
};

// %globaltimer (ns) and clock64 (SM cycles). The "memory" clobbers keep the marks on their side of the start
// loads and the final stores, so the interval spans the whole timed loop.
__device__ __forceinline__ clock_mark mark_clock() {
  clock_mark mark;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(mark.ns)::"memory");
  asm volatile("mov.u64 %0, %%clock64;" : "=l"(mark.cycles)::"memory");
  return mark;
}

// Thread 0 of the block records its interval since `start` and the instruction family of the calling kernel
// (each kernel names its own: the host learns what ran, not what it meant to launch).
__device__ __forceinline__ void record_clock(block_clock* clocks, const clock_mark& start,
                                             flops_types::instruction_family family) {
  if (threadIdx.x != 0) return;
  const clock_mark end = mark_clock();
  clocks[blockIdx.x] = {end.cycles - start.cycles, end.ns - start.ns, static_cast<unsigned>(family)};
}

__device__ __forceinline__ std::size_t global_thread() {
  return static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}

// values[index] for a run-time index without indexing the kernel-parameter array dynamically (which would
// copy it to local memory): an unrolled select.
__device__ __forceinline__ int select_value(const int (&values)[8], int index) {
  int value = values[0];
#pragma unroll
  for (int i = 1; i < 8; ++i)
    if (i == index) value = values[i];
  return value;
}

// Runs `probe` (a one-thread kernel that writes which instruction paths the image the driver loaded was
// compiled with) and reads its answer back: a feature guarded by __CUDA_ARCH_FEAT_* exists only in the image
// that had it, so only the device can say.
template <class Probe>
cudaError_t read_compiled_features(Probe probe, flops_types::compiled_features& found) {
  flops_types::compiled_features* device = nullptr;
  cudaError_t status = cudaMalloc(&device, sizeof(*device));
  if (status != cudaSuccess) return status;
  status = cudaMemset(device, 0, sizeof(*device));
  if (status == cudaSuccess) {
    probe<<<1, 1>>>(device);
    status = cudaGetLastError();
  }
  found = {};
  if (status == cudaSuccess) status = cudaMemcpy(&found, device, sizeof(found), cudaMemcpyDeviceToHost);
  cudaFree(device);
  return status;
}

}  // namespace exacheck::cuda::flops_kernels
