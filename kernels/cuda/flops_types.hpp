#pragma once
// Host-side facts of the CUDA flops backend (kernels/cuda/cuda_flops.cpp): which kernel runs (dtype, engine)
// on which compute capability, its instruction, and the shape of its chains. Plain C++17 with no CUDA header,
// so that the kernels (nvcc, C++17), the backend (C++20) and unit tests in builds without CUDA share one
// table.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "harness/core/enum_names.hpp"

namespace exacheck::flops {
class flops_backend;
}

namespace exacheck::cuda::flops_types {

enum class kernel_id {
  fma_fp64,    // DFMA chains
  fma_fp32,    // FFMA chains
  fma_fp16x2,  // HFMA2 chains on half2
  fma_bf16x2,  // HFMA2.BF16 chains on bfloat162
  mma_fp64,    // DMMA: mma.sync m8n8k4 (sm_80), m16n8k16 (sm_90 and later)
  mma_tf32,    // mma.sync m16n8k8 / wgmma m64n256k8, fp32 accumulators
  mma_fp16,    // mma.sync m16n8k16 / wgmma m64n256k16, fp32 accumulators
  mma_bf16,    // mma.sync m16n8k16 / wgmma m64n256k16, fp32 accumulators
  mma_fp8,     // e4m3 × e4m3: mma.sync m16n8k32 (sm_89+) / wgmma m64n256k32, fp32 accumulators
  mma_int8,    // s8 × s8: mma.sync m16n8k32 / wgmma m64n256k32, int32 accumulators
};

// How tensor-core kernels are issued: per-warp mma.sync (sm_80 and later) or Hopper's warpgroup wgmma
// (sm_90a).
enum class tensor_path { none, mma_sync, wgmma };

// The instruction family a kernel's blocks ran, written by each block beside its clock (flops_kernels::
// block_clock) from code that exists only in the kernel of that family: what executed, not what the host
// meant to launch. 0 is what the host clears the slots to, so a block that wrote nothing reads as none.
enum class instruction_family : unsigned { none = 0, fma = 1, mma_sync = 2, wgmma = 3 };

// The names results record ("instruction" in a flops point's derived values).
inline constexpr std::array<enum_name<instruction_family>, 4> instruction_family_names{{
    {instruction_family::none, "none"},
    {instruction_family::fma, "fma"},
    {instruction_family::mma_sync, "mma.sync"},
    {instruction_family::wgmma, "wgmma"},
}};
inline std::string_view family_name(instruction_family family) {
  return name_of(instruction_family_names, family);
}

// Element type of the chains' start and final values in device memory.
enum class value_type { fp64, fp32, int32 };

// Launch geometry. CUDA cores: 1024 threads per SM (8 warps per scheduler) × 8 independent chains each cover
// DFMA's and FFMA's latency many times over; the step loop is unrolled 16× so that the loop's own three
// instructions take under 3% of the issue slots. mma.sync: 16 warps per SM × 4 accumulator tiles = 16
// independent MMAs per tensor core. wgmma: two warpgroups per SM, each with a 64×256 fp32 accumulator (128
// registers a thread), so one warpgroup issues while the other drains its group.
inline constexpr int fma_block_threads = 256;
inline constexpr int fma_blocks_per_sm = 4;
inline constexpr int fma_accumulators = 8;
inline constexpr int fma_unroll = 16;
inline constexpr int mma_block_threads = 256;
inline constexpr int mma_blocks_per_sm = 2;
inline constexpr int mma_tiles = 4;
inline constexpr int mma_pair_unroll = 4;  // (B, −B) step pairs per loop trip
inline constexpr int wgmma_block_threads = 128;
inline constexpr int wgmma_blocks_per_sm = 2;
inline constexpr int wgmma_n = 256;
inline constexpr int wgmma_registers = wgmma_n / 2;  // 64×256 accumulators over 128 threads
inline constexpr int wgmma_pair_unroll = 8;          // (B, −B) pairs per committed group

// What the loaded machine code of this binary can run on the current device (a probe kernel reports it: the
// driver picks one of the fatbinary's images per device, e.g. sm_90 or sm_90a on a Hopper GPU).
struct compiled_features {
  int wgmma = 0;    // the image was compiled for sm_90a: wgmma kernels are real
  int fp8_mma = 0;  // __CUDA_ARCH__ ≥ 890: e4m3 mma.sync exists
  int dmma_k = 0;   // K of the DMMA shape in the image: 4 (m8n8k4) or 16 (m16n8k16); 0 without DMMA
};

// The chains of one kernel, per thread: `accumulators` × `lanes` values, each summing `k` products (fma: 1)
// per step.
struct kernel_shape {
  int block_threads = 0;
  int blocks_per_sm = 0;
  int accumulators = 0;
  int lanes = 0;
  int k = 1;
  value_type values = value_type::fp32;
};

constexpr bool is_tensor(kernel_id id) {
  return id >= kernel_id::mma_fp64;
}

constexpr kernel_shape shape_of(kernel_id id, tensor_path path, int dmma_k) {
  switch (id) {
    case kernel_id::fma_fp64:
      return {fma_block_threads, fma_blocks_per_sm, fma_accumulators, 1, 1, value_type::fp64};
    case kernel_id::fma_fp32:
      return {fma_block_threads, fma_blocks_per_sm, fma_accumulators, 1, 1, value_type::fp32};
    case kernel_id::fma_fp16x2:
    case kernel_id::fma_bf16x2:
      return {fma_block_threads, fma_blocks_per_sm, fma_accumulators, 2, 1, value_type::fp32};
    case kernel_id::mma_fp64:  // m8n8k4: 2 accumulators a thread; m16n8k16: 4
      return {mma_block_threads, mma_blocks_per_sm, mma_tiles, dmma_k == 4 ? 2 : 4, dmma_k, value_type::fp64};
    default:
      break;
  }
  const int k = id == kernel_id::mma_tf32                                 ? 8
                : (id == kernel_id::mma_fp8 || id == kernel_id::mma_int8) ? 32
                                                                          : 16;
  const value_type values = id == kernel_id::mma_int8 ? value_type::int32 : value_type::fp32;
  if (path == tensor_path::wgmma)
    return {wgmma_block_threads, wgmma_blocks_per_sm, 1, wgmma_registers, k, values};
  return {mma_block_threads, mma_blocks_per_sm, mma_tiles, 4, k, values};
}

// The kernel for (dtype, engine), nullopt when there is none ("cuda_core" with tf32, say).
inline std::optional<kernel_id> kernel_for(std::string_view dtype, std::string_view engine) {
  if (engine == "cuda_core") {
    if (dtype == "fp64") return kernel_id::fma_fp64;
    if (dtype == "fp32") return kernel_id::fma_fp32;
    if (dtype == "fp16") return kernel_id::fma_fp16x2;
    if (dtype == "bf16") return kernel_id::fma_bf16x2;
  } else if (engine == "tensor_core") {
    if (dtype == "fp64") return kernel_id::mma_fp64;
    if (dtype == "tf32") return kernel_id::mma_tf32;
    if (dtype == "fp16") return kernel_id::mma_fp16;
    if (dtype == "bf16") return kernel_id::mma_bf16;
    if (dtype == "fp8_e4m3") return kernel_id::mma_fp8;
    if (dtype == "int8") return kernel_id::mma_int8;
  }
  return std::nullopt;
}

// "auto": CUDA cores for fp64 and fp32 (what their datasheet peaks are), tensor cores for the rest.
inline std::string resolve_engine(std::string_view dtype, std::string_view requested) {
  if (requested != "auto") return std::string(requested);
  return dtype == "fp64" || dtype == "fp32" ? "cuda_core" : "tensor_core";
}

// Why (dtype, engine) cannot run on a device of compute capability `capability` (major·10 + minor) whose
// loaded code has `features`; nullopt when it can. `device` names the device in the sentence.
inline std::optional<std::string> unsupported_reason(std::string_view dtype, std::string_view engine,
                                                     int capability, const compiled_features& features,
                                                     std::string_view device) {
  const std::string what = std::string(dtype) + " on " + std::string(engine);
  if (engine != "cuda_core" && engine != "tensor_core")
    return "engine " + std::string(engine) +
           " is not on the cuda backend (it runs cuda_core and tensor_core)";
  if (!kernel_for(dtype, engine)) {
    if (engine == "tensor_core" && dtype == "fp32")
      return "fp32 has no tensor-core path: tensor cores multiply fp32 data as tf32 (dtype tf32)";
    return std::string(dtype) + " has no CUDA-core kernel: it is a tensor-core format (engine tensor_core)";
  }
  if (capability < 80)
    return what + " needs compute capability 8.0 or newer (the kernels are built for sm_80 and later); " +
           std::string(device) + " has " + std::to_string(capability / 10) + "." +
           std::to_string(capability % 10);
  if (dtype == "fp8_e4m3" && engine == "tensor_core") {
    if (capability < 89)
      return what + " needs compute capability 8.9 or newer (fp8 tensor cores came with Ada and Hopper); " +
             std::string(device) + " has " + std::to_string(capability / 10) + "." +
             std::to_string(capability % 10);
    if (!features.fp8_mma && !features.wgmma)
      return what + ": this binary's code for " + std::string(device) + " was built for an architecture " +
             "before sm_89 and has no fp8 instructions (rebuild with its architecture)";
  }
  if (dtype == "fp64" && engine == "tensor_core" && features.dmma_k == 0)
    return what + ": this binary's code for " + std::string(device) + " has no DMMA instruction";
  return std::nullopt;
}

// The path a tensor-core kernel takes: wgmma where the device is Hopper (9.0), the loaded image has it and
// the caller allows it (fp64 has no wgmma form); mma.sync everywhere else.
constexpr tensor_path path_for(kernel_id id, int capability, const compiled_features& features,
                               bool allow_wgmma) {
  if (!is_tensor(id)) return tensor_path::none;
  if (id != kernel_id::mma_fp64 && capability == 90 && features.wgmma && allow_wgmma)
    return tensor_path::wgmma;
  return tensor_path::mma_sync;
}

// The family a kernel launched on `path` must report.
constexpr instruction_family family_of(kernel_id id, tensor_path path) {
  if (!is_tensor(id)) return instruction_family::fma;
  return path == tensor_path::wgmma ? instruction_family::wgmma : instruction_family::mma_sync;
}

// The family all `blocks` report (codes as the blocks wrote them), nullopt when none ran (no blocks), one
// wrote nothing, one wrote a code outside the enum, or they disagree.
inline std::optional<instruction_family> reported_family(const unsigned* codes, std::size_t blocks) {
  if (blocks == 0 || codes[0] == 0 || codes[0] > static_cast<unsigned>(instruction_family::wgmma))
    return std::nullopt;
  for (std::size_t b = 1; b < blocks; ++b)
    if (codes[b] != codes[0]) return std::nullopt;
  return static_cast<instruction_family>(codes[0]);
}

// The instruction, for implementation() ("wgmma.m64n256k16.f32.bf16.bf16").
inline std::string instruction_name(kernel_id id, tensor_path path, int dmma_k) {
  switch (id) {
    case kernel_id::fma_fp64:
      return "fma.rn.f64 (DFMA)";
    case kernel_id::fma_fp32:
      return "fma.rn.f32 (FFMA)";
    case kernel_id::fma_fp16x2:
      return "fma.rn.f16x2 (HFMA2)";
    case kernel_id::fma_bf16x2:
      return "fma.rn.bf16x2 (HFMA2.BF16)";
    case kernel_id::mma_fp64:
      return dmma_k == 4 ? "mma.sync.m8n8k4.f64 (DMMA)" : "mma.sync.m16n8k16.f64 (DMMA)";
    default:
      break;
  }
  const kernel_shape shape = shape_of(id, path, dmma_k);
  const char* types = id == kernel_id::mma_tf32   ? "f32.tf32.tf32"
                      : id == kernel_id::mma_fp16 ? "f32.f16.f16"
                      : id == kernel_id::mma_bf16 ? "f32.bf16.bf16"
                      : id == kernel_id::mma_fp8  ? "f32.e4m3.e4m3"
                                                  : "s32.s8.s8";
  const std::string k = std::to_string(shape.k);
  if (path == tensor_path::wgmma) return "wgmma.mma_async.m64n256k" + k + "." + types + " (SS, sm_90a)";
  return "mma.sync.m16n8k" + k + "." + types;
}

}  // namespace exacheck::cuda::flops_types

namespace exacheck::cuda {

// Test hooks of the CUDA flops backend (a build without CUDA throws). make_flops_backend_for_testing: the
// backend with wgmma allowed or not (mma.sync on Hopper too, to test that path).
// corrupt_flops_result_for_testing adds `delta` to final value `index` (results() order) in device memory
// after a run, so that tests can show a wrong answer is detected; throws std::invalid_argument when `backend`
// is not the CUDA flops backend, std::out_of_range outside the results.
std::unique_ptr<flops::flops_backend> make_flops_backend_for_testing(bool allow_wgmma);
void corrupt_flops_result_for_testing(flops::flops_backend& backend, std::size_t index, double delta);

}  // namespace exacheck::cuda
