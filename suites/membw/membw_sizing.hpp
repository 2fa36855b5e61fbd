#pragma once
// How large the STREAM arrays are. STREAM's rule (McCalpin, stream.c header): each array must be at least
// 4 times the size of all the last-level caches it could sit in, or the kernels measure cache, not memory.
#include <cstdint>
#include <string>

namespace exacheck::membw {

// The node's last-level cache as sysfs describes it: cpu0's highest-level data/unified cache (level 3 where
// present), times the number of distinct instances of that cache (distinct shared_cpu_list over the CPUs) —
// AMD EPYC has one L3 per CCD and a two-socket node one per socket, all of which a node's ranks fill.
struct last_level_cache {
  int level = 0;  // 0: unreadable
  std::uint64_t instance_bytes = 0;
  int instances = 0;
  std::uint64_t total_bytes() const { return instance_bytes * static_cast<std::uint64_t>(instances); }
};

// `cpu_root` is /sys/devices/system/cpu (tests pass a fake tree).
last_level_cache read_last_level_cache(const std::string& cpu_root = "/sys/devices/system/cpu");

// Used when sysfs says nothing (containers, unusual kernels): 32 MiB, the L3 of one current x86 CCD/socket
// slice. A documented guess, not a measurement: set array_bytes explicitly on such machines.
inline constexpr std::uint64_t fallback_llc_bytes = std::uint64_t{32} << 20;

// Bytes per array for one rank when array_bytes is 0 (auto): the node's arrays together are at least
// 4 × LLC, split evenly over the `local_ranks` ranks that share the node (each rank's threads run the
// kernels on their own arrays at the same time). Rounded up to a whole number of 64-byte lines of
// `element_bytes` elements. llc_bytes 0 means unknown: fallback_llc_bytes.
std::uint64_t auto_array_bytes(std::uint64_t llc_bytes, int local_ranks, std::uint64_t element_bytes);

}  // namespace exacheck::membw
