#pragma once
// Owners (std::unique_ptr with a deleter) of the CUDA and cuBLASLt objects the gemm backend holds. Deleters
// never throw: they run in destructors, after every call has synchronised its stream.
#include <cublasLt.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <type_traits>

#include "kernels/cuda/cuda_check.hpp"

namespace exacheck::cuda {

struct device_free {
  void operator()(void* pointer) const noexcept { cudaFree(pointer); }
};
struct stream_destroy {
  void operator()(cudaStream_t stream) const noexcept { cudaStreamDestroy(stream); }
};
struct event_destroy {
  void operator()(cudaEvent_t event) const noexcept { cudaEventDestroy(event); }
};
struct cublaslt_handle_destroy {
  void operator()(cublasLtHandle_t handle) const noexcept { cublasLtDestroy(handle); }
};
struct matmul_desc_destroy {
  void operator()(cublasLtMatmulDesc_t desc) const noexcept { cublasLtMatmulDescDestroy(desc); }
};
struct layout_destroy {
  void operator()(cublasLtMatrixLayout_t layout) const noexcept { cublasLtMatrixLayoutDestroy(layout); }
};
struct preference_destroy {
  void operator()(cublasLtMatmulPreference_t preference) const noexcept {
    cublasLtMatmulPreferenceDestroy(preference);
  }
};

using device_buffer = std::unique_ptr<void, device_free>;
using owned_stream = std::unique_ptr<std::remove_pointer_t<cudaStream_t>, stream_destroy>;
using owned_event = std::unique_ptr<std::remove_pointer_t<cudaEvent_t>, event_destroy>;
using owned_cublaslt = std::unique_ptr<std::remove_pointer_t<cublasLtHandle_t>, cublaslt_handle_destroy>;
using owned_matmul_desc = std::unique_ptr<std::remove_pointer_t<cublasLtMatmulDesc_t>, matmul_desc_destroy>;
using owned_layout = std::unique_ptr<std::remove_pointer_t<cublasLtMatrixLayout_t>, layout_destroy>;
using owned_preference =
    std::unique_ptr<std::remove_pointer_t<cublasLtMatmulPreference_t>, preference_destroy>;

inline device_buffer allocate_device(std::size_t bytes) {
  void* pointer = nullptr;
  EXACHECK_CUDA(cudaMalloc(&pointer, std::max<std::size_t>(bytes, 1)));
  return device_buffer(pointer);
}

inline owned_event create_event() {
  cudaEvent_t event = nullptr;
  EXACHECK_CUDA(cudaEventCreate(&event));  // with timing: these events bracket timed work
  return owned_event(event);
}

}  // namespace exacheck::cuda
