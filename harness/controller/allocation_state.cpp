#include "harness/controller/allocation_state.hpp"

#include <fmt/core.h>

#include <array>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <regex>

#include "harness/controller/process.hpp"
#include "harness/io/files.hpp"

namespace exacheck {

bool job_state_means_gone(const std::string& state) {
  // Slurm 22.05 job states (squeue(1) "JOB STATE CODES"; src/common/slurm_protocol_defs.c job_state_string).
  constexpr std::array<std::string_view, 12> gone{"COMPLETING", "COMPLETED",     "CANCELLED", "FAILED",
                                                  "TIMEOUT",    "NODE_FAIL",     "PREEMPTED", "BOOT_FAIL",
                                                  "DEADLINE",   "OUT_OF_MEMORY", "REVOKED",   "gone"};
  for (const auto g : gone)
    if (state == g) return true;
  return false;
}

std::string job_state_from_scontrol(const std::string& output) {
  static const std::regex state(R"(JobState=([A-Z_]+))");
  std::smatch m;
  if (std::regex_search(output, m, state)) return m[1].str();
  // slurm_strerror(ESLURM_INVALID_JOB_ID): the job has left slurmctld's memory (MinJobAge after its end).
  if (output.find("Invalid job id specified") != std::string::npos) return "gone";
  return "";
}

namespace {

std::string which_allocation(const std::string& job_id) {
  return job_id.empty() ? "the Slurm allocation" : "the Slurm allocation (job " + job_id + ")";
}

// The job's state as `scontrol -o show job` gives it (its output in `scratch_file`, at most 15 s); nullopt
// when scontrol is not here or could not be asked.
std::optional<std::string> ask_job_state(const std::string& job_id, const std::string& scratch_file) {
  try {
    std::error_code ignored;
    std::filesystem::remove(scratch_file, ignored);
    const auto ended = run_process({"scontrol", "-o", "show", "job", job_id}, {}, scratch_file, 15, nullptr);
    if (ended.how == process_result::ending::failed_to_start) return std::nullopt;  // no scontrol here
    const std::string state = job_state_from_scontrol(read_file(scratch_file));
    std::filesystem::remove(scratch_file, ignored);
    return state;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// `said`: what the launcher said of the failure ("srun: error: Node failure on node02"), added to the reason.
std::optional<allocation_gone> gone_if_state_says_so(allocation_gone gone, const std::string& scratch_file,
                                                     const std::string& said = "") {
  const auto state = ask_job_state(gone.job_id, scratch_file);
  if (!state || !job_state_means_gone(*state)) return std::nullopt;
  gone.state = *state;
  const std::string which = which_allocation(gone.job_id);
  gone.reason = gone.state == "gone" ? fmt::format("{} is gone: Slurm no longer knows the job", which)
                                     : fmt::format("{} is gone: its state is {}", which, gone.state);
  if (!said.empty()) gone.reason += fmt::format(" (after {})", said);
  return gone;
}

}  // namespace

std::optional<allocation_gone> check_allocation(const nlohmann::json& entry,
                                                const std::string& scratch_file) {
  const char* job = std::getenv("SLURM_JOB_ID");
  allocation_gone gone;
  gone.job_id = job ? job : "";
  const nlohmann::json failure = entry.value("failure", nlohmann::json::object());
  if (failure.is_object() && failure.value("allocation_gone", false)) {
    gone.reason = fmt::format("{} is gone: {}", which_allocation(gone.job_id),
                              failure.value("launcher_message", "the launcher said so"));
    return gone;
  }
  const std::string status = entry.value("status", "");
  if (gone.job_id.empty() || (status != "error" && status != "timeout")) return std::nullopt;
  return gone_if_state_says_so(std::move(gone), scratch_file,
                               failure.is_object() ? failure.value("launcher_message", "") : "");
}

std::optional<allocation_gone> job_ending_after_signal(int signal, const std::string& scratch_file) {
  const char* job = std::getenv("SLURM_JOB_ID");
  if (signal != SIGTERM || !job || !*job) return std::nullopt;
  allocation_gone gone;
  gone.job_id = job;
  return gone_if_state_says_so(std::move(gone), scratch_file);
}

}  // namespace exacheck
