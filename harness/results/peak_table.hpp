#pragma once
// Which datasheet peak a measured rate is a fraction of: the benchmark and its point's parameters name a key
// of the system file's peak_per_gpu (configs/systems/*.yaml), and the controller adds a `pct_of_peak` metric
// next to `tflops` on every rank (docs/formulas.md). A point with no matching peak gets no such metric.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/metric_spec.hpp"

namespace exacheck {

struct system_spec;
class suite;

// The peak_per_gpu keys a point's rate is judged against, preferred first; empty when none applies.
//  gemm: dtype fp64 → fp64_tensor, then fp64 (cuBLAS runs DGEMM on the FP64 tensor cores where they exist);
//        fp32 → fp32, tf32 → tf32, fp16 → fp16, bf16 → bf16, fp8_e4m3 and fp8_e5m2 → fp8, int8 → int8.
//  flops: by `engine` and dtype: cuda_core fp64 → fp64, fp32 → fp32; tensor_core fp64 → fp64_tensor,
//        tf32, fp16, bf16 → the same name, fp8_e4m3 → fp8, int8 → int8; cpu_simd (no datasheet per GPU) →
//        none.
//  every other benchmark: none (bandwidths are not compared with peaks here).
std::vector<std::string> peak_keys_for(std::string_view benchmark, const nlohmann::json& point_params);

// The first of peak_keys_for() that `peak_per_gpu` has as a number; nullopt when it has none of them.
std::optional<std::string> peak_key_for(std::string_view benchmark, const nlohmann::json& point_params,
                                        const nlohmann::json& peak_per_gpu);

// A resolved peak: its key, its value, and the unit of peak_per_gpu (its `unit` entry).
struct datasheet_peak {
  std::string key;
  double value = 0;
  std::string unit;
};

// The peak for a point, when the system has one with a unit that converts to and from `metric_unit`.
std::optional<datasheet_peak> find_peak(std::string_view benchmark, const nlohmann::json& point_params,
                                        const nlohmann::json& peak_per_gpu, const std::string& metric_unit);

// Name of the metric whose value is divided by the peak, and of the metric added.
inline constexpr std::string_view peak_rate_metric = "tflops";
inline constexpr std::string_view pct_of_peak_metric = "pct_of_peak";

// The metrics a benchmark's points can carry in run.json: the suite's own (suite::metrics), then the one
// the controller derives from the system file — pct_of_peak next to tflops, for benchmarks whose points have
// datasheet peaks (gemm, flops).
std::vector<metric_spec> reported_metrics(const suite& s, std::string_view benchmark);

// Adds to every rank of every point in `results` (run.json's point-major "results") that reports `tflops` a
// `pct_of_peak` metric: 100 · tflops / peak (the tflops value converted to the peak's unit), unit "%", better
// higher, the tflops metric's statistic, a description naming the key, value and system. Nothing happens
// without a system, or for points whose peak is missing.
void add_pct_of_peak(nlohmann::json& results, std::string_view benchmark, const system_spec* system);

}  // namespace exacheck
