// Device STREAM kernels: grid-stride loops over 16-byte packs (double2 / float4 wide), the n % width
// leftover elements taken one each by the first threads of the grid, and a two-stage dot.
#include <cstdint>

#include "kernels/cuda/stream_kernels.cuh"

namespace exacheck::cuda::stream_kernels {
namespace {

// `width` consecutive elements moved as one access: aligned to its size, so a pack of 16 bytes compiles to
// one 128-bit load or store (LDG.E.128 / STG.E.128), and a warp's 32 packs cover four whole 128-byte lines.
template <class T, int width>
struct alignas(sizeof(T) * width) pack {
  T v[width];
};

// Products and sums rounded separately, never contracted into an FMA: the scalar replay that verifies the
// arrays (suites/membw/stream_oracle) rounds b + scalar·c in two steps, so the device matches it bit for bit.
__device__ __forceinline__ double mul_rn(double x, double y) {
  return __dmul_rn(x, y);
}
__device__ __forceinline__ float mul_rn(float x, float y) {
  return __fmul_rn(x, y);
}
__device__ __forceinline__ double add_rn(double x, double y) {
  return __dadd_rn(x, y);
}
__device__ __forceinline__ float add_rn(float x, float y) {
  return __fadd_rn(x, y);
}

struct grid_range {
  std::size_t first;   // this thread's first pack
  std::size_t stride;  // threads in the grid
};

__device__ __forceinline__ grid_range this_thread() {
  return {static_cast<std::size_t>(blockIdx.x) * block_threads + threadIdx.x,
          static_cast<std::size_t>(gridDim.x) * block_threads};
}

// Runs a kernel's body over this thread's packs i of [0, n / width) — load(i) returns what pack i needs,
// finish(i, loaded) computes and stores it — then tail(e) for at most one leftover element e of
// [n − n % width, n): the leftovers go to the first n % width threads of the grid. The packs go
// packs_in_flight at a time: every load of the group is issued before the first finish.
template <int width, class Load, class Finish, class Tail>
__device__ __forceinline__ void for_each_pack(std::size_t n, Load load, Finish finish, Tail tail) {
  const grid_range range = this_thread();
  const std::size_t packs = n / width;
  std::size_t i = range.first;
  for (; i + (packs_in_flight - 1) * range.stride < packs; i += packs_in_flight * range.stride) {
    decltype(load(i)) loaded[packs_in_flight];
#pragma unroll
    for (int u = 0; u < packs_in_flight; ++u) loaded[u] = load(i + u * range.stride);
#pragma unroll
    for (int u = 0; u < packs_in_flight; ++u) finish(i + u * range.stride, loaded[u]);
  }
  for (; i < packs; i += range.stride) finish(i, load(i));
  if (width > 1) {
    const std::size_t leftover = packs * width + range.first;
    if (leftover < n) tail(leftover);
  }
}

// What a two-input kernel loads per pack.
template <class P>
struct pack_pair {
  P x, y;
};

// Stores only, so no loads to keep in flight: a plain grid-stride loop.
template <class T, int width>
__global__ void __launch_bounds__(block_threads)
    init_kernel(T* __restrict__ a, T* __restrict__ b, T* __restrict__ c, std::size_t n, T a0, T b0, T c0) {
  using P = pack<T, width>;
  P pa, pb, pc;
#pragma unroll
  for (int k = 0; k < width; ++k) {
    pa.v[k] = a0;
    pb.v[k] = b0;
    pc.v[k] = c0;
  }
  const grid_range range = this_thread();
  const std::size_t packs = n / width;
  for (std::size_t i = range.first; i < packs; i += range.stride) {
    reinterpret_cast<P*>(a)[i] = pa;
    reinterpret_cast<P*>(b)[i] = pb;
    reinterpret_cast<P*>(c)[i] = pc;
  }
  const std::size_t leftover = packs * width + range.first;
  if (width > 1 && leftover < n) {
    a[leftover] = a0;
    b[leftover] = b0;
    c[leftover] = c0;
  }
}

template <class T, int width>
__global__ void __launch_bounds__(block_threads)
    copy_kernel(const T* __restrict__ a, T* __restrict__ c, std::size_t n) {
  using P = pack<T, width>;
  for_each_pack<width>(
      n, [&](std::size_t i) { return reinterpret_cast<const P*>(a)[i]; },
      [&](std::size_t i, const P& x) { reinterpret_cast<P*>(c)[i] = x; },
      [&](std::size_t e) { c[e] = a[e]; });
}

template <class T, int width>
__global__ void __launch_bounds__(block_threads)
    scale_kernel(T* __restrict__ b, const T* __restrict__ c, T scalar, std::size_t n) {
  using P = pack<T, width>;
  for_each_pack<width>(
      n, [&](std::size_t i) { return reinterpret_cast<const P*>(c)[i]; },
      [&](std::size_t i, P x) {
#pragma unroll
        for (int k = 0; k < width; ++k) x.v[k] = mul_rn(scalar, x.v[k]);
        reinterpret_cast<P*>(b)[i] = x;
      },
      [&](std::size_t e) { b[e] = mul_rn(scalar, c[e]); });
}

template <class T, int width>
__global__ void __launch_bounds__(block_threads)
    add_kernel(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ c, std::size_t n) {
  using P = pack<T, width>;
  for_each_pack<width>(
      n,
      [&](std::size_t i) {
        return pack_pair<P>{reinterpret_cast<const P*>(a)[i], reinterpret_cast<const P*>(b)[i]};
      },
      [&](std::size_t i, pack_pair<P> in) {
#pragma unroll
        for (int k = 0; k < width; ++k) in.x.v[k] = add_rn(in.x.v[k], in.y.v[k]);
        reinterpret_cast<P*>(c)[i] = in.x;
      },
      [&](std::size_t e) { c[e] = add_rn(a[e], b[e]); });
}

template <class T, int width>
__global__ void __launch_bounds__(block_threads)
    triad_kernel(T* __restrict__ a, const T* __restrict__ b, const T* __restrict__ c, T scalar,
                 std::size_t n) {
  using P = pack<T, width>;
  for_each_pack<width>(
      n,
      [&](std::size_t i) {
        return pack_pair<P>{reinterpret_cast<const P*>(b)[i], reinterpret_cast<const P*>(c)[i]};
      },
      [&](std::size_t i, pack_pair<P> in) {
#pragma unroll
        for (int k = 0; k < width; ++k) in.x.v[k] = add_rn(in.x.v[k], mul_rn(scalar, in.y.v[k]));
        reinterpret_cast<P*>(a)[i] = in.x;
      },
      [&](std::size_t e) { a[e] = add_rn(b[e], mul_rn(scalar, c[e])); });
}

// The block's sum of `value` (valid in thread 0): shuffles within each warp, then the first warp sums the
// warps' results. Every thread of the block must call it.
__device__ double block_sum(double value) {
  constexpr int warps = block_threads / 32;
  __shared__ double warp_sums[warps];
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) value += __shfl_down_sync(0xffffffffu, value, offset);
  const int lane = static_cast<int>(threadIdx.x % 32), warp = static_cast<int>(threadIdx.x / 32);
  if (lane == 0) warp_sums[warp] = value;
  __syncthreads();
  if (warp == 0) {
    value = lane < warps ? warp_sums[lane] : 0.0;
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) value += __shfl_down_sync(0xffffffffu, value, offset);
  }
  return value;
}

