#include "kernels/cpu/cpu_fma.hpp"

#include <fmt/core.h>
#include <omp.h>
#include <pthread.h>

#include <cstring>
#include <stdexcept>
#include <thread>

#include "suites/flops/fma_chain.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define EXACHECK_X86 1
#endif

namespace exacheck::flops {
namespace {

// Constants reach the kernels through volatile reads: the compiler cannot see a = −1 and simplify the FMA.
template <typename T>
T opaque(T value) {
  volatile T copy = value;
  return copy;
}

constexpr int k_portable_accumulators = 12;
constexpr int k_avx2_accumulators = 12;
constexpr int k_avx512_accumulators = 16;

template <typename T, int lanes>
void chains_portable(int thread, std::uint64_t steps, double* out) {
  constexpr int chains = k_portable_accumulators;
  T acc[chains][lanes];
  for (int j = 0; j < chains; ++j)
    for (int l = 0; l < lanes; ++l) acc[j][l] = static_cast<T>(chain_start(thread, j, l));
  const T a = opaque(static_cast<T>(chain_multiplier)), b = opaque(static_cast<T>(chain_addend));
  for (std::uint64_t s = 0; s < steps; ++s)
    for (int j = 0; j < chains; ++j)
      for (int l = 0; l < lanes; ++l) acc[j][l] = acc[j][l] * a + b;  // exact whether fused or not
  for (int j = 0; j < chains; ++j)
    for (int l = 0; l < lanes; ++l) out[j * lanes + l] = static_cast<double>(acc[j][l]);
}

#ifdef EXACHECK_X86
// One kernel per (instruction set, precision). Each keeps ACC vector registers live and issues one
// independent FMA per accumulator per step; the loop body has no loads or stores.
#define EXACHECK_FMA_KERNEL(NAME, TARGET, ACC, VEC, T, LANES, SET1, LOADU, STOREU, FMA)       \
  __attribute__((target(TARGET))) void NAME(int thread, std::uint64_t steps, double* out) {   \
    constexpr int chains = ACC;                                                               \
    VEC acc[chains];                                                                          \
    for (int j = 0; j < chains; ++j) {                                                        \
      T start[LANES];                                                                         \
      for (int l = 0; l < LANES; ++l) start[l] = static_cast<T>(chain_start(thread, j, l));   \
      acc[j] = LOADU(start);                                                                  \
    }                                                                                         \
    const VEC a = SET1(opaque(static_cast<T>(chain_multiplier)));                             \
    const VEC b = SET1(opaque(static_cast<T>(chain_addend)));                                 \
    for (std::uint64_t s = 0; s < steps; ++s) {                                               \
      _Pragma("GCC unroll 16") for (int j = 0; j < chains; ++j) acc[j] = FMA(acc[j], a, b);   \
    }                                                                                         \
    for (int j = 0; j < chains; ++j) {                                                        \
      T lanes_out[LANES];                                                                     \
      STOREU(lanes_out, acc[j]);                                                              \
      for (int l = 0; l < LANES; ++l) out[j * LANES + l] = static_cast<double>(lanes_out[l]); \
    }                                                                                         \
  }

EXACHECK_FMA_KERNEL(chains_avx512_fp64, "avx512f", k_avx512_accumulators, __m512d, double, 8, _mm512_set1_pd,
                    _mm512_loadu_pd, _mm512_storeu_pd, _mm512_fmadd_pd)
EXACHECK_FMA_KERNEL(chains_avx512_fp32, "avx512f", k_avx512_accumulators, __m512, float, 16, _mm512_set1_ps,
                    _mm512_loadu_ps, _mm512_storeu_ps, _mm512_fmadd_ps)
EXACHECK_FMA_KERNEL(chains_avx2_fp64, "avx2,fma", k_avx2_accumulators, __m256d, double, 4, _mm256_set1_pd,
                    _mm256_loadu_pd, _mm256_storeu_pd, _mm256_fmadd_pd)
EXACHECK_FMA_KERNEL(chains_avx2_fp32, "avx2,fma", k_avx2_accumulators, __m256, float, 8, _mm256_set1_ps,
                    _mm256_loadu_ps, _mm256_storeu_ps, _mm256_fmadd_ps)
#undef EXACHECK_FMA_KERNEL

std::uint16_t bf16_bits(float value) {  // truncation is exact for the chain's constants
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return static_cast<std::uint16_t>(bits >> 16);
}

// vdpbf16ps: each fp32 lane accumulates two bf16 products per instruction (see fma_chain.hpp).
__attribute__((target("avx512f,avx512bf16"))) void chains_avx512_bf16(int thread, std::uint64_t steps,
                                                                      double* out) {
  constexpr int chains = k_avx512_accumulators;
  __m512 acc[chains];
  for (int j = 0; j < chains; ++j) {
    float start[16];
    for (int l = 0; l < 16; ++l) start[l] = static_cast<float>(chain_start(thread, j, l));
    acc[j] = _mm512_loadu_ps(start);
  }
  const auto a_bits = opaque(bf16_bits(bf16_chain_a));
  const auto b_pair =
      opaque(static_cast<std::uint32_t>(bf16_bits(bf16_chain_b_odd)) << 16 | bf16_bits(bf16_chain_b_even));
  const __m512bh a = reinterpret_cast<__m512bh>(_mm512_set1_epi16(static_cast<short>(a_bits)));
  const __m512bh b = reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(b_pair)));
  for (std::uint64_t s = 0; s < steps; ++s) {
#pragma GCC unroll 16
    for (int j = 0; j < chains; ++j) acc[j] = _mm512_dpbf16_ps(acc[j], a, b);
  }
  for (int j = 0; j < chains; ++j) {
    float lanes_out[16];
    _mm512_storeu_ps(lanes_out, acc[j]);
    for (int l = 0; l < 16; ++l) out[j * 16 + l] = static_cast<double>(lanes_out[l]);
  }
}
#endif

}  // namespace

