#pragma once
// Whether the Slurm allocation a run lives in is gone (revoked, expired, cancelled, ended by a node failure):
// then no later case can run, and the run stops as INCOMPLETE with the cases it could not run listed once,
// instead of one ERROR per remaining case. Read from what the launcher said (launcher_messages.hpp) and,
// inside an allocation (SLURM_JOB_ID) where `scontrol` exists, from the job's state.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace exacheck {

struct allocation_gone {
  std::string job_id;  // SLURM_JOB_ID, "" outside Slurm
  std::string state;   // scontrol's JobState ("NODE_FAIL"), "" when not asked or not known
  std::string reason;  // "the Slurm allocation (job 11) is gone: srun: error: Node failure on node03"
};

// Whether Slurm's JobState `state` means that no step can run in the job any more (COMPLETING, COMPLETED,
// CANCELLED, FAILED, TIMEOUT, NODE_FAIL, PREEMPTED, BOOT_FAIL, DEADLINE, OUT_OF_MEMORY); RUNNING,
// CONFIGURING, SUSPENDED, RESIZING and anything unknown do not.
bool job_state_means_gone(const std::string& state);

// "JobState=NODE_FAIL" in `scontrol -o show job` output → "NODE_FAIL"; "Invalid job id specified" → "gone";
// "" when neither.
std::string job_state_from_scontrol(const std::string& output);

// After a case that did not complete (`entry`, a run.json case entry with its `failure`): whether the
// allocation is gone. Asks `scontrol -o show job $SLURM_JOB_ID` (its output in `scratch_file`, at most 15 s)
// when SLURM_JOB_ID is set and the launcher's messages did not already say so.
std::optional<allocation_gone> check_allocation(const nlohmann::json& entry, const std::string& scratch_file);

// Slurm ends a job (a node failure, its time limit, an scancel) by sending SIGTERM to every process in it,
// this controller included: under sbatch that is how a lost node reaches the run. After the controller
// received `signal`: when it is SIGTERM, inside an allocation (SLURM_JOB_ID), and scontrol says the job is
// ending (COMPLETING and the other states of job_state_means_gone), the allocation is gone; otherwise
// (SIGINT, SIGHUP, outside Slurm, a job still RUNNING, no scontrol) it is an interrupt, nullopt.
std::optional<allocation_gone> job_ending_after_signal(int signal, const std::string& scratch_file);

}  // namespace exacheck
