#pragma once
// What kernels/cuda defines for the rest of the tree: the CUDA kernels behind each suite's interface and the
// CUDA runtime's device queries. register_cuda_backends() (register_cuda_backends.cpp) puts them in core's
// backend table and GPU runtime, which is how suites, the harness and the tests reach them: nothing outside
// kernels/ includes this file.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/core/suite.hpp"
#include "suites/collectives/collective_backend.hpp"
#include "suites/copybw/copy_backend.hpp"
#include "suites/flops/flops_backend.hpp"
#include "suites/gemm/gemm_backend.hpp"
#include "suites/membw/stream_backend.hpp"

namespace exacheck::cuda {

// CUDA devices this process can use (honours CUDA_VISIBLE_DEVICES); 0 with the reason when there are none or
// no driver.
int device_count(std::string* why_not = nullptr);

// Makes `index` the current device of this process (cudaSetDevice); throws naming the device and the error.
void select_device(int index);

// What the CUDA runtime says of a device: name, PCI bus id, UUID, compute capability, memory, SMs, L2 size.
nlohmann::json device_properties(int index);

// Library versions for provenance: CUDA runtime and driver, cuBLAS(Lt), NCCL.
nlohmann::json library_versions();

// The CUDA kernels behind each suite's interface.
std::unique_ptr<gemm::gemm_backend> make_gemm_backend(const run_context& ctx);
std::unique_ptr<membw::stream_backend> make_stream_backend(const run_context& ctx);
std::unique_ptr<collectives::collective_backend> make_collective_backend(const run_context& ctx);
std::unique_ptr<membw::copy_backend> make_copy_backend(const run_context& ctx);
std::unique_ptr<flops::flops_backend> make_flops_backend(const run_context& ctx);

}  // namespace exacheck::cuda
