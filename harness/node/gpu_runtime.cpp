#include "harness/core/gpu_runtime.hpp"

#include <stdexcept>
#include <utility>

namespace exacheck {
namespace {

// A build without nvcc: no device, and every answer says why.
class no_gpu_runtime final : public gpu_runtime {
 public:
  bool built() const override { return false; }
  int device_count(std::string* why_not) const override {
    if (why_not) *why_not = "this exacheck was built without CUDA";
    return 0;
  }
  void select_device(int) const override {
    throw std::runtime_error(
        "backend 'cuda' is not available for device selection: this exacheck was built without CUDA "
        "(rebuild where nvcc is found, or with -DEXACHECK_CUDA=ON)");
  }
  nlohmann::json device_properties(int) const override { return nlohmann::json::object(); }
  nlohmann::json library_versions() const override { return nlohmann::json::object(); }
};

std::unique_ptr<gpu_runtime>& installed() {
  static std::unique_ptr<gpu_runtime> runtime;
  return runtime;
}

}  // namespace

const gpu_runtime& gpus() {
  static const no_gpu_runtime none;
  const auto& runtime = installed();
  return runtime ? *runtime : static_cast<const gpu_runtime&>(none);
}

std::unique_ptr<gpu_runtime> install_gpu_runtime(std::unique_ptr<gpu_runtime> runtime) {
  return std::exchange(installed(), std::move(runtime));
}

}  // namespace exacheck
