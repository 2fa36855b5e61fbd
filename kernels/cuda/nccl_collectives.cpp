// Placeholder until the CUDA collectives backend lands in this file.
#include <stdexcept>

#include "kernels/cuda_backend.hpp"

namespace exacheck::cuda {
std::unique_ptr<collectives::collective_backend> make_collective_backend(const run_context&) {
  throw std::runtime_error("backend 'cuda' has no collectives kernels yet in this build");
}
}  // namespace exacheck::cuda
