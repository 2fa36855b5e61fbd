#include "kernels/cuda/register_cuda_backends.hpp"

#include <memory>

#include "harness/core/backends.hpp"
#include "harness/node/gpu_runtime.hpp"
#include "kernels/cuda/cuda_backends.hpp"

namespace exacheck {
namespace {

// The CUDA runtime behind core's GPU questions (cuda_runtime.cpp).
class cuda_gpu_runtime final : public gpu_runtime {
 public:
  bool built() const override { return true; }
  int device_count(std::string* why_not) const override { return cuda::device_count(why_not); }
  void select_device(int index) const override { cuda::select_device(index); }
  nlohmann::json device_properties(int index) const override { return cuda::device_properties(index); }
  nlohmann::json library_versions() const override { return cuda::library_versions(); }
};

}  // namespace

void register_cuda_backends() {
  install_gpu_runtime(std::make_unique<cuda_gpu_runtime>());
  add_backend<gemm::gemm_backend>("cuda", cuda::make_gemm_backend);
  add_backend<collectives::collective_backend>("cuda", cuda::make_collective_backend);
  add_backend<membw::stream_backend>("cuda", cuda::make_stream_backend);
  add_backend<membw::copy_backend>("cuda", cuda::make_copy_backend);
  add_backend<flops::flops_backend>("cuda", cuda::make_flops_backend);
}

}  // namespace exacheck
