// A build without nvcc has no kernels/cuda: the CUDA backend's test hooks, which the GPU tests call (and skip
// without a GPU) in every build, answer that it is not there. Linked into the tests alone
// (tests/CMakeLists.txt): exacheck itself has nothing of CUDA in such a build — the backend table has no
// "cuda" entries and the GPU runtime (harness/node/gpu_runtime.hpp) says "built without CUDA".
#include <stdexcept>
#include <string>

#include "kernels/cuda/flops_types.hpp"
#include "kernels/cuda/gemm_types.hpp"
#include "suites/flops/flops_backend.hpp"
#include "suites/gemm/gemm_backend.hpp"

namespace exacheck::cuda {
namespace {
[[noreturn]] void not_built(const char* what) {
  throw std::runtime_error(std::string("backend 'cuda' is not available for ") + what +
                           ": this exacheck was built without CUDA (rebuild where nvcc is found, or with "
                           "-DEXACHECK_CUDA=ON)");
}
}  // namespace

std::unique_ptr<flops::flops_backend> make_flops_backend_for_testing(bool) {
  not_built("flops");
}
void corrupt_flops_result_for_testing(flops::flops_backend&, std::size_t, double) {
  not_built("flops test hooks");
}

void corrupt_gemm_output_for_testing(gemm::gemm_backend&, std::int64_t, std::int64_t, double) {
  not_built("gemm test hooks");
}

gemm_input_images gemm_inputs_for_testing(gemm::gemm_backend&, bool) {
  not_built("gemm test hooks");
}

}  // namespace exacheck::cuda