// Stage 1: each thread sums its products in double (each product rounded in T first, as the replay and the
// CPU backend do: an fp32 running sum over millions of terms would stagnate), each block writes one partial.
template <class T, int width>
__global__ void __launch_bounds__(block_threads)
    dot_partials_kernel(const T* __restrict__ a, const T* __restrict__ b, std::size_t n,
                        double* __restrict__ partials) {
  using P = pack<T, width>;
  double sum = 0;
  for_each_pack<width>(
      n,
      [&](std::size_t i) {
        return pack_pair<P>{reinterpret_cast<const P*>(a)[i], reinterpret_cast<const P*>(b)[i]};
      },
      [&](std::size_t, const pack_pair<P>& in) {
#pragma unroll
        for (int k = 0; k < width; ++k) sum += static_cast<double>(mul_rn(in.x.v[k], in.y.v[k]));
      },
      [&](std::size_t e) { sum += static_cast<double>(mul_rn(a[e], b[e])); });
  sum = block_sum(sum);
  if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

// Stage 2: one block sums the `count` partials, always in the same order (the result is reproducible).
__global__ void __launch_bounds__(block_threads)
    dot_final_kernel(const double* __restrict__ partials, int count, double* __restrict__ result) {
  double sum = 0;
  for (int i = static_cast<int>(threadIdx.x); i < count; i += block_threads) sum += partials[i];
  sum = block_sum(sum);
  if (threadIdx.x == 0) *result = sum;
}

template <class T, int width_>
struct config {
  using type = T;
  static constexpr int width = width_;
};

// Calls launch(config<T, width>{}) for the arrays' element type and access width.
template <class Launch>
cudaError_t dispatch(element_type type, int width, Launch launch) {
  if (type == element_type::fp64)
    return width == 2 ? launch(config<double, 2>{}) : launch(config<double, 1>{});
  return width == 4 ? launch(config<float, 4>{}) : launch(config<float, 1>{});
}

bool aligned(const void* pointer) {
  return reinterpret_cast<std::uintptr_t>(pointer) % vector_bytes == 0;
}

int element_bytes(element_type type) {
  return type == element_type::fp64 ? 8 : 4;
}

}  // namespace

