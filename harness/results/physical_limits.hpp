#pragma once
// The fastest a device can physically be: a rate a rank reports above its ceiling is not a measurement but a
// fault (an overflowed size, a timer that did not run, a loop the compiler folded) and makes its case ERROR
// (harness/results/result_accounting.hpp). The ceilings are generous on purpose — a real result must never
// cross one — and stated with their reasons in docs/formulas.md ("Physical ceilings").
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace exacheck {

// No device reaches these, today or for years: a per-device rate above one is impossible whatever the device.
inline constexpr double max_device_operations_per_s = 1e18;  // 1 EFLOP/s (or 1 EOP/s) per device
inline constexpr double max_device_bytes_per_s = 1e15;       // 1 PB/s per device

// How far above its datasheet figure a rate may be. Compute (gemm, flops: the dtype's peak): 2× — datasheet
// peaks are at boost clock, and no unit does more than its peak. Memory (membw, copybw: `hbm`): 8× — a
// working set that fits in a GPU's L2 cache is served at the cache's bandwidth, several times HBM's
// (about 1.5–3.5× on A100/H100, more on GDDR parts with large caches).
inline constexpr double compute_datasheet_factor = 2.0;
inline constexpr double memory_datasheet_factor = 8.0;

// What a CPU rank's host can do at most, from its device record (worker: logical_cpus, max_clock_hz,
// vector_bits).
struct cpu_capacity {
  int logical_cpus = 0;
  double max_clock_hz = 0;
  int vector_bits = 0;
};

// The host figures of a CPU rank's device record; nullopt when it lacks any (then only the absolute ceilings
// apply: a result never written by this exacheck's worker cannot name its host's limits).
std::optional<cpu_capacity> cpu_capacity_of(const nlohmann::json& device);

// A CPU host's ceilings, in operations/s and bytes/s: every logical CPU at `max_clock_hz` × 2, each issuing
// 4 vector FMAs (2 operations per lane) per cycle on `element_bits`-wide lanes, and 4 vector loads or stores
// per cycle. `element_bits` 0 (unknown dtype) counts 8-bit lanes.
double cpu_operations_ceiling(const cpu_capacity& cpu, int element_bits);
double cpu_bytes_ceiling(const cpu_capacity& cpu);

// Width of one element of a dtype ("fp64" 64, "bf16" 16, "int8" 8, ...); 0 when unknown.
int dtype_bits(std::string_view dtype);

// The lowest ceiling on one rank's value of a metric, in the metric's own unit, and why.
struct rate_ceiling {
  double value = 0;   // in the metric's unit
  std::string basis;  // e.g. "2 × peak_per_gpu.bf16 = 989.5 TFLOP/s", "1 EFLOP/s per device"
};

// The ceiling on `unit` (a rate: FLOP/s, OP/s or B/s in any SI prefix) for a rank of `benchmark` at a point
// with `params`: the lowest of the absolute one, the system's datasheet figure (`peak_per_gpu`, may be null)
// × its factor — the point's peak where its suite declares peak rules (gemm and flops by dtype,
// harness/results/peak_table.hpp), `hbm` for membw and copybw —
// and, for a CPU rank's rank-scoped metric (`cpu` set), its host's. nullopt when `unit` is not a rate.
std::optional<rate_ceiling> ceiling_for(std::string_view benchmark, const nlohmann::json& params,
                                        const std::string& unit, const nlohmann::json* peak_per_gpu,
                                        const std::optional<cpu_capacity>& cpu);

// A `peak_per_gpu` entry written as a number with a unit ("3.35 TB/s") converted to `unit`; nullopt when it
// is missing, not of that form or not of that quantity.
std::optional<double> datasheet_figure(const nlohmann::json& peak_per_gpu, const std::string& key,
                                       const std::string& unit);

}  // namespace exacheck
