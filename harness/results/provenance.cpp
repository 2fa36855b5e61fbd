#include "harness/results/provenance.hpp"

#include <cblas.h>
#include <fmt/core.h>
#include <mpi.h>
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

#include "exacheck_version.hpp"

namespace exacheck {
namespace {
std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\n\r");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\n\r");
  return text.substr(first, last - first + 1);
}

std::uint64_t parse_cache_size(std::string text) {
  text = trim(text);
  if (text.empty()) return 0;
  std::uint64_t multiplier = 1;
  switch (text.back()) {
    case 'K':
      multiplier = 1024;
      break;
    case 'M':
      multiplier = 1024 * 1024;
      break;
    case 'G':
      multiplier = 1024ull * 1024 * 1024;
      break;
    default:
      break;
  }
  try {
    return std::stoull(text) * multiplier;
  } catch (...) {
    return 0;
  }
}
}  // namespace

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) return "unknown";
  return buffer;
}

std::uint64_t last_level_cache_bytes() {
  int best_level = 0;
  std::uint64_t best_size = 0;
  for (int index = 0; index < 16; ++index) {
    const std::string dir = fmt::format("/sys/devices/system/cpu/cpu0/cache/index{}/", index);
    std::ifstream level_file(dir + "level"), size_file(dir + "size"), type_file(dir + "type");
    if (!level_file || !size_file) continue;
    int level = 0;
    std::string size, type;
    level_file >> level;
    std::getline(size_file, size);
    std::getline(type_file, type);
    if (type == "Instruction") continue;
    if (level > best_level) {
      best_level = level;
      best_size = parse_cache_size(size);
    }
  }
  return best_size;
}

int widest_vector_bits(const std::string& cpu_flags) {
  // SVE's length is the implementation's, up to 2048 bits: the most it can be.
  static constexpr std::pair<std::string_view, int> widths[] = {
      {"sve", 2048}, {"avx512f", 512}, {"avx", 256}, {"avx2", 256},
      {"sse2", 128}, {"asimd", 128},   {"neon", 128}};
  std::istringstream words(cpu_flags);
  int widest = 0;
  for (std::string flag; words >> flag;)
    for (const auto& [name, bits] : widths)
      if (flag == name) widest = std::max(widest, bits);
  return widest;
}

cpu_info read_cpu_info() {
  cpu_info info;
  std::ifstream cpuinfo("/proc/cpuinfo");
  double highest_mhz = 0;
  for (std::string line; std::getline(cpuinfo, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
    if (key == "model name" && info.model.empty()) {
      info.model = value;
    } else if (key == "cpu MHz") {
      try {
        highest_mhz = std::max(highest_mhz, std::stod(value));
      } catch (const std::exception&) {
      }
    } else if ((key == "flags" || key == "Features") && info.vector_bits == 0) {
      info.vector_bits = widest_vector_bits(value);
    }
  }
  std::ifstream max_freq("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");  // kHz
  double max_khz = 0;
  if (max_freq >> max_khz && max_khz > 0)
    info.max_clock_hz = max_khz * 1e3;
  else
    info.max_clock_hz = highest_mhz * 1e6;
  info.logical_cpus = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  cpu_set_t mask;
  CPU_ZERO(&mask);
  info.allowed_cpus = ::sched_getaffinity(0, sizeof mask, &mask) == 0 ? CPU_COUNT(&mask) : info.logical_cpus;
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);) {
    if (line.rfind("MemTotal:", 0) == 0) {
      info.memory_bytes = std::stoull(line.substr(9)) * 1024;  // reported in kB (KiB)
      break;
    }
  }
  info.llc_bytes = last_level_cache_bytes();
  return info;
}

nlohmann::json to_json(const cpu_info& info) {
  return {{"model", info.model},
          {"logical_cpus", info.logical_cpus},
          {"allowed_cpus", info.allowed_cpus},
          {"memory_bytes", info.memory_bytes},
          {"llc_bytes", info.llc_bytes},
          {"max_clock_hz", info.max_clock_hz},
          {"vector_bits", info.vector_bits}};
}

nlohmann::json library_versions() {
  char mpi_version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(mpi_version, &length);  // callable before MPI_Init
  std::string mpi = trim(std::string(mpi_version, static_cast<std::size_t>(length)));
  if (const auto comma = mpi.find(','); comma != std::string::npos) mpi = mpi.substr(0, comma);
  return {{"exacheck", fmt::format("{} ({})", version, git_revision)},
          {"mpi", mpi},
          {"openblas", trim(openblas_get_config())},
          {"yaml-cpp", EXACHECK_YAML_CPP_VERSION},
          {"fmt", fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100)},
          {"nlohmann-json", fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR, NLOHMANN_JSON_VERSION_MINOR,
                                        NLOHMANN_JSON_VERSION_PATCH)},
          {"compiler", fmt::format("{} {}", "gcc-compatible", __VERSION__)}};
}

std::string os_description() {
  utsname name{};
  if (::uname(&name) != 0) return "unknown";
  return fmt::format("{} {} {}", name.sysname, name.release, name.machine);
}

std::string utc_timestamp_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

}  // namespace exacheck
