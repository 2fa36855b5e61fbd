#pragma once
// The CPU backend of the peak-FLOPS suite: independent FMA chains held in vector registers (no memory traffic
// in the loop), one set per OpenMP thread, each thread pinned to its own core. The instruction set is chosen
// at run time (__builtin_cpu_supports) among kernels compiled with target attributes, so one binary runs —
// and never executes an unsupported instruction — on any x86-64 CPU; other architectures use the portable
// kernel.
#include <sched.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/enum_names.hpp"
#include "kernels/cpu/thread_pinning.hpp"
#include "suites/flops/flops_backend.hpp"

namespace exacheck::flops {

enum class cpu_isa {
  portable,     // plain C++ (the compiler vectorises for the baseline target, e.g. SSE2)
  avx2_fma,     // 256-bit vfmadd
  avx512f,      // 512-bit vfmadd
  avx512_bf16,  // 512-bit vdpbf16ps (bf16 pairs into fp32)
};
inline constexpr std::array<enum_name<cpu_isa>, 4> cpu_isa_names{{
    {cpu_isa::portable, "portable"},
    {cpu_isa::avx2_fma, "avx2_fma"},
    {cpu_isa::avx512f, "avx512f"},
    {cpu_isa::avx512_bf16, "avx512_bf16"},
}};
std::string_view to_string(cpu_isa isa);

// Independent chains per thread: latency × pipes must be in flight. FMA (4 cycles × 2 pipes) needs ≥ 8 and
// vdpbf16ps (measured on Zen 5) ≥ 13. AVX-512 kernels run 16 (of 32 registers); AVX2 and portable run 12,
// which with the two constants still fit AVX2's 16 registers.
int chain_accumulators(cpu_isa isa);

// The fastest kernel this CPU can run for dtype, or nullopt with the reason in *why_not.
std::optional<cpu_isa> best_cpu_isa(std::string_view dtype, std::string* why_not = nullptr);
// Whether this CPU can run `isa` (for tests that force a kernel).
bool cpu_supports(cpu_isa isa);
// Vector lanes of one accumulator and flops per lane per step for (isa, dtype).
int chain_lanes(cpu_isa isa, std::string_view dtype);
double flops_per_lane_step(std::string_view dtype);

// Runs `steps` steps of every chain of one thread; writes chain_accumulators × lanes final values (widened to
// double, accumulator-major) to `out`. Throws std::invalid_argument for an (isa, dtype) pair without a
// kernel.
void run_cpu_chains(cpu_isa isa, std::string_view dtype, int thread, std::uint64_t steps, double* out);

class cpu_fma_backend final : public flops_backend {
 public:
  // threads: OpenMP threads of this rank; local_rank places the rank's threads on distinct cores
  // when the launcher left the rank unbound. `forced_isa` (tests) overrides the run-time choice.
  cpu_fma_backend(int threads, int local_rank, std::optional<cpu_isa> forced_isa = std::nullopt);
  ~cpu_fma_backend() override = default;
  // Pinned OpenMP threads are restored in the destructor; a copy would restore twice.
  cpu_fma_backend(const cpu_fma_backend&) = delete;
  cpu_fma_backend& operator=(const cpu_fma_backend&) = delete;

  // The cpu backend's one engine is cpu_simd (its vector FMA units): "auto" resolves to it.
  std::string resolve_engine(std::string_view dtype, std::string_view requested) const override;
  std::optional<std::string> unsupported_reason(std::string_view dtype,
                                                std::string_view engine) const override;
  void prepare(std::string_view dtype, std::string_view engine, std::uint64_t steps) override;
  std::string implementation() const override { return std::string(to_string(m_isa)); }
  int threads() const override { return m_threads; }
  double flops_per_run() const override;
  void run() override;
  batch_time time_batch(int runs) override;
  chain_results results() const override;

 private:
  int m_threads = 1;
  std::optional<cpu_isa> m_forced_isa;
  cpu::thread_pinning m_pinning;  // after m_threads: built from it
  std::string m_dtype;
  cpu_isa m_isa = cpu_isa::portable;
  std::uint64_t m_steps = 0;
  std::vector<double> m_finals;  // thread-major, then accumulator, then lane
};

}  // namespace exacheck::flops
