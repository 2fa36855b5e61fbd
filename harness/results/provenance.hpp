#pragma once
// What a result is measured on: host, CPU, memory, library versions. Recorded with every run (DESIGN.md).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace exacheck {

struct cpu_info {
  std::string model;     // /proc/cpuinfo "model name"
  int logical_cpus = 0;  // online
  int allowed_cpus = 0;  // in this process's affinity mask
  std::uint64_t memory_bytes = 0;
  std::uint64_t llc_bytes = 0;  // 0 when unknown
  // What a core can do at most, for the CPU backend's physical ceilings
  // (harness/results/physical_limits.hpp): the highest clock the CPU states (cpufreq's cpuinfo_max_freq, else
  // the highest "cpu MHz"), and the widest vector its flags name (avx512f 512, avx 256, sse2/asimd 128, sve
  // 2048: SVE's architectural maximum).
  double max_clock_hz = 0;  // 0 when unknown
  int vector_bits = 0;      // 0 when unknown
};

std::string host_name();
cpu_info read_cpu_info();
nlohmann::json to_json(const cpu_info& info);
// Versions of every library exacheck is built with: MPI, OpenBLAS, yaml-cpp, fmt, nlohmann-json, CUDA when
// built.
nlohmann::json library_versions();
std::string os_description();            // "Linux 6.1.0 x86_64"
std::string utc_timestamp_now();         // ISO 8601, "2026-11-24T08:00:00Z"
std::uint64_t last_level_cache_bytes();  // sysfs; 0 when unreadable
// The widest SIMD vector named by a /proc/cpuinfo "flags" (x86) or "Features" (Arm) list, in bits; 0 when it
// names none it knows.
int widest_vector_bits(const std::string& cpu_flags);

}  // namespace exacheck
