// Tensor-core peak kernels with per-warp mma.sync (sm_80 and later): each warp keeps mma_tiles independent
// accumulator tiles in registers and runs D ← A·B + D on each, alternating B and −B (fma_chain.hpp, "mma").
// Every A element a lane holds is α[lane / 4] and every B element β[lane / 4] (in every m16n8kK and m8n8k4
// fragment layout A's rows and B's columns of a lane are ≡ lane / 4 mod 8), so the operands are built in
// registers once, before the timed loop.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <cstdint>

#include "kernels/cuda/flops_device.cuh"

namespace exacheck::cuda::flops_kernels {
namespace {

using flops_types::kernel_id;
using flops_types::mma_block_threads;
using flops_types::mma_pair_unroll;
using flops_types::mma_tiles;

__device__ __forceinline__ std::uint32_t pack_halves(std::uint16_t low, std::uint16_t high) {
  return static_cast<std::uint32_t>(low) | (static_cast<std::uint32_t>(high) << 16);
}
__device__ __forceinline__ std::uint32_t repeat_byte(std::uint8_t byte) {
  return 0x01010101u * byte;
}

// One m16n8kK shape with 32-bit operand registers: 4 A registers, 2 B registers, 4 accumulators a lane.
template <class Instruction>
struct m16n8_32bit {
  using accumulator = typename Instruction::accumulator;
  static constexpr int registers = 4;
  struct a_fragment {
    std::uint32_t r[4];
  };
  struct b_fragment {
    std::uint32_t r[2];
  };
  __device__ static a_fragment make_a(int alpha) {
    const std::uint32_t bits = Instruction::encode(alpha);
    return {{bits, bits, bits, bits}};
  }
  __device__ static b_fragment make_b(int beta) {
    const std::uint32_t bits = Instruction::encode(beta);
    return {{bits, bits}};
  }
  __device__ static void mma(accumulator (&d)[4], const a_fragment& a, const b_fragment& b) {
    Instruction::mma(d, a.r, b.r);
  }
};

#define EXACHECK_MMA_M16N8(SHAPE_TYPES, D_CONSTRAINT)                                                     \
  asm volatile("mma.sync.aligned." SHAPE_TYPES " {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n" \
               : D_CONSTRAINT(d[0]), D_CONSTRAINT(d[1]), D_CONSTRAINT(d[2]), D_CONSTRAINT(d[3])           \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]))
#define EXACHECK_F32 "+f"
#define EXACHECK_S32 "+r"

struct fp16_instruction {
  using accumulator = float;
  __device__ static std::uint32_t encode(int v) {
    const std::uint16_t h = __half_as_ushort(__int2half_rn(v));
    return pack_halves(h, h);
  }
  __device__ static void mma(float (&d)[4], const std::uint32_t (&a)[4], const std::uint32_t (&b)[2]) {
    EXACHECK_MMA_M16N8("m16n8k16.row.col.f32.f16.f16.f32", EXACHECK_F32);
  }
};

struct bf16_instruction {
  using accumulator = float;
  __device__ static std::uint32_t encode(int v) {
    const std::uint16_t h = __bfloat16_as_ushort(__float2bfloat16_rn(static_cast<float>(v)));
    return pack_halves(h, h);
  }
  __device__ static void mma(float (&d)[4], const std::uint32_t (&a)[4], const std::uint32_t (&b)[2]) {
    EXACHECK_MMA_M16N8("m16n8k16.row.col.f32.bf16.bf16.f32", EXACHECK_F32);
  }
};

struct tf32_instruction {  // tf32 operands are fp32 bit patterns; small integers are exact in tf32
  using accumulator = float;
  __device__ static std::uint32_t encode(int v) { return __float_as_uint(static_cast<float>(v)); }
  __device__ static void mma(float (&d)[4], const std::uint32_t (&a)[4], const std::uint32_t (&b)[2]) {
    EXACHECK_MMA_M16N8("m16n8k8.row.col.f32.tf32.tf32.f32", EXACHECK_F32);
  }
};

struct fp8_instruction {
  using accumulator = float;
  __device__ static std::uint32_t encode(int v) {
    return repeat_byte(__nv_cvt_float_to_fp8(static_cast<float>(v), __NV_SATFINITE, __NV_E4M3));
  }
  __device__ static void mma(float (&d)[4], const std::uint32_t (&a)[4], const std::uint32_t (&b)[2]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
    EXACHECK_MMA_M16N8("m16n8k32.row.col.f32.e4m3.e4m3.f32", EXACHECK_F32);
#else
    (void)d, (void)a, (void)b;
    __trap();  // the host never launches it here: unsupported_reason() says fp8 needs sm_89
#endif
  }
};

