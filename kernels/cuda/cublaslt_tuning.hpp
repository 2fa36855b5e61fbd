#pragma once
// Device timing and algorithm choice of the cuBLASLt gemm backend (cublaslt_gemm.cpp): CUDA events around
// back-to-back cublasLtMatmul calls on one stream, and the autotuner that times cuBLASLt's top heuristic
// candidates that way and keeps the fastest.
#include <cublasLt.h>
#include <cuda_runtime.h>

#include <functional>
#include <string>
#include <vector>

#include "kernels/cuda/cublaslt_owners.hpp"

namespace exacheck::cuda {

// One cublasLtMatmul of a prepared problem with `algo`, enqueued on the timer's stream and not waited for;
// returns cuBLASLt's status.
using matmul_function = std::function<cublasStatus_t(const cublasLtMatmulAlgo_t& algo)>;

class event_timer {
 public:
  explicit event_timer(cudaStream_t stream);
  // Device seconds of `calls` back-to-back calls: an event recorded before the first call and one after the
  // last, both on the stream, waited for. Throws device_error naming the failing call.
  double time(const matmul_function& call, const cublasLtMatmulAlgo_t& algo, int calls);

 private:
  cudaStream_t m_stream;
  owned_event m_start, m_stop;
};

// The algorithm a problem runs with, and how it was chosen (for implementation()).
struct tuned_algorithm {
  cublasLtMatmulAlgo_t algo{};
  std::string description;  // "heuristic algorithm (id 66, tile 21, stages 35, split-K 1, cluster 2, ...)"
};

// Candidates the autotuner asks the heuristic for (fewer when it has fewer).
inline constexpr int k_autotune_candidates = 8;

// The heuristic's first choice, as it is.
tuned_algorithm heuristic_choice(const cublasLtMatmulHeuristicResult_t& result);

// Every candidate the heuristic returned runnable: one untimed call, then three samples of back-to-back calls
// (about 0.5 ms each) timed with events; the lowest median time per call wins. The description names the
// winner and every candidate's time in heuristic order, so a run records what was tried. Throws device_error
// when no candidate runs.
tuned_algorithm autotune(const std::vector<cublasLtMatmulHeuristicResult_t>& candidates,
                         const matmul_function& call, event_timer& timer);

// "id 66, tile 21, stages 35, split-K 1, cluster 2": the configuration cuBLASLt reports for `algo`.
std::string describe_algorithm(const cublasLtMatmulAlgo_t& algo);

}  // namespace exacheck::cuda