std::string_view to_string(cpu_isa isa) {
  return name_of(cpu_isa_names, isa);
}

bool cpu_supports(cpu_isa isa) {
#ifdef EXACHECK_X86
  // libgcc's checks include the OS's XSAVE state (XCR0), so a kernel never runs where AVX state is not
  // enabled.
  switch (isa) {
    case cpu_isa::portable:
      return true;
    case cpu_isa::avx2_fma:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case cpu_isa::avx512f:
      return __builtin_cpu_supports("avx512f");
    case cpu_isa::avx512_bf16:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
  }
  return false;
#else
  return isa == cpu_isa::portable;
#endif
}

std::optional<cpu_isa> best_cpu_isa(std::string_view dtype, std::string* why_not) {
  const auto fail = [&](std::string reason) -> std::optional<cpu_isa> {
    if (why_not) *why_not = std::move(reason);
    return std::nullopt;
  };
  if (dtype == "fp64" || dtype == "fp32") {
    for (cpu_isa isa : {cpu_isa::avx512f, cpu_isa::avx2_fma})
      if (cpu_supports(isa)) return isa;
    return cpu_isa::portable;
  }
  if (dtype == "bf16") {
    if (cpu_supports(cpu_isa::avx512_bf16)) return cpu_isa::avx512_bf16;
    return fail("bf16 needs AVX512_BF16 (vdpbf16ps), which this CPU lacks");
  }
  if (dtype == "fp16") return fail("the cpu backend has no fp16 kernel (AVX512-FP16 is not implemented)");
  if (dtype == "tf32") return fail("tf32 is a GPU tensor-core format; CPUs have no tf32 arithmetic");
  if (dtype == "fp8_e4m3") return fail("fp8 is a GPU tensor-core format; the cpu backend has no fp8 kernel");
  if (dtype == "int8") return fail("int8 counts integer operations; the cpu backend has no int8 kernel");
  return fail(fmt::format("unknown dtype '{}'", dtype));
}

int chain_accumulators(cpu_isa isa) {
  switch (isa) {
    case cpu_isa::portable:
      return k_portable_accumulators;
    case cpu_isa::avx2_fma:
      return k_avx2_accumulators;
    case cpu_isa::avx512f:
    case cpu_isa::avx512_bf16:
      return k_avx512_accumulators;
  }
  return k_portable_accumulators;
}

int chain_lanes(cpu_isa isa, std::string_view dtype) {
  const int bits = isa == cpu_isa::portable ? 128 : isa == cpu_isa::avx2_fma ? 256 : 512;
  return bits / (dtype == "fp64" ? 64 : 32);  // bf16 lanes are the fp32 accumulators
}

double flops_per_lane_step(std::string_view dtype) {
  return dtype == "bf16" ? 4.0 : 2.0;
}

