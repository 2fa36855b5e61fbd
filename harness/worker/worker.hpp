#pragma once
// `exacheck worker`: the MPI side of one case. Every rank binds, runs the benchmark, and rank 0 gathers every
// rank's results into one result file, written atomically. The controller never runs inside MPI.
#include <nlohmann/json.hpp>
#include <string>

namespace exacheck {

struct worker_options {
  std::string case_file;    // JSON written by the controller (schema exacheck/case/v1)
  std::string result_file;  // where rank 0 writes the gathered results (schema exacheck/case-result/v1)
  int threads = 0;          // OpenMP/BLAS threads per rank; 0: from the case file
};

// Runs the worker on this rank; returns the process exit code (0 also when the benchmark gave a wrong answer:
// that is a result, not a failure of the worker).
int run_worker(const worker_options& options);

}  // namespace exacheck
