// Tensor-core peak kernels with Hopper's warpgroup MMA (wgmma.mma_async, sm_90a only): one warpgroup per
// block keeps a 64×256 accumulator (128 registers a thread) and issues m64n256kK wgmmas with both operands in
// shared memory ("SS"), alternating B and −B (fma_chain.hpp, "mma"), wgmma_pair_unroll pairs per committed
// group. The code exists only in the image built for sm_90a (__CUDA_ARCH_FEAT_SM90_ALL); every other image
// has a trapping stub, and the probe tells the host which one the driver loaded.
//
// Shared-memory tiles, K-major without swizzle: 8-row × 16-byte core matrices of 128 contiguous bytes. Every
// row of A holds α[row mod 8] and every row of B (a column of the product) β[row mod 8], so each core matrix
// is the same 128 bytes wherever it lies: the product does not depend on the descriptors' core-matrix
// strides, only on the accumulator layout (row ≡ lane / 4, column ≡ 2·(lane mod 4) + register mod 2, mod 8).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <cstdint>
#include <type_traits>

#include "kernels/cuda/flops_device.cuh"

namespace exacheck::cuda::flops_kernels {
namespace {

using flops_types::kernel_id;
using flops_types::wgmma_block_threads;
using flops_types::wgmma_pair_unroll;
using flops_types::wgmma_registers;

// The 16 bytes of one core-matrix row whose elements all equal `value` in the kernel's input format.
template <kernel_id id>
__device__ uint4 core_row(int value) {
  std::uint32_t word = 0;
  if constexpr (id == kernel_id::mma_fp16) {
    const std::uint32_t h = __half_as_ushort(__int2half_rn(value));
    word = h | h << 16;
  } else if constexpr (id == kernel_id::mma_bf16) {
    const std::uint32_t h = __bfloat16_as_ushort(__float2bfloat16_rn(static_cast<float>(value)));
    word = h | h << 16;
  } else if constexpr (id == kernel_id::mma_tf32) {
    word = __float_as_uint(static_cast<float>(value));
  } else if constexpr (id == kernel_id::mma_fp8) {
    word = 0x01010101u * __nv_cvt_float_to_fp8(static_cast<float>(value), __NV_SATFINITE, __NV_E4M3);
  } else {
    word = 0x01010101u * static_cast<std::uint8_t>(value);
  }
  return make_uint4(word, word, word, word);
}

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
constexpr int row_bytes = 32;  // K elements of one row per instruction: 16 × 2 B, 8 × 4 B (tf32), 32 × 1 B
constexpr int a_tile_bytes = 64 * row_bytes;
constexpr int b_tile_bytes = 256 * row_bytes;

// wgmma shared-memory matrix descriptor: start address, leading-dimension byte offset (between core matrices
// along K), stride byte offset (between 8-row groups), all in 16-byte units; swizzle mode 0 (none).
__device__ __forceinline__ std::uint64_t matrix_descriptor(const void* tile) {
  const auto address = static_cast<std::uint32_t>(__cvta_generic_to_shared(tile));
  constexpr std::uint64_t leading_bytes = 128, stride_bytes = 256;
  return static_cast<std::uint64_t>((address & 0x3FFFF) >> 4) | ((leading_bytes >> 4) << 16) |
         ((stride_bytes >> 4) << 32);
}

#define EXACHECK_WGMMA_D                                                                         \
  "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "                       \
  "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "             \
  "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "             \
  "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "             \
  "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "             \
  "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "             \
  "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, " \
  "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127"
#define EXACHECK_D1(C, i) C(d[i])
#define EXACHECK_D8(C, i)                                                                 \
  EXACHECK_D1(C, i), EXACHECK_D1(C, i + 1), EXACHECK_D1(C, i + 2), EXACHECK_D1(C, i + 3), \
      EXACHECK_D1(C, i + 4), EXACHECK_D1(C, i + 5), EXACHECK_D1(C, i + 6), EXACHECK_D1(C, i + 7)
#define EXACHECK_D128(C)                                                                                    \
  EXACHECK_D8(C, 0), EXACHECK_D8(C, 8), EXACHECK_D8(C, 16), EXACHECK_D8(C, 24), EXACHECK_D8(C, 32),         \
      EXACHECK_D8(C, 40), EXACHECK_D8(C, 48), EXACHECK_D8(C, 56), EXACHECK_D8(C, 64), EXACHECK_D8(C, 72),   \
      EXACHECK_D8(C, 80), EXACHECK_D8(C, 88), EXACHECK_D8(C, 96), EXACHECK_D8(C, 104), EXACHECK_D8(C, 112), \
      EXACHECK_D8(C, 120)
#define EXACHECK_F32(x) "+f"(x)
#define EXACHECK_S32(x) "+r"(x)
// The operands of the asm are the 128 accumulators (%0 … %127), then the two descriptors (%128, %129).
#define EXACHECK_WGMMA(INSTRUCTION, TAIL, CONSTRAINT)                                          \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n" INSTRUCTION " {" EXACHECK_WGMMA_D \
               "}, %128, %129, p" TAIL ";\n}\n"                                                \
               : EXACHECK_D128(CONSTRAINT)                                                     \
               : "l"(a), "l"(b), "r"(1))

template <kernel_id id, class T>
__device__ __forceinline__ void wgmma(T (&d)[wgmma_registers], std::uint64_t a, std::uint64_t b) {
  if constexpr (id == kernel_id::mma_fp16)
    EXACHECK_WGMMA("wgmma.mma_async.sync.aligned.m64n256k16.f32.f16.f16", ", 1, 1, 0, 0", EXACHECK_F32);
  else if constexpr (id == kernel_id::mma_bf16)
    EXACHECK_WGMMA("wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16", ", 1, 1, 0, 0", EXACHECK_F32);
  else if constexpr (id == kernel_id::mma_tf32)
    EXACHECK_WGMMA("wgmma.mma_async.sync.aligned.m64n256k8.f32.tf32.tf32", ", 1, 1", EXACHECK_F32);
  else if constexpr (id == kernel_id::mma_fp8)
    EXACHECK_WGMMA("wgmma.mma_async.sync.aligned.m64n256k32.f32.e4m3.e4m3", ", 1, 1", EXACHECK_F32);
  else
    EXACHECK_WGMMA("wgmma.mma_async.sync.aligned.m64n256k32.s32.s8.s8", "", EXACHECK_S32);
}

// Keeps the compiler from moving accumulator accesses across the wgmma fence/commit/wait (CUTLASS's
// warpgroup_fence_operand).
template <class T>
__device__ __forceinline__ void fence_accumulators(T (&d)[wgmma_registers]) {
#pragma unroll
  for (int r = 0; r < wgmma_registers; ++r) {
    if constexpr (std::is_same_v<T, float>)
      asm volatile("" : "+f"(d[r])::"memory");
    else
      asm volatile("" : "+r"(d[r])::"memory");
  }
}

// One committed group of `pairs` (B, −B) pairs, then a wait for it.
template <kernel_id id, int pairs, class T>
__device__ __forceinline__ void wgmma_pairs(T (&d)[wgmma_registers], std::uint64_t a, std::uint64_t b_plus,
                                            std::uint64_t b_minus, bool last_single) {
  fence_accumulators(d);
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#pragma unroll
  for (int u = 0; u < pairs; ++u) {
    wgmma<id>(d, a, b_plus);
    wgmma<id>(d, a, b_minus);
  }
  if (last_single) wgmma<id>(d, a, b_plus);
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
  asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
  fence_accumulators(d);
}
#endif  // __CUDA_ARCH_FEAT_SM90_ALL

template <kernel_id id, class T>
__global__ void __launch_bounds__(wgmma_block_threads, 1)
    wgmma_chains(const T* __restrict__ starts, T* __restrict__ finals, std::uint64_t steps, operands values,
                 block_clock* __restrict__ clocks) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  __shared__ __align__(128) uint4 tiles[(a_tile_bytes + 2 * b_tile_bytes) / 16];
  uint4* const a_tile = tiles;
  uint4* const b_plus_tile = tiles + a_tile_bytes / 16;
  uint4* const b_minus_tile = b_plus_tile + b_tile_bytes / 16;
  // Chunk c is row c mod 8 of a core matrix (rows are 16 bytes, core matrices 8 rows).
  for (int c = static_cast<int>(threadIdx.x); c < a_tile_bytes / 16; c += wgmma_block_threads)
    a_tile[c] = core_row<id>(select_value(values.row_values, c % 8));
  for (int c = static_cast<int>(threadIdx.x); c < b_tile_bytes / 16; c += wgmma_block_threads) {
    const int beta = select_value(values.column_values, c % 8);
    b_plus_tile[c] = core_row<id>(beta);
    b_minus_tile[c] = core_row<id>(-beta);
  }
  // Ordinary stores that the tensor cores (the async proxy) read next: fence, then barrier.
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
  __syncthreads();

