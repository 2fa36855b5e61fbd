#include "kernels/cuda/cublaslt_tuning.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/gemm_types.hpp"

namespace exacheck::cuda {
namespace {

// Device work per autotuning sample and before the first candidate: long enough for the events' resolution,
// short enough that eight candidates cost well under a second at any size. The warm-up brings the clocks up
// from idle, so the first candidate is not timed on a cold GPU.
constexpr double k_tune_sample_s = 0.5e-3;
constexpr double k_tune_warmup_s = 20e-3;
constexpr int k_tune_samples = 3;

template <class T>
T algo_config(const cublasLtMatmulAlgo_t& algo, cublasLtMatmulAlgoConfigAttributes_t attribute) {
  T value{};
  std::size_t written = 0;
  EXACHECK_CUBLAS(cublasLtMatmulAlgoConfigGetAttribute(&algo, attribute, &value, sizeof value, &written));
  return value;
}

void check_matmul(cublasStatus_t status) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw_device_error("cuBLAS", "cublasLtMatmul(...)", cublasLtGetStatusName(status), __FILE__, __LINE__);
}

std::string format_time(double seconds) {
  return seconds >= 1e-3 ? fmt::format("{:.4g} ms", seconds * 1e3) : fmt::format("{:.4g} us", seconds * 1e6);
}

}  // namespace

event_timer::event_timer(cudaStream_t stream)
    : m_stream(stream), m_start(create_event()), m_stop(create_event()) {}

double event_timer::time(const matmul_function& call, const cublasLtMatmulAlgo_t& algo, int calls) {
  EXACHECK_CUDA(cudaEventRecord(m_start.get(), m_stream));
  for (int i = 0; i < calls; ++i) check_matmul(call(algo));
  EXACHECK_CUDA(cudaEventRecord(m_stop.get(), m_stream));
  EXACHECK_CUDA(cudaEventSynchronize(m_stop.get()));
  float milliseconds = 0;
  EXACHECK_CUDA(cudaEventElapsedTime(&milliseconds, m_start.get(), m_stop.get()));
  return static_cast<double>(milliseconds) * 1e-3;
}

std::string describe_algorithm(const cublasLtMatmulAlgo_t& algo) {
  return fmt::format("id {}, tile {}, stages {}, split-K {}, cluster {}",
                     algo_config<std::int32_t>(algo, CUBLASLT_ALGO_CONFIG_ID),
                     algo_config<std::uint32_t>(algo, CUBLASLT_ALGO_CONFIG_TILE_ID),
                     algo_config<std::uint32_t>(algo, CUBLASLT_ALGO_CONFIG_STAGES_ID),
                     algo_config<std::int32_t>(algo, CUBLASLT_ALGO_CONFIG_SPLITK_NUM),
                     algo_config<std::uint16_t>(algo, CUBLASLT_ALGO_CONFIG_CLUSTER_SHAPE_ID));
}

tuned_algorithm heuristic_choice(const cublasLtMatmulHeuristicResult_t& result) {
  return {result.algo, fmt::format("heuristic algorithm ({}; workspace {} B)",
                                   describe_algorithm(result.algo), result.workspaceSize)};
}

tuned_algorithm autotune(const std::vector<cublasLtMatmulHeuristicResult_t>& candidates,
                         const matmul_function& call, event_timer& timer) {
  std::vector<std::string> tried;
  std::size_t best = candidates.size();
  double best_s = std::numeric_limits<double>::infinity();
  bool warmed = false;
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    const cublasLtMatmulAlgo_t& algo = candidates[c].algo;
    // A candidate cuBLASLt itself marks unusable, or that fails to launch, is listed and passed over.
    const cublasStatus_t state =
        candidates[c].state != CUBLAS_STATUS_SUCCESS ? candidates[c].state : call(algo);
    if (state != CUBLAS_STATUS_SUCCESS) {
      tried.push_back(fmt::format("#{} not runnable ({})", c + 1, cublasLtGetStatusName(state)));
      continue;
    }
    const double one_call_s = timer.time(call, algo, 1);
    if (!warmed) {
      timer.time(call, algo, gemm_types::calls_per_sample(one_call_s, k_tune_warmup_s));
      warmed = true;
    }
    const int calls = gemm_types::calls_per_sample(one_call_s, k_tune_sample_s);
    std::vector<double> samples;
    for (int s = 0; s < k_tune_samples; ++s) samples.push_back(timer.time(call, algo, calls) / calls);
    std::sort(samples.begin(), samples.end());
    const double median_s = samples[samples.size() / 2];
    tried.push_back(fmt::format("#{} {}", c + 1, format_time(median_s)));
    if (median_s < best_s) {
      best_s = median_s;
      best = c;
    }
  }
  if (best == candidates.size())
    throw device_error(fmt::format("cuBLASLt autotune: none of the {} heuristic candidates ran ({})",
                                   candidates.size(), fmt::join(tried, "; ")));
  const cublasLtMatmulAlgo_t& winner = candidates[best].algo;
  return {
      winner,
      fmt::format("autotuned algorithm: heuristic candidate #{} of {} ({}; workspace {} B) at {} per call, "
                  "fastest by CUDA-event median of {} samples; candidates in heuristic order: {}",
                  best + 1, candidates.size(), describe_algorithm(winner), candidates[best].workspaceSize,
                  format_time(best_s), k_tune_samples, fmt::join(tried, ", "))};
}

}  // namespace exacheck::cuda
