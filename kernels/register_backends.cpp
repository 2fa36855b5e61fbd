#include "kernels/register_backends.hpp"

#include "exacheck_version.hpp"  // built_with_cuda
#include "kernels/cpu/register_cpu_backends.hpp"
#include "kernels/cuda/register_cuda_backends.hpp"

namespace exacheck {

void register_backends() {
  static const bool registered = [] {
    register_cpu_backends();
    // Discarded in a build without CUDA, where kernels/cuda is not compiled: nothing refers to it then.
    if constexpr (built_with_cuda) register_cuda_backends();
    return true;
  }();
  (void)registered;
}

}  // namespace exacheck
