#include "harness/controller/allocation_state.hpp"

#include <fmt/core.h>

#include <array>
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

std::optional<allocation_gone> check_allocation(const nlohmann::json& entry,
                                                const std::string& scratch_file) {
  const char* job = std::getenv("SLURM_JOB_ID");
  allocation_gone gone;
  gone.job_id = job ? job : "";
  const std::string which =
      gone.job_id.empty() ? "the Slurm allocation" : "the Slurm allocation (job " + gone.job_id + ")";
  const nlohmann::json failure = entry.value("failure", nlohmann::json::object());
  if (failure.is_object() && failure.value("allocation_gone", false)) {
    gone.reason =
        fmt::format("{} is gone: {}", which, failure.value("launcher_message", "the launcher said so"));
    return gone;
  }
  const std::string status = entry.value("status", "");
  if (gone.job_id.empty() || (status != "error" && status != "timeout")) return std::nullopt;
  try {
    std::error_code ignored;
    std::filesystem::remove(scratch_file, ignored);
    const auto ended =
        run_process({"scontrol", "-o", "show", "job", gone.job_id}, {}, scratch_file, 15, nullptr);
    if (ended.how == process_result::ending::failed_to_start) return std::nullopt;  // no scontrol here
    gone.state = job_state_from_scontrol(read_file(scratch_file));
    std::filesystem::remove(scratch_file, ignored);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!job_state_means_gone(gone.state)) return std::nullopt;
  gone.reason = gone.state == "gone" ? fmt::format("{} is gone: Slurm no longer knows the job", which)
                                     : fmt::format("{} is gone: its state is {}", which, gone.state);
  return gone;
}

}  // namespace exacheck
