#include "harness/node/gpu_runtime.hpp"

#include <fmt/core.h>

#include <stdexcept>
#include <utility>

#include "harness/core/errors.hpp"

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

std::string resolve_backend(const std::string& requested) {
  if (requested == "cpu") return "cpu";
  if (requested != "auto" && requested != "cuda")
    throw usage_error(fmt::format("unknown backend '{}'; expected auto, cpu or cuda", requested));
  const gpu_runtime& runtime = gpus();
  std::string why_no_gpu;
  const bool gpu_here = runtime.built() && runtime.device_count(&why_no_gpu) > 0;
  if (requested == "auto") return gpu_here ? "cuda" : "cpu";
  if (!runtime.built())
    throw usage_error(
        "backend 'cuda' was requested, but this exacheck was built without CUDA (rebuild where nvcc is "
        "found, or "
        "with -DEXACHECK_CUDA=ON); use --backend cpu or auto");
  if (!gpu_here)
    throw usage_error(
        fmt::format("backend 'cuda' was requested, but no GPU is usable here ({}); use --backend cpu "
                    "or auto",
                    why_no_gpu));
  return "cuda";
}

}  // namespace exacheck
