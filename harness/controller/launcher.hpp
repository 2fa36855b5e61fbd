#pragma once
// Builds the argv that starts a case's worker ranks. The argv is a vector exec'd directly: plans are data and
// never pass through a shell.
#include <map>
#include <string>
#include <vector>

namespace exacheck {

struct launch_request {
  std::string launcher = "mpirun";  // local | mpirun | srun
  int ranks = 1;
  int ranks_per_node = 0;  // asked of the launcher (mpirun ppr:N:node, srun --ntasks-per-node); 0: its choice
  int threads_per_rank = 1;
  int cpus_on_node = 1;                    // for mpirun's oversubscription decision (the least of its nodes)
  std::vector<std::string> worker_argv{};  // {"/path/exacheck", "worker", "--case", "..."}
  // The most ranks one node gets, for the oversubscription decision; 0: ranks_per_node, else every rank on
  // one node (mpirun on the controller's node).
  int ranks_on_busiest_node = 0;
  int nodes = 0;           // srun --nodes when > 0
  std::string hosts{};     // mpirun --host ("a:4,b:4") when not empty
  std::string hostfile{};  // mpirun --hostfile when not empty
  std::vector<std::string>
      launcher_args{};  // the plan's launcher_args, after exacheck's own, before the worker
};

struct launch_command {
  std::vector<std::string> argv;
  std::map<std::string, std::string> environment;  // added to the controller's environment
};

// Throws usage_error when the request cannot be launched (e.g. local with more than one rank, or
// launcher_args for launcher local).
launch_command build_launch_command(const launch_request& request);

// The threading environment every launch gives its worker ranks, overriding the site's: OMP_PROC_BIND=false
// (exacheck pins its threads itself, inside what the launcher granted), OMP_NUM_THREADS and
// OPENBLAS_NUM_THREADS = the rank's threads.
std::map<std::string, std::string> worker_threading_environment(int threads_per_rank);

// How many OpenMP/BLAS threads each rank gets: the node's CPUs shared by the ranks on it, at least 1.
int threads_per_rank(int cpus_on_node, int ranks_on_node);

// The argv as a copy-pasteable shell line (for --dry-run and logs), quoting what needs it.
std::string shell_quote(const std::vector<std::string>& argv);

// The controller's environment variables that change how a launch runs, for run.json's record of it and
// its rerun line: Open MPI's, PMIx's and PRRTE's settings (OMPI_*, PMIX_*, PRTE_*), UCX_*, NCCL_*, the OpenMP
// and BLAS threading settings (OMP_*, GOMP_*, KMP_*, OPENBLAS_*, MKL_*, BLIS_*),
// CUDA_VISIBLE_DEVICES, and the SLURM_* inputs that srun reads as options (SLURM_MPI_TYPE, SLURM_CPU_BIND,
// SLURM_DISTRIBUTION, SLURM_NTASKS_PER_NODE, SLURM_CPUS_PER_TASK, GPU requests, …), but not the job's
// identity (SLURM_JOB_ID and its node list: a rerun is in an allocation of its own). Read from `environ`.
std::map<std::string, std::string> launch_relevant_environment();
bool is_launch_relevant_variable(const std::string& name);

// "env A=1 B=2 argv…": the launch as a line a shell reruns (the case's own files must still be there).
std::string rerun_line(const std::map<std::string, std::string>& environment,
                       const std::vector<std::string>& argv);

}  // namespace exacheck
