#pragma once
// A worker rank's progress reporter: keeps this rank's progress file (harness/results/rank_progress.hpp) in
// step with what the rank does. One small atomic write per step and per point: started, initialised,
// measuring (every point, through the measurement loop's observer), gathering, done or failed.
#include <nlohmann/json.hpp>
#include <string>

#include "harness/results/rank_progress.hpp"

namespace exacheck {

class progress_reporter {
 public:
  // Writes "started" at once, as the rank the launcher's environment names (rank 0 when none does), from the
  // case file's directory.
  explicit progress_reporter(const std::string& case_file);
  // Stops observing the measurement loop.
  ~progress_reporter();
  // Holds the observer registered with the measurement loop, which points at this object: not copyable.
  progress_reporter(const progress_reporter&) = delete;
  progress_reporter& operator=(const progress_reporter&) = delete;

  // MPI_Init is done: this is rank `rank`.
  void initialised(int rank);
  // The benchmark begins on `params` (the points it will measure: the product of its list-valued
  // parameters); from here on every measurement that starts is the next point.
  void measuring(const nlohmann::json& params);
  void gathering();
  void done();
  void failed(const std::string& error);

 private:
  void write();

  std::string m_directory;
  rank_progress m_progress;
  bool m_rank_from_environment = false;
};

// How many points a launch measures: the product of the lengths of its list-valued parameters (the in-worker
// sweeps), at least 1.
int points_in_launch(const nlohmann::json& params);

}  // namespace exacheck