void run_cpu_chains(cpu_isa isa, std::string_view dtype, int thread, std::uint64_t steps, double* out) {
  const bool fp64 = dtype == "fp64", fp32 = dtype == "fp32";
  if (isa == cpu_isa::portable && fp64) return chains_portable<double, 2>(thread, steps, out);
  if (isa == cpu_isa::portable && fp32) return chains_portable<float, 4>(thread, steps, out);
#ifdef EXACHECK_X86
  if (isa == cpu_isa::avx512f && fp64) return chains_avx512_fp64(thread, steps, out);
  if (isa == cpu_isa::avx512f && fp32) return chains_avx512_fp32(thread, steps, out);
  if (isa == cpu_isa::avx2_fma && fp64) return chains_avx2_fp64(thread, steps, out);
  if (isa == cpu_isa::avx2_fma && fp32) return chains_avx2_fp32(thread, steps, out);
  if (isa == cpu_isa::avx512_bf16 && dtype == "bf16") return chains_avx512_bf16(thread, steps, out);
#endif
  throw std::invalid_argument(fmt::format("cpu_fma: no {} kernel for {}", to_string(isa), dtype));
}

cpu_fma_backend::cpu_fma_backend(int threads, int local_rank, std::optional<cpu_isa> forced_isa)
    : m_threads(std::max(threads, 1)), m_forced_isa(forced_isa), m_pinning(m_threads, local_rank) {}

std::string cpu_fma_backend::resolve_engine(std::string_view, std::string_view requested) const {
  return std::string(requested == engine_auto ? engine_cpu_simd : requested);
}

std::optional<std::string> cpu_fma_backend::unsupported_reason(std::string_view dtype,
                                                               std::string_view engine) const {
  if (engine != engine_cpu_simd)
    return fmt::format(
        "engine {} is not on the cpu backend: it runs {} (its vector FMA units) only; {} and {} "
        "are GPU engines of the cuda backend",
        engine, engine_cpu_simd, engine_cuda_core, engine_tensor_core);
  std::string why_not;
  const auto isa = best_cpu_isa(dtype, &why_not);
  if (!isa) return why_not;
  if (m_forced_isa) {
    if (!cpu_supports(*m_forced_isa))
      return fmt::format("this CPU cannot run the {} kernel", to_string(*m_forced_isa));
    if ((*m_forced_isa == cpu_isa::avx512_bf16) != (dtype == "bf16"))
      return fmt::format("the {} kernel does not compute {}", to_string(*m_forced_isa), dtype);
  }
  return std::nullopt;
}

void cpu_fma_backend::prepare(std::string_view dtype, std::string_view engine, std::uint64_t steps) {
  if (const auto reason = unsupported_reason(dtype, engine)) throw std::invalid_argument(*reason);
  m_dtype = std::string(dtype);
  m_isa = m_forced_isa ? *m_forced_isa : *best_cpu_isa(dtype);
  m_steps = steps;
  const auto per_thread = static_cast<std::size_t>(chain_accumulators(m_isa) * chain_lanes(m_isa, m_dtype));
  m_finals.assign(per_thread * static_cast<std::size_t>(m_threads), 0.0);
}

double cpu_fma_backend::flops_per_run() const {
  return static_cast<double>(m_threads) * chain_accumulators(m_isa) * chain_lanes(m_isa, m_dtype) *
         flops_per_lane_step(m_dtype) * static_cast<double>(m_steps);
}

void cpu_fma_backend::run() {
  if (m_dtype.empty()) throw std::logic_error("cpu_fma: run() before prepare()");
  const auto per_thread = m_finals.size() / static_cast<std::size_t>(m_threads);
#pragma omp parallel num_threads(m_threads)
  {
    const int t = omp_get_thread_num();
    // Re-pinned every run (one system call per thread per ~50 ms): OpenMP may hand out its threads anew.
    m_pinning.pin_calling_thread(t);
    run_cpu_chains(m_isa, m_dtype, t, m_steps, m_finals.data() + static_cast<std::size_t>(t) * per_thread);
  }
}

batch_time cpu_fma_backend::time_batch(int runs) {
  return time_on_host(runs, [this] { run(); });
}

chain_results cpu_fma_backend::results() const {
  chain_results results;
  results.recurrence = m_dtype == "bf16" ? chain_recurrence{chain_kind::dot2_bf16, "fp32", 0}
                                         : chain_recurrence{chain_kind::fma, m_dtype, 0};
  results.threads = m_threads;
  results.accumulators = chain_accumulators(m_isa);
  results.lanes = chain_lanes(m_isa, m_dtype);
  results.final_values = m_finals;  // already thread-major, then accumulator, then lane
  return results;
}

}  // namespace exacheck::flops
