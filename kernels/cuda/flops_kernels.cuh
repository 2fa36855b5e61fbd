#pragma once
// Device peak-FLOPS kernels and their launchers, behind a plain header that both nvcc (C++17: the .cu files)
// and the C++20 backend (cuda_flops.cpp) include: CUDA runtime types and flops_types.hpp only.
//
// Every kernel reads its chains' start values from `starts` before its timed loop, runs `steps` dependent
// steps on every chain with nothing but registers (and, for wgmma, operand tiles in shared memory filled
// before the loop), writes the final values to `finals` once, and thread 0 of each block writes the SM cycles
// (clock64) and nanoseconds (%globaltimer) its loop took, and the instruction family its loop ran, to
// clocks[block]. Values are laid out thread-major
// (global thread index), then accumulator, then lane, as flops::chain_results. Launchers enqueue on `stream`,
// return the launch's error (cudaGetLastError) and never synchronise.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/flops_types.hpp"

namespace exacheck::cuda::flops_kernels {

struct block_clock {
  unsigned long long cycles;
  unsigned long long ns;
  unsigned instruction;  // flops_types::instruction_family, from the kernel that ran (0: none wrote it)
};

// Operands of the chains: the fma constants (a = −1, b = 1, fma_chain.hpp) and the mma tiles' row and column
// values α and β (flops::mma_row_values, mma_column_values), passed at run time so the compiler cannot fold
// them.
struct operands {
  double fma_multiplier;
  double fma_addend;
  int row_values[8];
  int column_values[8];
};

struct launch_shape {
  int blocks = 1;
  cudaStream_t stream = nullptr;
};

// What this binary's loaded code can run on the current device (flops_types::compiled_features).
cudaError_t probe_features(flops_types::compiled_features* features);

// Resident blocks per SM of the kernel (cudaOccupancyMaxActiveBlocksPerMultiprocessor).
cudaError_t blocks_per_multiprocessor(flops_types::kernel_id id, flops_types::tensor_path path, int* blocks);

// Runs the kernel: `starts` and `finals` hold blocks × block_threads × accumulators × lanes values of the
// kernel's value_type; `clocks` holds one block_clock per block.
cudaError_t launch(flops_types::kernel_id id, flops_types::tensor_path path, const void* starts, void* finals,
                   std::uint64_t steps, const operands& values, block_clock* clocks,
                   const launch_shape& shape);

// The pieces launch() dispatches to, one per .cu file.
cudaError_t launch_fma(flops_types::kernel_id id, const void* starts, void* finals, std::uint64_t steps,
                       const operands& values, block_clock* clocks, const launch_shape& shape);
cudaError_t launch_mma_sync(flops_types::kernel_id id, const void* starts, void* finals, std::uint64_t steps,
                            const operands& values, block_clock* clocks, const launch_shape& shape);
cudaError_t launch_wgmma(flops_types::kernel_id id, const void* starts, void* finals, std::uint64_t steps,
                         const operands& values, block_clock* clocks, const launch_shape& shape);
cudaError_t fma_blocks_per_multiprocessor(flops_types::kernel_id id, int* blocks);
cudaError_t mma_sync_blocks_per_multiprocessor(flops_types::kernel_id id, int* blocks);
cudaError_t wgmma_blocks_per_multiprocessor(flops_types::kernel_id id, int* blocks);
cudaError_t probe_mma_sync_features(flops_types::compiled_features* features);
cudaError_t probe_wgmma_features(flops_types::compiled_features* features);

}  // namespace exacheck::cuda::flops_kernels
