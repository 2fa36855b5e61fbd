#pragma once
// The CUDA backend as the rest of exacheck sees it. Every build has these functions: a build with CUDA
// implements them in kernels/cuda/, a build without in kernels/cuda_unavailable.cpp (they say so, never
// crash). Suites reach their CUDA kernels only through the make_* factories below.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/core/suite.hpp"
#include "suites/collectives/collective_backend.hpp"
#include "suites/flops/flops_backend.hpp"
#include "suites/gemm/gemm_backend.hpp"
#include "suites/copybw/copy_backend.hpp"
#include "suites/membw/stream_backend.hpp"

namespace exacheck::cuda {

// True when this binary was built with the CUDA backend.
bool built();

// CUDA devices this process can use (honours CUDA_VISIBLE_DEVICES); 0 with the reason when there are none,
// no driver, or no CUDA in this build.
int device_count(std::string* why_not = nullptr);

// Makes `index` the current device of this process (cudaSetDevice); throws naming the device and the error.
void select_device(int index);

// What the CUDA runtime says of a device: name, PCI bus id, UUID, compute capability, memory, SMs, L2 size.
nlohmann::json device_properties(int index);

// Library versions for provenance: CUDA runtime and driver, cuBLAS(Lt), NCCL ({} without CUDA).
nlohmann::json library_versions();

// The CUDA kernels behind each suite's interface. They throw std::runtime_error when the build has no CUDA.
std::unique_ptr<gemm::gemm_backend> make_gemm_backend(const run_context& ctx);
std::unique_ptr<membw::stream_backend> make_stream_backend(const run_context& ctx);
std::unique_ptr<collectives::collective_backend> make_collective_backend(const run_context& ctx);
std::unique_ptr<membw::copy_backend> make_copy_backend(const run_context& ctx);
std::unique_ptr<flops::flops_backend> make_flops_backend(const run_context& ctx);

}  // namespace exacheck::cuda
