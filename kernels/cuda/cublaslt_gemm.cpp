// Placeholder until the CUDA gemm backend lands in this file.
#include <stdexcept>

#include "kernels/cuda_backend.hpp"

namespace exacheck::cuda {
std::unique_ptr<gemm::gemm_backend> make_gemm_backend(const run_context&) {
  throw std::runtime_error("backend 'cuda' has no gemm kernels yet in this build");
}
}  // namespace exacheck::cuda
