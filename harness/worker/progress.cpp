#include "harness/worker/progress.hpp"

#include <unistd.h>

#include <filesystem>

#include "harness/core/measurement_progress.hpp"
#include "harness/results/provenance.hpp"

namespace exacheck {

int points_in_launch(const nlohmann::json& params) {
  long long points = 1;
  if (params.is_object())
    for (const auto& [name, value] : params.items())
      if (value.is_array() && !value.empty())
        points = std::min<long long>(points * static_cast<long long>(value.size()), 1 << 30);
  return static_cast<int>(points);
}

progress_reporter::progress_reporter(const std::string& case_file)
    : m_directory(progress_directory(std::filesystem::path(case_file).parent_path().string())) {
  const auto from_environment = launcher_rank_from_environment();
  m_rank_from_environment = from_environment.has_value();
  m_progress.rank = from_environment.value_or(0);
  m_progress.host = host_name();
  m_progress.pid = static_cast<long>(::getpid());
  m_progress.phase = rank_phase::started;
  write();
}

progress_reporter::~progress_reporter() {
  set_measurement_observer({});
}

void progress_reporter::initialised(int rank) {
  if (rank != m_progress.rank) {
    // The file goes by the rank MPI says. The one written as the environment's rank is this process's own
    // (removed); a guessed rank 0 may be another process's file by now (kept).
    std::error_code ignored;
    if (m_rank_from_environment)
      std::filesystem::remove(
          std::filesystem::path(m_directory) / ("rank-" + std::to_string(m_progress.rank) + ".json"),
          ignored);
    m_progress.rank = rank;
  }
  m_progress.phase = rank_phase::initialised;
  write();
}

void progress_reporter::measuring(const nlohmann::json& params) {
  m_progress.phase = rank_phase::measuring;
  m_progress.point = 0;
  m_progress.points = points_in_launch(params);
  write();
  set_measurement_observer([this] {
    ++m_progress.point;
    write();
  });
}

void progress_reporter::gathering() {
  set_measurement_observer({});
  m_progress.phase = rank_phase::gathering;
  write();
}

void progress_reporter::done() {
  m_progress.phase = rank_phase::done;
  write();
}

void progress_reporter::failed(const std::string& error) {
  set_measurement_observer({});
  m_progress.phase = rank_phase::failed;
  m_progress.error = error.size() > 500 ? error.substr(0, 500) + "…" : error;
  write();
}

void progress_reporter::write() {
  m_progress.updated_at = utc_timestamp_now();
  write_rank_progress(m_directory, m_progress);
}

}  // namespace exacheck