struct int8_instruction {
  using accumulator = int;
  __device__ static std::uint32_t encode(int v) { return repeat_byte(static_cast<std::uint8_t>(v)); }
  __device__ static void mma(int (&d)[4], const std::uint32_t (&a)[4], const std::uint32_t (&b)[2]) {
    EXACHECK_MMA_M16N8("m16n8k32.row.col.s32.s8.s8.s32", EXACHECK_S32);
  }
};

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ < 900
// DMMA m8n8k4 (sm_80): one f64 of A and of B, two accumulators a lane.
struct dmma_m8n8k4 {
  using accumulator = double;
  static constexpr int registers = 2;
  struct a_fragment {
    double r;
  };
  using b_fragment = a_fragment;
  __device__ static a_fragment make_a(int alpha) { return {static_cast<double>(alpha)}; }
  __device__ static b_fragment make_b(int beta) { return {static_cast<double>(beta)}; }
  __device__ static void mma(double (&d)[2], const a_fragment& a, const b_fragment& b) {
    asm volatile("mma.sync.aligned.m8n8k4.row.col.f64.f64.f64.f64 {%0,%1}, {%2}, {%3}, {%0,%1};\n"
                 : "+d"(d[0]), "+d"(d[1])
                 : "d"(a.r), "d"(b.r));
  }
};

#else
// DMMA m16n8k16 (sm_90 and later, Hopper's full-rate FP64 tensor shape): 8 f64 of A, 4 of B, 4 accumulators.
struct dmma_m16n8k16 {
  using accumulator = double;
  static constexpr int registers = 4;
  struct a_fragment {
    double r;  // all 8 A registers hold α: one register passed 8 times
  };
  using b_fragment = a_fragment;
  __device__ static a_fragment make_a(int alpha) { return {static_cast<double>(alpha)}; }
  __device__ static b_fragment make_b(int beta) { return {static_cast<double>(beta)}; }
  __device__ static void mma(double (&d)[4], const a_fragment& a, const b_fragment& b) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f64.f64.f64.f64 {%0,%1,%2,%3}, {%4,%4,%4,%4,%4,%4,%4,%4}, "
        "{%5,%5,%5,%5}, {%0,%1,%2,%3};\n"
        : "+d"(d[0]), "+d"(d[1]), "+d"(d[2]), "+d"(d[3])
        : "d"(a.r), "d"(b.r));
  }
};
#endif

// The chains of one thread: mma_tiles accumulator tiles, steps alternating B and −B.
template <class Mma>
__device__ __forceinline__ void run_mma_chains(const typename Mma::accumulator* __restrict__ starts,
                                               typename Mma::accumulator* __restrict__ finals,
                                               std::uint64_t steps, const operands& values,
                                               block_clock* __restrict__ clocks) {
  using accumulator = typename Mma::accumulator;
  constexpr int registers = Mma::registers;
  const std::size_t base = global_thread() * mma_tiles * registers;
  const clock_mark start = mark_clock();
  const int group = static_cast<int>(threadIdx.x % 32) / 4;
  const int beta = select_value(values.column_values, group);
  const typename Mma::a_fragment a = Mma::make_a(select_value(values.row_values, group));
  const typename Mma::b_fragment b_plus = Mma::make_b(beta), b_minus = Mma::make_b(-beta);
  accumulator d[mma_tiles][registers];
#pragma unroll
  for (int t = 0; t < mma_tiles; ++t)
#pragma unroll
    for (int r = 0; r < registers; ++r) d[t][r] = starts[base + t * registers + r];
  std::uint64_t s = 0;
  for (; s + 2 * mma_pair_unroll <= steps; s += 2 * mma_pair_unroll) {
#pragma unroll
    for (int u = 0; u < mma_pair_unroll; ++u) {
#pragma unroll
      for (int t = 0; t < mma_tiles; ++t) Mma::mma(d[t], a, b_plus);
#pragma unroll
      for (int t = 0; t < mma_tiles; ++t) Mma::mma(d[t], a, b_minus);
    }
  }
  for (; s + 2 <= steps; s += 2) {
#pragma unroll
    for (int t = 0; t < mma_tiles; ++t) Mma::mma(d[t], a, b_plus);
#pragma unroll
    for (int t = 0; t < mma_tiles; ++t) Mma::mma(d[t], a, b_minus);
  }
  if (s < steps)
#pragma unroll
    for (int t = 0; t < mma_tiles; ++t) Mma::mma(d[t], a, b_plus);
#pragma unroll
  for (int t = 0; t < mma_tiles; ++t)
#pragma unroll
    for (int r = 0; r < registers; ++r) finals[base + t * registers + r] = d[t][r];
  record_clock(clocks, start, flops_types::instruction_family::mma_sync);
}

