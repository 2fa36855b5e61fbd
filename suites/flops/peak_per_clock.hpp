#pragma once
// Architectural peak per SM per clock, by compute capability, dtype and engine: the denominator of
// `pct_of_peak_at_clock` = achieved / (SMs × ops per clock per SM × measured SM clock). Dense figures (no
// structured sparsity); an FMA or a multiply-accumulate counts 2 operations, int8 counts integer operations.
//
// Each row is a datasheet rate divided by SMs × the clock that rate assumes. NVIDIA quotes CUDA-core rates
// (and Hopper's FP64 tensor rate) at the maximum boost clock and the other tensor rates at a lower one; the
// per-clock figure is the same either way, which is why the table holds it and not TFLOP/s.
//  - sm_80, A100 SXM4 (108 SMs, 1410 MHz; NVIDIA A100 datasheet and Ampere whitepaper, table 1): FP64 9.7,
//    FP64 tensor 19.5, FP32 19.5, FP16 (non-tensor) 78, BF16 (non-tensor) 39, TF32 156, FP16/BF16 312,
//    INT8 624 TOPS → e.g. 312e12 / (108 × 1.41e9) = 2048 flop/clk/SM.
//  - sm_90, H100 SXM5 (132 SMs; NVIDIA H100 datasheet and Hopper whitepaper, table 3): FP64 34, FP64 tensor
//  67,
//    FP32 67, FP16/BF16 (non-tensor) 133.8 at 1980 MHz → 128, 256, 256, 512 flop/clk/SM; TF32 494.7,
//    FP16/BF16 989.5, FP8 1979, INT8 1979 TOPS at 1830 MHz → 2048, 4096, 8192, 8192 flop/clk/SM
//    (989.5e12 / (132 × 1.83e9) = 4096). H200 and GH200 are the same SM.
//  - sm_100, B200 (148 SMs; NVIDIA DGX/HGX B200 datasheet, dense): FP64 = FP64 tensor 40, FP32 80 at about
//    2.1 GHz → 128, 128, 256 flop/clk/SM; TF32 1.1 P (2.2 sparse), FP16/BF16 2.25 P, FP8 4.5 P, INT8 4.5 POPS
//    at about 1.86 GHz → 4096, 8192, 16384, 16384 flop/clk/SM (twice Hopper's per SM and clock, as the
//    Blackwell technical brief states). NVIDIA publishes no clock for these figures: the clocks are implied
//    by the datasheet, and no FP16/BF16 CUDA-core figure is published (no row). Blackwell reaches these rates
//    only through tcgen05 instructions, which exacheck does not use: its mma.sync kernels score low here.
#include <optional>
#include <string_view>

namespace exacheck::flops {

struct peak_per_clock_row {
  int compute_capability;  // major·10 + minor
  std::string_view dtype;
  std::string_view engine;  // "cuda_core" or "tensor_core"
  double ops_per_clock_per_sm;
};

inline constexpr peak_per_clock_row peak_per_clock_table[] = {
    // sm_80 (A100)
    {80, "fp64", "cuda_core", 64},
    {80, "fp32", "cuda_core", 128},
    {80, "fp16", "cuda_core", 512},
    {80, "bf16", "cuda_core", 256},
    {80, "fp64", "tensor_core", 128},
    {80, "tf32", "tensor_core", 1024},
    {80, "fp16", "tensor_core", 2048},
    {80, "bf16", "tensor_core", 2048},
    {80, "int8", "tensor_core", 4096},
    // sm_90 (H100, H200, GH200)
    {90, "fp64", "cuda_core", 128},
    {90, "fp32", "cuda_core", 256},
    {90, "fp16", "cuda_core", 512},
    {90, "bf16", "cuda_core", 512},
    {90, "fp64", "tensor_core", 256},
    {90, "tf32", "tensor_core", 2048},
    {90, "fp16", "tensor_core", 4096},
    {90, "bf16", "tensor_core", 4096},
    {90, "fp8_e4m3", "tensor_core", 8192},
    {90, "int8", "tensor_core", 8192},
    // sm_100 (B200)
    {100, "fp64", "cuda_core", 128},
    {100, "fp32", "cuda_core", 256},
    {100, "fp64", "tensor_core", 128},
    {100, "tf32", "tensor_core", 4096},
    {100, "fp16", "tensor_core", 8192},
    {100, "bf16", "tensor_core", 8192},
    {100, "fp8_e4m3", "tensor_core", 16384},
    {100, "int8", "tensor_core", 16384},
};

// Operations per clock per SM for (compute capability, dtype, engine), nullopt without a row.
constexpr std::optional<double> peak_ops_per_clock_per_sm(int compute_capability, std::string_view dtype,
                                                          std::string_view engine) {
  for (const auto& row : peak_per_clock_table)
    if (row.compute_capability == compute_capability && row.dtype == dtype && row.engine == engine)
      return row.ops_per_clock_per_sm;
  return std::nullopt;
}

// The instruction family the table's rate for (compute capability, dtype, engine) needs where the GPU also
// has a slower one: Hopper's (9.0) tensor cores reach it only through wgmma (sm_90a code), mma.sync there
// reaches 50–65% of it; DMMA (fp64) has no wgmma form. nullopt elsewhere.
constexpr std::optional<std::string_view> peak_instruction(int compute_capability, std::string_view dtype,
                                                           std::string_view engine) {
  if (compute_capability == 90 && engine == "tensor_core" && dtype != "fp64")
    return std::string_view("wgmma");
  return std::nullopt;
}

// Peak in operations per second of `multiprocessors` SMs at `sm_clock_mhz`.
constexpr double peak_ops_per_s_at_clock(int multiprocessors, double ops_per_clock_per_sm,
                                         double sm_clock_mhz) {
  return static_cast<double>(multiprocessors) * ops_per_clock_per_sm * sm_clock_mhz * 1e6;
}

// achieved / peak at the measured clock, in percent.
constexpr double pct_of_peak_at_clock(double achieved_ops_per_s, int multiprocessors,
                                      double ops_per_clock_per_sm, double sm_clock_mhz) {
  return 100.0 * achieved_ops_per_s /
         peak_ops_per_s_at_clock(multiprocessors, ops_per_clock_per_sm, sm_clock_mhz);
}

}  // namespace exacheck::flops
