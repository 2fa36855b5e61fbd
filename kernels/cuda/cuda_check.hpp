#pragma once
// EXACHECK_CUDA / EXACHECK_CUBLAS / EXACHECK_NCCL: a failing call throws a typed error carrying the call's
// text, file:line, host and MPI rank (DESIGN.md "Conventions"). Catch per case, record the outcome, continue.
#include <cublasLt.h>
#include <cuda_runtime.h>
#include <fmt/core.h>
#include <mpi.h>
#include <nccl.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace exacheck::cuda {

class device_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline std::string where_am_i() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  int initialized = 0, finalized = 0, rank = -1;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank >= 0 ? fmt::format("{} rank {}", host, rank) : std::string(host);
}

[[noreturn]] inline void throw_device_error(const char* library, const char* call, const std::string& error,
                                            const char* file, int line) {
  throw device_error(fmt::format("{} call failed on {}: {} returned {} ({}:{})", library, where_am_i(), call,
                                 error, file, line));
}

}  // namespace exacheck::cuda

#define EXACHECK_CUDA(call)                                                                               \
  do {                                                                                                    \
    const cudaError_t exacheck_status_ = (call);                                                          \
    if (exacheck_status_ != cudaSuccess)                                                                  \
      ::exacheck::cuda::throw_device_error("CUDA", #call, cudaGetErrorString(exacheck_status_), __FILE__, \
                                           __LINE__);                                                     \
  } while (0)

#define EXACHECK_CUBLAS(call)                                                                       \
  do {                                                                                              \
    const cublasStatus_t exacheck_status_ = (call);                                                 \
    if (exacheck_status_ != CUBLAS_STATUS_SUCCESS)                                                  \
      ::exacheck::cuda::throw_device_error(                                                         \
          "cuBLAS", #call, std::to_string(static_cast<int>(exacheck_status_)), __FILE__, __LINE__); \
  } while (0)

#define EXACHECK_NCCL(call)                                                                               \
  do {                                                                                                    \
    const ncclResult_t exacheck_status_ = (call);                                                         \
    if (exacheck_status_ != ncclSuccess)                                                                  \
      ::exacheck::cuda::throw_device_error("NCCL", #call, ncclGetErrorString(exacheck_status_), __FILE__, \
                                           __LINE__);                                                     \
  } while (0)
