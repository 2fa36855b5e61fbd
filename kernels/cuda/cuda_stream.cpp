// Placeholder until the CUDA membw backend lands in this file.
#include <stdexcept>

#include "kernels/cuda_backend.hpp"

namespace exacheck::cuda {
std::unique_ptr<membw::stream_backend> make_stream_backend(const run_context&) {
  throw std::runtime_error("backend 'cuda' has no membw kernels yet in this build");
}
}  // namespace exacheck::cuda