template <class Mma>
__global__ void __launch_bounds__(mma_block_threads)
    mma_chains(const typename Mma::accumulator* __restrict__ starts,
               typename Mma::accumulator* __restrict__ finals, std::uint64_t steps, operands values,
               block_clock* __restrict__ clocks) {
  run_mma_chains<Mma>(starts, finals, steps, values, clocks);
}

// DMMA's shape depends on the architecture of the image: the probe tells the host which one it is.
__global__ void __launch_bounds__(mma_block_threads)
    dmma_chains(const double* __restrict__ starts, double* __restrict__ finals, std::uint64_t steps,
                operands values, block_clock* __restrict__ clocks) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ < 900
  run_mma_chains<dmma_m8n8k4>(starts, finals, steps, values, clocks);
#else
  run_mma_chains<dmma_m16n8k16>(starts, finals, steps, values, clocks);
#endif
}

__global__ void probe_kernel(flops_types::compiled_features* features) {
#if defined(__CUDA_ARCH__)
  features->fp8_mma = __CUDA_ARCH__ >= 890 ? 1 : 0;
  features->dmma_k = __CUDA_ARCH__ >= 900 ? 16 : 4;
#endif
}

template <class Instruction>
using m16n8 = m16n8_32bit<Instruction>;

template <class Mma>
cudaError_t launch_chains(const void* starts, void* finals, std::uint64_t steps, const operands& values,
                          block_clock* clocks, const launch_shape& shape) {
  using accumulator = typename Mma::accumulator;
  mma_chains<Mma><<<shape.blocks, mma_block_threads, 0, shape.stream>>>(
      static_cast<const accumulator*>(starts), static_cast<accumulator*>(finals), steps, values, clocks);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_mma_sync(kernel_id id, const void* starts, void* finals, std::uint64_t steps,
                            const operands& values, block_clock* clocks, const launch_shape& shape) {
  switch (id) {
    case kernel_id::mma_fp64:
      dmma_chains<<<shape.blocks, mma_block_threads, 0, shape.stream>>>(
          static_cast<const double*>(starts), static_cast<double*>(finals), steps, values, clocks);
      return cudaGetLastError();
    case kernel_id::mma_tf32:
      return launch_chains<m16n8<tf32_instruction>>(starts, finals, steps, values, clocks, shape);
    case kernel_id::mma_fp16:
      return launch_chains<m16n8<fp16_instruction>>(starts, finals, steps, values, clocks, shape);
    case kernel_id::mma_bf16:
      return launch_chains<m16n8<bf16_instruction>>(starts, finals, steps, values, clocks, shape);
    case kernel_id::mma_fp8:
      return launch_chains<m16n8<fp8_instruction>>(starts, finals, steps, values, clocks, shape);
    case kernel_id::mma_int8:
      return launch_chains<m16n8<int8_instruction>>(starts, finals, steps, values, clocks, shape);
    default:
      return cudaErrorInvalidValue;
  }
}

cudaError_t mma_sync_blocks_per_multiprocessor(kernel_id id, int* blocks) {
  const auto occupancy = [blocks](auto kernel) {
    return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, kernel, mma_block_threads, 0);
  };
  switch (id) {
    case kernel_id::mma_fp64:
      return occupancy(dmma_chains);
    case kernel_id::mma_tf32:
      return occupancy(mma_chains<m16n8<tf32_instruction>>);
    case kernel_id::mma_fp16:
      return occupancy(mma_chains<m16n8<fp16_instruction>>);
    case kernel_id::mma_bf16:
      return occupancy(mma_chains<m16n8<bf16_instruction>>);
    case kernel_id::mma_fp8:
      return occupancy(mma_chains<m16n8<fp8_instruction>>);
    case kernel_id::mma_int8:
      return occupancy(mma_chains<m16n8<int8_instruction>>);
    default:
      return cudaErrorInvalidValue;
  }
}

cudaError_t probe_mma_sync_features(flops_types::compiled_features* features) {
  flops_types::compiled_features found{};
  if (const cudaError_t status = read_compiled_features(probe_kernel, found); status != cudaSuccess)
    return status;
  features->fp8_mma = found.fp8_mma;
  features->dmma_k = found.dmma_k;
  return cudaSuccess;
}

}  // namespace exacheck::cuda::flops_kernels
