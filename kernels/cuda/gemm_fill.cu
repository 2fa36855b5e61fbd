#include "kernels/cuda/gemm_fill.cuh"

namespace exacheck::cuda::gemm_fill {
namespace {

constexpr int k_block_threads = 256;

// One element per thread and step, the grid striding over the matrix. Hashing (four 64-bit mixes per element)
// dominates, not the stores, so wider stores would buy nothing.
__global__ void fill_kernel(input_format format, std::uint64_t key, std::uint64_t elements,
                            unsigned char* out) {
  const std::size_t bytes = input_bytes(format);
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t index = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       index < elements; index += stride)
    store_input(format, gemm::normal_input(key, index), out + index * bytes);
}

}  // namespace

cudaError_t fill_gemm_input(input_format format, std::uint64_t key, std::uint64_t elements, void* out,
                            cudaStream_t stream) {
  if (elements == 0) return cudaSuccess;
  int device = 0, multiprocessors = 0;
  if (const cudaError_t error = cudaGetDevice(&device); error != cudaSuccess) return error;
  if (const cudaError_t error =
          cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device);
      error != cudaSuccess)
    return error;
  // Eight blocks of 256 threads per SM fill every SM's 2048 thread slots; more blocks only add scheduling.
  const std::uint64_t needed = (elements + k_block_threads - 1) / k_block_threads;
  const auto blocks = static_cast<unsigned>(
      needed < std::uint64_t(multiprocessors) * 8 ? needed : std::uint64_t(multiprocessors) * 8);
  fill_kernel<<<blocks, k_block_threads, 0, stream>>>(format, key, elements,
                                                      static_cast<unsigned char*>(out));
  return cudaGetLastError();
}

}  // namespace exacheck::cuda::gemm_fill
