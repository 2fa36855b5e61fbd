#include "harness/cli/inventory.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "exacheck_version.hpp"
#include "harness/core/errors.hpp"
#include "harness/core/peak_rules.hpp"
#include "harness/core/registry.hpp"
#include "harness/node/gpu_runtime.hpp"
#include "harness/plan/plan.hpp"
#include "harness/results/provenance.hpp"
#include "harness/worker/nvml.hpp"

namespace exacheck {
namespace {
std::string shown_default(const param_spec& spec) {
  if (spec.default_value.is_null()) return "(required)";
  const auto show = [&](const nlohmann::json& v) {
    if (spec.type == param_type::bytes && v.is_number_unsigned()) return format_bytes(v.get<std::uint64_t>());
    if (spec.type == param_type::bytes && v.is_number_integer())
      return format_bytes(static_cast<std::uint64_t>(v.get<std::int64_t>()));
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  if (!spec.default_value.is_array()) return show(spec.default_value);
  std::vector<std::string> values;
  for (const auto& v : spec.default_value) values.push_back(show(v));
  if (values.size() > 6)
    return fmt::format("{} … {} ({} values)", values.front(), values.back(), values.size());
  return fmt::format("[{}]", fmt::join(values, ", "));
}

// GPUs the kernel driver reports, without needing CUDA: /proc/driver/nvidia/gpus/<bus id>/information.
std::vector<std::string> nvidia_gpus_from_driver() {
  std::vector<std::string> gpus;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/driver/nvidia/gpus", error))
    gpus.push_back(entry.path().filename().string());
  return gpus;
}

// Every backend some benchmark runs on, as the suites read it from the backend table, each with the
// benchmarks it leaves out: "cpu, cuda (every benchmark but selftest)".
std::string backends_in_this_build(const registry& suites) {
  const auto benchmarks = suites.benchmark_names();
  std::vector<std::string> backends;  // in the order the first benchmark with each lists them
  std::map<std::string, std::vector<std::string>> runs;
  for (const auto& benchmark : benchmarks)
    for (const auto& backend : suites.find(benchmark)->backends()) {
      if (std::find(backends.begin(), backends.end(), backend) == backends.end()) backends.push_back(backend);
      runs[backend].push_back(benchmark);
    }
  std::vector<std::string> shown;
  for (const auto& backend : backends) {
    const auto& ran = runs[backend];
    std::vector<std::string> left_out;
    for (const auto& benchmark : benchmarks)
      if (std::find(ran.begin(), ran.end(), benchmark) == ran.end()) left_out.push_back(benchmark);
    if (left_out.empty())
      shown.push_back(backend);
    else if (left_out.size() <= ran.size())
      shown.push_back(fmt::format("{} (every benchmark but {})", backend, fmt::join(left_out, ", ")));
    else
      shown.push_back(fmt::format("{} (only {})", backend, fmt::join(ran, ", ")));
  }
  return fmt::format("{}", fmt::join(shown, ", "));
}
}  // namespace

int print_benchmark_list(const std::string& only_benchmark) {
  const auto& suites = registry::instance();
  if (!only_benchmark.empty() && !suites.find(only_benchmark)) {
    const auto names = suites.benchmark_names();
    const auto suggestion = did_you_mean(only_benchmark, names);
    throw usage_error(fmt::format("unknown benchmark '{}'{}; benchmarks: {}", only_benchmark,
                                  suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion),
                                  fmt::join(names, ", ")));
  }
  for (const auto& name : suites.benchmark_names()) {
    if (!only_benchmark.empty() && name != only_benchmark) continue;
    const suite* s = suites.find(name);
    fmt::print("{} — {}\n  backends in this build: {}\n", name, s->description(name),
               fmt::join(s->backends(), ", "));
    fmt::print("  {:<16} {:<9} {:<10} {:<22} {}\n", "parameter", "type", "unit", "default", "allowed / doc");
    for (const auto& p : s->parameters(name)) {
      std::string allowed;
      if (!p.allowed.empty()) allowed = fmt::format("{{{}}} ", fmt::join(p.allowed, ", "));
      // Bounds as a plan writes them: 16TiB, 2147483647 (not 1.75922e+13, 2.14748e+09).
      const auto bound = [&](double value) {
        if (p.type == param_type::bytes && value >= 0 && value < 1.8e19)
          return format_bytes(static_cast<std::uint64_t>(value));
        if (value == static_cast<double>(static_cast<long long>(value))) return fmt::format("{:.0f}", value);
        return fmt::format("{:g}", value);
      };
      if (p.min || p.max)
        allowed += fmt::format("[{} … {}] ", p.min ? bound(*p.min) : "", p.max ? bound(*p.max) : "");
      if (p.swept_inside_worker) allowed += "(a list runs in one launch) ";
      fmt::print("  {:<16} {:<9} {:<10} {:<22} {}{}\n", p.name, to_string(p.type),
                 p.unit.empty() ? "-" : p.unit, shown_default(p), allowed, p.doc);
    }
    fmt::print("  {:<24} {:<8} {:<7} {}\n", "metric", "unit", "better", "description");
    for (const auto& m : reported_metrics(*s, name)) {
      const std::string condition = reporting_condition(m);
      fmt::print("  {:<24} {:<8} {:<7} {} [{}, {}{}]\n", m.name, m.unit, to_string(m.better_is),
                 m.description, m.scope == metric_scope::global ? "global" : "per rank", m.statistic,
                 condition.empty() ? "" : "; " + condition);
    }
    fmt::print("\n");
  }
  fmt::print(
      "Metric names are what a system file's references (`metric:`) and a plan's `outliers: spread:` rules "
      "name; a reference's unit must be the metric's or one that converts to it (GB/s ↔ TB/s, us ↔ ms).\n");
  fmt::print("backends in this build: {}\n", backends_in_this_build(suites));
  return 0;
}

int print_machine_info() {
  const cpu_info cpu = read_cpu_info();
  const bool cuda_built = gpus().built();
  fmt::print("exacheck {} ({}), {} CUDA\n", version, git_revision,
             cuda_built ? "built with" : "built without");
  fmt::print("host:      {}\nos:        {}\n", host_name(), os_description());
  fmt::print("cpu:       {}\ncores:     {} online, {} usable by this process\n", cpu.model, cpu.logical_cpus,
             cpu.allowed_cpus);
  fmt::print("memory:    {:.1f} GiB\n", static_cast<double>(cpu.memory_bytes) / (1024.0 * 1024 * 1024));
  fmt::print("llc:       {}\n", cpu.llc_bytes ? format_bytes(cpu.llc_bytes) : "unknown");
  auto libraries = library_versions();
  libraries.update(gpus().library_versions());
  for (const auto& [name, value] : libraries.items())
    fmt::print("{:<10} {}\n", name + ":", value.get<std::string>());
  std::string nvml_unavailable;
  if (const auto nvml = nvml_session::open(&nvml_unavailable)) {
    fmt::print("driver:    {}\n", nvml->driver_version());
    const int count = nvml->device_count();
    if (count == 0)
      fmt::print("gpus:      no GPU (NVML reports none); the cpu backend runs every benchmark\n");
    else
      fmt::print("gpus:      {}{}\n", count, cuda_built ? "" : "; this build has no CUDA backend");
    // Whatever NVML cannot tell on this GPU or driver is shown as "unknown", never as a made-up 0.
    const auto shown = [](const auto& value, const char* format) {
      return value ? fmt::format(fmt::runtime(format), *value) : std::string("unknown");
    };
    for (int index = 0; index < count; ++index) {
      const gpu_identity id = nvml->identity(index);
      const gpu_sample now = nvml->sample(index);
      fmt::print("gpu {}:     {}, uuid {}, serial {}, pci {}, sm {}, mem {}, {}, power {} / {}\n", index,
                 shown(id.name, "{}"), shown(id.uuid, "{}"), shown(id.serial, "{}"),
                 shown(id.pci_bus_id, "{}"), shown(now.sm_clock_mhz, "{} MHz"),
                 shown(now.mem_clock_mhz, "{} MHz"), shown(now.temperature_c, "{} C"),
                 shown(now.power_w, "{:.0f} W"), shown(now.power_limit_w, "{:.0f} W"));
    }
    return 0;
  }
  // Without NVML the kernel driver's /proc entries still tell whether GPUs exist (e.g. a driver/library
  // version mismatch after an upgrade), and the reason NVML gave says what to fix.
  const auto gpus = nvidia_gpus_from_driver();
  if (gpus.empty())
    fmt::print("gpus:      no GPU (no NVIDIA driver reports one; {}); the cpu backend runs every benchmark\n",
               nvml_unavailable);
  else
    fmt::print("gpus:      {} reported by the NVIDIA driver ({}){}; {}\n", gpus.size(), fmt::join(gpus, ", "),
               cuda_built ? "" : "; this build has no CUDA backend", nvml_unavailable);
  return 0;
}

}  // namespace exacheck
