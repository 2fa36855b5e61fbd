#pragma once
// Owners of CUDA runtime objects for the NCCL collectives (kernels/cuda/nccl_collectives.cpp): device memory,
// a stream, timing events, an instantiated graph, and a stream capture that always ends. Deleters never
// throw (they run in destructors); creation goes through EXACHECK_CUDA.
#include <cuda_runtime.h>

#include <memory>
#include <type_traits>

#include "kernels/cuda/cuda_check.hpp"

// A namespace of their own: other kernels/cuda files keep private owners of the same names.
namespace exacheck::cuda::owners {

struct device_free {
  void operator()(void* pointer) const noexcept { cudaFree(pointer); }  // no throwing from a destructor
};
struct stream_destroy {
  void operator()(cudaStream_t stream) const noexcept { cudaStreamDestroy(stream); }
};
struct event_destroy {
  void operator()(cudaEvent_t event) const noexcept { cudaEventDestroy(event); }
};
struct graph_exec_destroy {
  void operator()(cudaGraphExec_t graph) const noexcept { cudaGraphExecDestroy(graph); }
};
using device_buffer = std::unique_ptr<void, device_free>;
using owned_stream = std::unique_ptr<std::remove_pointer_t<cudaStream_t>, stream_destroy>;
using owned_event = std::unique_ptr<std::remove_pointer_t<cudaEvent_t>, event_destroy>;
using owned_graph_exec = std::unique_ptr<std::remove_pointer_t<cudaGraphExec_t>, graph_exec_destroy>;

inline owned_event make_timing_event() {
  cudaEvent_t event = nullptr;
  EXACHECK_CUDA(cudaEventCreate(&event));
  return owned_event(event);
}

// Stream capture that always ends: if an enqueue throws mid-capture, the capture is ended and its partial
// graph dropped, so the stream stays usable for the error path.
class stream_capture {
 public:
  explicit stream_capture(cudaStream_t stream) : m_stream(stream) {
    // Thread-local mode, as nccl-tests: NCCL may allocate (cudaMalloc) while it connects peers during
    // capture.
    EXACHECK_CUDA(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  }
  ~stream_capture() {
    if (!m_open) return;
    cudaGraph_t partial = nullptr;
    if (cudaStreamEndCapture(m_stream, &partial) == cudaSuccess && partial) cudaGraphDestroy(partial);
  }
  // One owner ends the capture once.
  stream_capture(const stream_capture&) = delete;
  stream_capture& operator=(const stream_capture&) = delete;
  owned_graph_exec end_and_instantiate() {
    m_open = false;
    cudaGraph_t graph = nullptr;
    EXACHECK_CUDA(cudaStreamEndCapture(m_stream, &graph));
    cudaGraphExec_t exec = nullptr;
    const cudaError_t status = cudaGraphInstantiateWithFlags(&exec, graph, 0);
    cudaGraphDestroy(graph);
    EXACHECK_CUDA(status);
    return owned_graph_exec(exec);
  }

 private:
  cudaStream_t m_stream;
  bool m_open = true;
};

}  // namespace exacheck::cuda::owners
