#include "suites/membw/membw_sizing.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

namespace exacheck::membw {
namespace {

std::string read_line(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}

// sysfs cache sizes: "32768K", "1024K", "32M" (binary multiples).
std::uint64_t parse_cache_size(const std::string& text) {
  std::size_t used = 0;
  std::uint64_t value = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    return 0;
  }
  const char suffix = used < text.size() ? static_cast<char>(std::toupper(text[used])) : '\0';
  if (suffix == 'K') return value << 10;
  if (suffix == 'M') return value << 20;
  if (suffix == 'G') return value << 30;
  return value;
}

}  // namespace

last_level_cache read_last_level_cache(const std::string& cpu_root) {
  namespace fs = std::filesystem;
  last_level_cache llc;
  std::string llc_index;
  std::error_code error;
  const fs::path cpu0 = fs::path(cpu_root) / "cpu0" / "cache";
  for (const auto& entry : fs::directory_iterator(cpu0, error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("index", 0) != 0) continue;
    if (read_line(entry.path() / "type") == "Instruction") continue;
    const std::string level_text = read_line(entry.path() / "level");
    const int level = level_text.empty() ? 0 : std::atoi(level_text.c_str());
    const std::uint64_t size = parse_cache_size(read_line(entry.path() / "size"));
    if (level > llc.level && size > 0) {
      llc.level = level;
      llc.instance_bytes = size;
      llc_index = name;
    }
  }
  if (llc.level == 0) return {};
  // One instance per distinct set of CPUs sharing it; CPUs without the file (offline) are skipped.
  std::set<std::string> shared_sets;
  for (const auto& entry : fs::directory_iterator(fs::path(cpu_root), error)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 4 || name.rfind("cpu", 0) != 0 || !std::isdigit(static_cast<unsigned char>(name[3])))
      continue;
    const std::string shared = read_line(entry.path() / "cache" / llc_index / "shared_cpu_list");
    if (!shared.empty()) shared_sets.insert(shared);
  }
  llc.instances = std::max<int>(1, static_cast<int>(shared_sets.size()));
  return llc;
}

std::uint64_t auto_array_bytes(std::uint64_t llc_bytes, int local_ranks, std::uint64_t element_bytes) {
  const std::uint64_t node_bytes = 4 * (llc_bytes > 0 ? llc_bytes : fallback_llc_bytes);
  const auto ranks = static_cast<std::uint64_t>(std::max(local_ranks, 1));
  const std::uint64_t per_rank = (node_bytes + ranks - 1) / ranks;  // rounded up: the total never falls short
  const std::uint64_t line = std::max<std::uint64_t>(64, element_bytes);
  return (per_rank + line - 1) / line * line;
}

}  // namespace exacheck::membw