  const std::uint64_t a = matrix_descriptor(a_tile);
  const std::uint64_t b_plus = matrix_descriptor(b_plus_tile), b_minus = matrix_descriptor(b_minus_tile);
  const std::size_t base = global_thread() * wgmma_registers;
  const clock_mark start = mark_clock();
  T d[wgmma_registers];
#pragma unroll
  for (int r = 0; r < wgmma_registers; ++r) d[r] = starts[base + r];
  std::uint64_t s = 0;
  for (; s + 2 * wgmma_pair_unroll <= steps; s += 2 * wgmma_pair_unroll)
    wgmma_pairs<id, wgmma_pair_unroll>(d, a, b_plus, b_minus, false);
  for (; s + 2 <= steps; s += 2) wgmma_pairs<id, 1>(d, a, b_plus, b_minus, false);
  if (s < steps) wgmma_pairs<id, 0>(d, a, b_plus, b_minus, true);
#pragma unroll
  for (int r = 0; r < wgmma_registers; ++r) finals[base + r] = d[r];
  record_clock(clocks, start, flops_types::instruction_family::wgmma);
#else
  (void)starts, (void)finals, (void)steps, (void)values, (void)clocks;
  __trap();  // not sm_90a: the host runs the mma.sync kernels instead (probe_wgmma_features)
#endif
}

