#include "harness/results/physical_limits.hpp"

#include <fmt/core.h>

#include <string>

#include "harness/results/peak_table.hpp"
#include "harness/results/verdicts.hpp"

namespace exacheck {
namespace {

// What a CPU core can issue per cycle, at most, on any CPU shipped: vector FMAs (two on x86 cores, four on
// Apple's) and vector loads or stores (two to three loads and one to two stores). The clock is doubled on top
// for a turbo above the figure the host states (a VM shows its nominal clock only).
constexpr int cpu_fma_per_cycle = 4;
constexpr int cpu_memory_accesses_per_cycle = 4;
constexpr double cpu_clock_margin = 2.0;
// When the host does not say: SVE's architectural maximum, and a clock above any CPU sold.
constexpr int assumed_vector_bits = 2048;
constexpr double assumed_clock_hz = 6e9;

enum class rate_kind { operations, bytes };

struct rate_unit {
  rate_kind kind;
  double to_base;  // metric unit → FLOP/s (OP/s) or B/s
};

std::optional<rate_unit> rate_unit_of(const std::string& unit) {
  if (const auto f = unit_conversion(unit, "FLOP/s")) return rate_unit{rate_kind::operations, *f};
  if (const auto f = unit_conversion(unit, "GOP/s")) return rate_unit{rate_kind::operations, *f * 1e9};
  if (const auto f = unit_conversion(unit, "B/s")) return rate_unit{rate_kind::bytes, *f};
  return std::nullopt;
}

bool is_memory(std::string_view benchmark) {
  return benchmark == "membw" || benchmark == "copybw";
}

int positive_int(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_number() && it->get<double>() > 0 ? it->get<int>() : 0;
}

}  // namespace

std::optional<cpu_capacity> cpu_capacity_of(const nlohmann::json& device) {
  if (!device.is_object() || !device.contains("logical_cpus")) return std::nullopt;
  cpu_capacity cpu;
  cpu.logical_cpus = positive_int(device, "logical_cpus");
  if (cpu.logical_cpus == 0) return std::nullopt;
  const auto clock = device.find("max_clock_hz");
  cpu.max_clock_hz = clock != device.end() && clock->is_number() && clock->get<double>() > 0
                         ? clock->get<double>()
                         : assumed_clock_hz;
  cpu.vector_bits = positive_int(device, "vector_bits");
  if (cpu.vector_bits == 0) cpu.vector_bits = assumed_vector_bits;
  return cpu;
}

int dtype_bits(std::string_view dtype) {
  if (dtype == "fp64" || dtype == "int64") return 64;
  if (dtype == "fp32" || dtype == "tf32" || dtype == "int32") return 32;
  if (dtype == "fp16" || dtype == "bf16") return 16;
  if (dtype == "fp8" || dtype == "fp8_e4m3" || dtype == "fp8_e5m2" || dtype == "int8") return 8;
  return 0;
}

double cpu_operations_ceiling(const cpu_capacity& cpu, int element_bits) {
  const int bits = element_bits > 0 ? element_bits : 8;
  const double lanes = static_cast<double>(cpu.vector_bits) / bits;
  return cpu.logical_cpus * cpu.max_clock_hz * cpu_clock_margin * cpu_fma_per_cycle * 2.0 * lanes;
}

double cpu_bytes_ceiling(const cpu_capacity& cpu) {
  return cpu.logical_cpus * cpu.max_clock_hz * cpu_clock_margin * cpu_memory_accesses_per_cycle *
         (cpu.vector_bits / 8.0);
}

std::optional<double> datasheet_figure(const nlohmann::json& peak_per_gpu, const std::string& key,
                                       const std::string& unit) {
  if (!peak_per_gpu.is_object()) return std::nullopt;
  const auto entry = peak_per_gpu.find(key);
  if (entry == peak_per_gpu.end()) return std::nullopt;
  double number = 0;
  std::string figure_unit;
  if (entry->is_number()) {
    number = entry->get<double>();
    const auto u = peak_per_gpu.find("unit");
    figure_unit = u != peak_per_gpu.end() && u->is_string() ? u->get<std::string>() : "";
  } else if (entry->is_string()) {  // "3.35 TB/s"
    const std::string text = entry->get<std::string>();
    std::size_t used = 0;
    try {
      number = std::stod(text, &used);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    const auto unit_start = text.find_first_not_of(' ', used);
    figure_unit = unit_start == std::string::npos ? "" : text.substr(unit_start);
  } else {
    return std::nullopt;
  }
  const auto factor = unit_conversion(figure_unit, unit);
  if (!factor || !(number > 0)) return std::nullopt;
  return number * *factor;
}

std::optional<rate_ceiling> ceiling_for(std::string_view benchmark, const nlohmann::json& params,
                                        const std::string& unit, const nlohmann::json* peak_per_gpu,
                                        const std::optional<cpu_capacity>& cpu) {
  const auto rate = rate_unit_of(unit);
  if (!rate) return std::nullopt;
  const bool operations = rate->kind == rate_kind::operations;
  // The absolute ceiling, in the metric's unit.
  rate_ceiling lowest{(operations ? max_device_operations_per_s : max_device_bytes_per_s) / rate->to_base,
                      operations ? "1 EFLOP/s per device, more than any device reaches"
                                 : "1 PB/s per device, more than any "
                                   "device reaches"};
  const auto consider = [&](double value, std::string basis) {
    if (value > 0 && value < lowest.value) lowest = {value, std::move(basis)};
  };
  // The benchmarks whose suite declares peak rules (gemm, flops): find_peak has none for the others.
  if (peak_per_gpu && operations) {
    if (const auto peak = find_peak(benchmark, params, *peak_per_gpu, unit))
      if (const auto factor = unit_conversion(peak->unit, unit))
        consider(compute_datasheet_factor * peak->value * *factor,
                 fmt::format("{:g} × the datasheet peak peak_per_gpu.{} = {:g} {}", compute_datasheet_factor,
                             peak->key, peak->value, peak->unit));
  }
  if (peak_per_gpu && !operations && is_memory(benchmark)) {
    if (const auto hbm = datasheet_figure(*peak_per_gpu, "hbm", unit))
      consider(memory_datasheet_factor * *hbm,
               fmt::format("{:g} × the datasheet peak_per_gpu.hbm = {}", memory_datasheet_factor,
                           peak_per_gpu->at("hbm").is_string() ? peak_per_gpu->at("hbm").get<std::string>()
                                                               : fmt::format("{:g} {}", *hbm, unit)));
  }
  if (cpu) {
    const auto dtype = params.is_object() && params.contains("dtype") && params["dtype"].is_string()
                           ? params["dtype"].get<std::string>()
                           : std::string();
    const int bits = dtype_bits(dtype);
    const double host = operations ? cpu_operations_ceiling(*cpu, bits) : cpu_bytes_ceiling(*cpu);
    consider(
        host / rate->to_base,
        operations
            ? fmt::format("this host's limit: {} CPUs × {:.3g} GHz × {} × {} FMA/cycle × 2 × {} "
                          "{}-bit lanes",
                          cpu->logical_cpus, cpu->max_clock_hz / 1e9, cpu_clock_margin, cpu_fma_per_cycle,
                          cpu->vector_bits / (bits > 0 ? bits : 8), bits > 0 ? bits : 8)
            : fmt::format("this host's limit: {} CPUs × {:.3g} GHz × {} × {} accesses/cycle × {} B",
                          cpu->logical_cpus, cpu->max_clock_hz / 1e9, cpu_clock_margin,
                          cpu_memory_accesses_per_cycle, cpu->vector_bits / 8));
  }
  return lowest;
}

}  // namespace exacheck
