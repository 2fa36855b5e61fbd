#include "harness/results/rank_progress.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "harness/io/files.hpp"

namespace exacheck {
namespace fs = std::filesystem;

std::string to_string(rank_phase phase) {
  switch (phase) {
    case rank_phase::started:
      return "started";
    case rank_phase::initialised:
      return "initialised";
    case rank_phase::measuring:
      return "measuring";
    case rank_phase::gathering:
      return "gathering";
    case rank_phase::done:
      return "done";
    case rank_phase::failed:
      return "failed";
  }
  return "started";
}

std::optional<rank_phase> rank_phase_from_string(const std::string& text) {
  for (const auto phase : {rank_phase::started, rank_phase::initialised, rank_phase::measuring,
                           rank_phase::gathering, rank_phase::done, rank_phase::failed})
    if (to_string(phase) == text) return phase;
  return std::nullopt;
}

std::string progress_directory(const std::string& case_dir) {
  return (fs::path(case_dir) / "progress").string();
}

void write_rank_progress(const std::string& directory, const rank_progress& p) {
  try {
    std::error_code ignored;
    fs::create_directories(directory, ignored);
    nlohmann::json j = {{"schema", rank_progress_schema},
                        {"rank", p.rank},
                        {"host", p.host},
                        {"pid", p.pid},
                        {"phase", to_string(p.phase)},
                        {"point", p.point},
                        {"points", p.points},
                        {"updated_at", p.updated_at}};
    if (!p.error.empty()) j["error"] = p.error;
    write_file_atomically((fs::path(directory) / fmt::format("rank-{}.json", p.rank)).string(), json_dump(j));
  } catch (...) {
  }
}

std::vector<rank_progress> read_rank_progress(const std::string& directory) {
  std::vector<rank_progress> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(directory, error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("rank-") || !name.ends_with(".json")) continue;
    try {
      const auto j = parse_json_file(entry.path().string());
      if (!j.is_object() || j.value("schema", "") != rank_progress_schema) continue;
      rank_progress p;
      p.rank = j.at("rank").get<int>();
      p.host = j.value("host", "");
      p.pid = j.value("pid", 0L);
      p.phase = rank_phase_from_string(j.value("phase", "")).value_or(rank_phase::started);
      p.point = j.value("point", 0);
      p.points = j.value("points", 0);
      p.error = j.value("error", "");
      p.updated_at = j.value("updated_at", "");
      if (p.rank >= 0) found.push_back(std::move(p));
    } catch (const std::exception&) {
      // half a file cannot be (atomic writes), a stranger's file can: skipped
    }
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.rank < b.rank; });
  return found;
}

std::optional<int> launcher_rank_from_environment() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID", "PMI_RANK"})
    if (const char* value = std::getenv(name); value && *value) {
      char* end = nullptr;
      const long rank = std::strtol(value, &end, 10);
      if (end && *end == '\0' && rank >= 0 && rank < (1L << 30)) return static_cast<int>(rank);
    }
  return std::nullopt;
}

std::string describe_phase(const rank_progress& p) {
  switch (p.phase) {
    case rank_phase::started:
      return "in MPI_Init";
    case rank_phase::initialised:
      return "setting up the benchmark";
    case rank_phase::measuring:
      if (p.point <= 0) return "setting up the first point";
      if (p.points > 0 && p.point <= p.points) return fmt::format("measuring point {}/{}", p.point, p.points);
      return fmt::format("measuring point {}", p.point);
    case rank_phase::gathering:
      return "gathering results to rank 0";
    case rank_phase::done:
      return "done";
    case rank_phase::failed:
      return p.error.empty() ? "failed" : "failed: " + p.error;
  }
  return "";
}

}  // namespace exacheck
