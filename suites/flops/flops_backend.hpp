#pragma once
// The peak-FLOPS kernel interface, implemented per backend (kernels/cpu/cpu_fma: vectorised FMA chains with
// OpenMP; kernels/cuda/cuda_flops: CUDA-core FMA chains and tensor-core MMA chains). Timing contract in one
// sentence: run() and time_batch() are blocking — when they return, every chain of every thread has finished
// its steps and results() holds their final values.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/batch_time.hpp"
#include "harness/core/suite.hpp"
#include "suites/flops/fma_chain.hpp"

namespace exacheck::flops {

// The arithmetic units a point runs on (the `engine` parameter). `auto` resolves per backend and dtype; the
// resolved name is what the point records, so that a peak table can map (dtype, engine) to a datasheet
// figure.
inline constexpr std::string_view engine_auto = "auto";
inline constexpr std::string_view engine_cpu_simd = "cpu_simd";        // CPU vector FMA units
inline constexpr std::string_view engine_cuda_core = "cuda_core";      // GPU FMA pipes (DFMA, FFMA, HFMA2)
inline constexpr std::string_view engine_tensor_core = "tensor_core";  // GPU matrix units (mma.sync, wgmma)

// Every chain's final value after a run: `threads` × `accumulators` × `lanes` values, thread-major, then
// accumulator, then lane, each in the chain's precision widened to double.
struct chain_results {
  chain_recurrence recurrence;
  int threads = 0;
  int accumulators = 0;
  int lanes = 0;
  std::vector<double> final_values;
};

// What the device measured during the last run (GPU backends): the SM clock it actually ran at, and what
// turns it into an architectural peak (suites/flops/peak_per_clock.hpp).
struct run_clock {
  double sm_clock_mhz = 0;     // SM cycles (clock64) / elapsed ns (%globaltimer) of the timed loop, median
  int multiprocessors = 0;     // SMs the kernel ran on
  int compute_capability = 0;  // major·10 + minor
};

class flops_backend {
 public:
  virtual ~flops_backend() = default;

  // The engine `requested` ("auto" or a concrete engine) runs `dtype` on here: "auto" resolves to this
  // backend's engine for the dtype; any other name is returned as it is (unsupported_reason says if it runs).
  virtual std::string resolve_engine(std::string_view dtype, std::string_view requested) const = 0;
  // Why this backend cannot run `dtype` on the resolved `engine` here ("this CPU lacks AVX512_BF16
  // (vdpbf16ps)"), nullopt when it can.
  virtual std::optional<std::string> unsupported_reason(std::string_view dtype,
                                                        std::string_view engine) const = 0;
  // Sets up `dtype` on `engine` with `steps` dependent steps per chain per run. Throws when unsupported.
  virtual void prepare(std::string_view dtype, std::string_view engine, std::uint64_t steps) = 0;
  // What runs: instruction set and shape, e.g. "avx512f" (recorded as the point's `isa`).
  virtual std::string implementation() const = 0;
  // Threads running chains (CPU threads, or GPU threads of the whole grid).
  virtual int threads() const = 0;
  // Floating-point operations of one run() (FMA = 2, see fma_chain.hpp for bf16; int8: integer ops).
  virtual double flops_per_run() const = 0;
  virtual void run() = 0;
  // The timed entry point: `runs` back-to-back runs and their time — events around the kernels on the
  // backend's stream (GPU backends), the host clock around the blocking calls (host backends).
  virtual batch_time time_batch(int runs) = 0;
  // The clock the device ran the last run at (of run() or time_batch()); nullopt where the backend cannot
  // measure it.
  virtual std::optional<run_clock> last_run_clock() const { return std::nullopt; }
  // The instruction family the last run executed, as the device reported it: "fma" (CUDA-core FMA chains),
  // "mma.sync" or "wgmma" (tensor cores); nullopt for host backends (their `isa` says what ran). On Hopper
  // the tensor cores reach their peak only through wgmma, so a run that fell back to mma.sync must say so.
  virtual std::optional<std::string> last_run_instruction() const { return std::nullopt; }
  virtual chain_results results() const = 0;
};

}  // namespace exacheck::flops
