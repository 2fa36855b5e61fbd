#pragma once
// The GPUs as the harness sees them: how many this process can use, binding a rank to one, what each is, and
// the GPU libraries' versions. A build with CUDA installs its runtime here (register_cuda_backends in
// kernels/cuda); a build without answers with the default, which has no device and says why, never crashes.
// The worker, its GPU watch, `exacheck info` and the controller's GPU preflight ask through this, never
// through a kernel folder.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace exacheck {

class gpu_runtime {
 public:
  virtual ~gpu_runtime() = default;
  // True when this binary was built with a GPU backend (CUDA).
  virtual bool built() const = 0;
  // GPUs this process can use (honours CUDA_VISIBLE_DEVICES); 0 with the reason when there are none, no
  // driver, or no CUDA in this build.
  virtual int device_count(std::string* why_not = nullptr) const = 0;
  // Makes `index` the current device of this process; throws naming the device and the error.
  virtual void select_device(int index) const = 0;
  // What the runtime says of a device: name, PCI bus id, UUID, compute capability, memory, SMs, L2 size.
  virtual nlohmann::json device_properties(int index) const = 0;
  // Library versions for provenance: CUDA runtime and driver, cuBLAS(Lt), NCCL ({} without CUDA).
  virtual nlohmann::json library_versions() const = 0;
};

// The installed runtime, or the "no CUDA in this build" one.
const gpu_runtime& gpus();
// Installs `runtime` (register_cuda_backends does; nullptr: back to the default) and returns the one it
// replaces (nullptr for the default), so that a test that installs a pretend GPU can put it back.
std::unique_ptr<gpu_runtime> install_gpu_runtime(std::unique_ptr<gpu_runtime> runtime);

// The backend a case runs on here: "auto" → "cuda" when this build has CUDA and a GPU is visible, else "cpu".
// Throws usage_error for a backend this build or machine cannot run: the controller asks before launching
// anything, the worker again on its node.
std::string resolve_backend(const std::string& requested);

}  // namespace exacheck
