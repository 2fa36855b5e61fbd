#pragma once
// The peak-FLOPS kernel interface, implemented per backend (kernels/cpu/cpu_fma: vectorised FMA chains with
// OpenMP; later CUDA). Timing contract in one sentence: run() is blocking — when it returns, every chain of
// every thread has finished its steps and results() holds their final values.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/suite.hpp"

namespace exacheck::flops {

// One lane of one accumulator chain of one thread, after a run.
struct chain_state {
  int thread = 0;
  int accumulator = 0;
  int lane = 0;
  double final_value = 0;  // in the chain's precision, widened to double
};

class flops_backend {
 public:
  virtual ~flops_backend() = default;

  // Why this backend cannot run `dtype` here ("this CPU lacks AVX512_BF16 (vdpbf16ps)"), nullopt when it can.
  virtual std::optional<std::string> unsupported_reason(std::string_view dtype) const = 0;
  // Sets up `dtype` with `steps` dependent steps per chain per run. Throws for an unsupported dtype.
  virtual void prepare(std::string_view dtype, std::uint64_t steps) = 0;
  // What runs: instruction set and shape, e.g. "avx512f" (recorded as the point's `isa`).
  virtual std::string implementation() const = 0;
  virtual int threads() const = 0;
  // Floating-point operations of one run() (FMA = 2, see fma_chain.hpp for bf16).
  virtual double flops_per_run() const = 0;
  virtual void run() = 0;
  virtual std::vector<chain_state> results() const = 0;
};

// The backend for ctx.backend: "cpu" → cpu_fma; anything else throws std::runtime_error.
std::unique_ptr<flops_backend> make_flops_backend(const run_context& ctx);

}  // namespace exacheck::flops