__global__ void probe_kernel(flops_types::compiled_features* features) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  features->wgmma = 1;
#else
  features->wgmma = 0;
#endif
}

template <kernel_id id, class T>
cudaError_t launch_chains(const void* starts, void* finals, std::uint64_t steps, const operands& values,
                          block_clock* clocks, const launch_shape& shape) {
  wgmma_chains<id, T><<<shape.blocks, wgmma_block_threads, 0, shape.stream>>>(
      static_cast<const T*>(starts), static_cast<T*>(finals), steps, values, clocks);
  return cudaGetLastError();
}

template <kernel_id id, class T>
cudaError_t occupancy(int* blocks) {
  return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, wgmma_chains<id, T>, wgmma_block_threads, 0);
}

}  // namespace

cudaError_t launch_wgmma(kernel_id id, const void* starts, void* finals, std::uint64_t steps,
                         const operands& values, block_clock* clocks, const launch_shape& shape) {
  switch (id) {
    case kernel_id::mma_tf32:
      return launch_chains<kernel_id::mma_tf32, float>(starts, finals, steps, values, clocks, shape);
    case kernel_id::mma_fp16:
      return launch_chains<kernel_id::mma_fp16, float>(starts, finals, steps, values, clocks, shape);
    case kernel_id::mma_bf16:
      return launch_chains<kernel_id::mma_bf16, float>(starts, finals, steps, values, clocks, shape);
    case kernel_id::mma_fp8:
      return launch_chains<kernel_id::mma_fp8, float>(starts, finals, steps, values, clocks, shape);
    case kernel_id::mma_int8:
      return launch_chains<kernel_id::mma_int8, int>(starts, finals, steps, values, clocks, shape);
    default:
      return cudaErrorInvalidValue;
  }
}

cudaError_t wgmma_blocks_per_multiprocessor(kernel_id id, int* blocks) {
  switch (id) {
    case kernel_id::mma_tf32:
      return occupancy<kernel_id::mma_tf32, float>(blocks);
    case kernel_id::mma_fp16:
      return occupancy<kernel_id::mma_fp16, float>(blocks);
    case kernel_id::mma_bf16:
      return occupancy<kernel_id::mma_bf16, float>(blocks);
    case kernel_id::mma_fp8:
      return occupancy<kernel_id::mma_fp8, float>(blocks);
    case kernel_id::mma_int8:
      return occupancy<kernel_id::mma_int8, int>(blocks);
    default:
      return cudaErrorInvalidValue;
  }
}

cudaError_t probe_wgmma_features(flops_types::compiled_features* features) {
  flops_types::compiled_features found{};
  if (const cudaError_t status = read_compiled_features(probe_kernel, found); status != cudaSuccess)
    return status;
  features->wgmma = found.wgmma;
  return cudaSuccess;
}

}  // namespace exacheck::cuda::flops_kernels
