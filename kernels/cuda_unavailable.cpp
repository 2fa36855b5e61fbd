// A build without nvcc: the CUDA backend answers that it is not there (kernels/cuda_backend.hpp).
#include <stdexcept>

#include "kernels/cuda/flops_types.hpp"
#include "kernels/cuda/gemm_types.hpp"
#include "kernels/cuda_backend.hpp"

namespace exacheck::cuda {
namespace {
[[noreturn]] void not_built(const char* what) {
  throw std::runtime_error(std::string("backend 'cuda' is not available for ") + what +
                           ": this exacheck was built without CUDA (rebuild where nvcc is found, or with "
                           "-DEXACHECK_CUDA=ON)");
}
}  // namespace

bool built() {
  return false;
}

int device_count(std::string* why_not) {
  if (why_not) *why_not = "this exacheck was built without CUDA";
  return 0;
}

void select_device(int) {
  not_built("device selection");
}
nlohmann::json device_properties(int) {
  return nlohmann::json::object();
}
nlohmann::json library_versions() {
  return nlohmann::json::object();
}
std::unique_ptr<gemm::gemm_backend> make_gemm_backend(const run_context&) {
  not_built("gemm");
}
std::unique_ptr<membw::stream_backend> make_stream_backend(const run_context&) {
  not_built("membw");
}
std::unique_ptr<collectives::collective_backend> make_collective_backend(const run_context&) {
  not_built("collectives");
}
std::unique_ptr<membw::copy_backend> make_copy_backend(const run_context&) {
  not_built("copybw");
}

std::unique_ptr<flops::flops_backend> make_flops_backend(const run_context&) {
  not_built("flops");
}

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