int vector_width(element_type type, const void* a, const void* b, const void* c) {
  return aligned(a) && aligned(b) && aligned(c) ? vector_bytes / element_bytes(type) : 1;
}

cudaError_t blocks_per_multiprocessor(element_type type, int* blocks) {
  const int width = vector_bytes / element_bytes(type);
  return dispatch(type, width, [&](auto cfg) {
    using T = typename decltype(cfg)::type;
    constexpr int w = decltype(cfg)::width;
    const void* kernels[] = {reinterpret_cast<const void*>(init_kernel<T, w>),
                             reinterpret_cast<const void*>(copy_kernel<T, w>),
                             reinterpret_cast<const void*>(scale_kernel<T, w>),
                             reinterpret_cast<const void*>(add_kernel<T, w>),
                             reinterpret_cast<const void*>(triad_kernel<T, w>),
                             reinterpret_cast<const void*>(dot_partials_kernel<T, w>)};
    int lowest = 0;
    for (const void* kernel : kernels) {
      int resident = 0;
      const cudaError_t status =
          cudaOccupancyMaxActiveBlocksPerMultiprocessor(&resident, kernel, block_threads, 0);
      if (status != cudaSuccess) return status;
      if (lowest == 0 || resident < lowest) lowest = resident;
    }
    *blocks = lowest;
    return cudaSuccess;
  });
}

cudaError_t launch_init(element_type type, void* a, void* b, void* c, std::size_t n, double a0, double b0,
                        double c0, const launch_shape& shape) {
  return dispatch(type, vector_width(type, a, b, c), [&](auto cfg) {
    using T = typename decltype(cfg)::type;
    init_kernel<T, decltype(cfg)::width><<<shape.blocks, block_threads, 0, shape.stream>>>(
        static_cast<T*>(a), static_cast<T*>(b), static_cast<T*>(c), n, static_cast<T>(a0), static_cast<T>(b0),
        static_cast<T>(c0));
    return cudaGetLastError();
  });
}

cudaError_t launch_copy(element_type type, const void* a, void* c, std::size_t n, const launch_shape& shape) {
  return dispatch(type, vector_width(type, a, c, c), [&](auto cfg) {
    using T = typename decltype(cfg)::type;
    copy_kernel<T, decltype(cfg)::width>
        <<<shape.blocks, block_threads, 0, shape.stream>>>(static_cast<const T*>(a), static_cast<T*>(c), n);
    return cudaGetLastError();
  });
}

cudaError_t launch_scale(element_type type, void* b, const void* c, double scalar, std::size_t n,
                         const launch_shape& shape) {
  return dispatch(type, vector_width(type, b, c, c), [&](auto cfg) {
    using T = typename decltype(cfg)::type;
    scale_kernel<T, decltype(cfg)::width><<<shape.blocks, block_threads, 0, shape.stream>>>(
        static_cast<T*>(b), static_cast<const T*>(c), static_cast<T>(scalar), n);
    return cudaGetLastError();
  });
}

cudaError_t launch_add(element_type type, const void* a, const void* b, void* c, std::size_t n,
                       const launch_shape& shape) {
  return dispatch(type, vector_width(type, a, b, c), [&](auto cfg) {
    using T = typename decltype(cfg)::type;
    add_kernel<T, decltype(cfg)::width><<<shape.blocks, block_threads, 0, shape.stream>>>(
        static_cast<const T*>(a), static_cast<const T*>(b), static_cast<T*>(c), n);
    return cudaGetLastError();
  });
}

cudaError_t launch_triad(element_type type, void* a, const void* b, const void* c, double scalar,
                         std::size_t n, const launch_shape& shape) {
  return dispatch(type, vector_width(type, a, b, c), [&](auto cfg) {
    using T = typename decltype(cfg)::type;
    triad_kernel<T, decltype(cfg)::width><<<shape.blocks, block_threads, 0, shape.stream>>>(
        static_cast<T*>(a), static_cast<const T*>(b), static_cast<const T*>(c), static_cast<T>(scalar), n);
    return cudaGetLastError();
  });
}

cudaError_t launch_dot(element_type type, const void* a, const void* b, std::size_t n, double* partials,
                       double* result, const launch_shape& shape) {
  const cudaError_t status = dispatch(type, vector_width(type, a, b, b), [&](auto cfg) {
    using T = typename decltype(cfg)::type;
    dot_partials_kernel<T, decltype(cfg)::width><<<shape.blocks, block_threads, 0, shape.stream>>>(
        static_cast<const T*>(a), static_cast<const T*>(b), n, partials);
    return cudaGetLastError();
  });
  if (status != cudaSuccess) return status;
  dot_final_kernel<<<1, block_threads, 0, shape.stream>>>(partials, shape.blocks, result);
  return cudaGetLastError();
}

}  // namespace exacheck::cuda::stream_kernels
