// Device queries and selection through the CUDA runtime (kernels/cuda/cuda_backends.hpp).
#include <cublasLt.h>
#include <cuda_runtime.h>
#include <fmt/core.h>
#include <nccl.h>

#include <stdexcept>

#include "kernels/cuda/cuda_backends.hpp"
#include "kernels/cuda/cuda_check.hpp"

namespace exacheck::cuda {

int device_count(std::string* why_not) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    // No driver, no device, or CUDA_VISIBLE_DEVICES hides them all: not an error of exacheck's.
    if (why_not) *why_not = fmt::format("cudaGetDeviceCount: {}", cudaGetErrorString(status));
    cudaGetLastError();  // clear the sticky-free error so later calls start clean
    return 0;
  }
  if (count == 0 && why_not) *why_not = "the CUDA runtime sees no device";
  return count;
}

void select_device(int index) {
  EXACHECK_CUDA(cudaSetDevice(index));
}

nlohmann::json device_properties(int index) {
  cudaDeviceProp p{};
  EXACHECK_CUDA(cudaGetDeviceProperties(&p, index));
  char bus_id[32] = {};
  EXACHECK_CUDA(cudaDeviceGetPCIBusId(bus_id, sizeof bus_id, index));
  std::string uuid = "GPU-";
  for (int i = 0; i < 16; ++i) {
    uuid += fmt::format("{:02x}", static_cast<unsigned char>(p.uuid.bytes[i]));
    if (i == 3 || i == 5 || i == 7 || i == 9) uuid += '-';
  }
  return {{"kind", "gpu"},
          {"index", index},
          {"name", p.name},
          {"uuid", uuid},
          {"pci_bus_id", bus_id},
          {"compute_capability", fmt::format("{}.{}", p.major, p.minor)},
          {"memory_bytes", p.totalGlobalMem},
          {"multiprocessors", p.multiProcessorCount},
          {"l2_cache_bytes", p.l2CacheSize}};
}

nlohmann::json library_versions() {
  int runtime = 0, driver = 0, nccl = 0;
  cudaRuntimeGetVersion(&runtime);
  cudaDriverGetVersion(&driver);
  ncclGetVersion(&nccl);
  const auto cuda_version = [](int v) { return fmt::format("{}.{}", v / 1000, v % 1000 / 10); };
  const std::size_t cublaslt = cublasLtGetVersion();
  return {{"cuda_runtime", cuda_version(runtime)},
          {"cuda_driver", driver ? cuda_version(driver) : "none"},
          {"cublaslt", fmt::format("{}.{}.{}", cublaslt / 10000, cublaslt / 100 % 100, cublaslt % 100)},
          {"nccl", fmt::format("{}.{}.{}", nccl / 10000, nccl / 100 % 100, nccl % 100)}};
}

}  // namespace exacheck::cuda
