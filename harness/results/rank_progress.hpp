#pragma once
// Each worker rank's progress, one small file per rank in its case directory (progress/rank-<N>.json),
// written atomically at every step: started (before MPI_Init), initialised (MPI_Init done), measuring (point
// i of n), gathering (results to rank 0), done — or failed, with the rank's error. When a case hangs or dies,
// the controller reads them to name the ranks and hosts that never finished and what they were doing ("ranks
// 2-3 on node03 stuck measuring point 4/9"), and the ranks that never started. Format: docs/run-json.md.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace exacheck {

inline constexpr const char* rank_progress_schema = "exacheck/rank-progress/v1";

enum class rank_phase { started, initialised, measuring, gathering, done, failed };
std::string to_string(rank_phase phase);
std::optional<rank_phase> rank_phase_from_string(const std::string& text);

struct rank_progress {
  int rank = -1;
  std::string host;
  long pid = 0;
  rank_phase phase = rank_phase::started;
  int point = 0;      // measuring: the point whose measurement began (1-based); 0 before the first
  int points = 0;     // how many the launch measures (the product of its in-worker sweeps), 0 when unknown
  std::string error;  // failed: the rank's error
  std::string updated_at;  // UTC, ISO 8601
};

// The directory of a case's progress files, given the case directory.
std::string progress_directory(const std::string& case_dir);

// Writes rank `p.rank`'s file in `directory` (created when missing) atomically; never throws (progress is
// evidence, never a reason to fail a rank).
void write_rank_progress(const std::string& directory, const rank_progress& p);

// Every readable progress file in `directory`, by rank; files that are not a rank's progress are skipped.
std::vector<rank_progress> read_rank_progress(const std::string& directory);

// The rank this process will be, from the launcher's environment before MPI_Init (Open MPI's
// OMPI_COMM_WORLD_RANK, PMIx's PMIX_RANK, Slurm's SLURM_PROCID, PMI's PMI_RANK), or nullopt.
std::optional<int> launcher_rank_from_environment();

// What the rank was doing, as a TIMEOUT ("stuck " + it) or an ERROR names it: "in MPI_Init", "setting up the
// benchmark", "measuring point 4/9", "gathering results to rank 0", "done", "failed: <its error>".
std::string describe_phase(const rank_progress& p);

}  // namespace exacheck
