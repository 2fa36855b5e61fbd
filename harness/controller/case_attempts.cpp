#include "harness/controller/case_attempts.hpp"

#include <fmt/core.h>

namespace exacheck {

bool should_retry_launch(const nlohmann::json& entry, int attempt, int launch_retries) {
  if (attempt > launch_retries || entry.value("status", "") != "error") return false;
  const auto failure = entry.find("failure");
  if (failure == entry.end() || !failure->is_object()) return false;
  return failure->value("before_measuring", false) && !failure->value("allocation_gone", false) &&
         failure->value("cause", "") != "launcher_not_started";
}

nlohmann::json attempt_record(const nlohmann::json& entry, int attempt) {
  return {{"attempt", attempt},
          {"status", entry.value("status", "")},
          {"outcome", entry.value("outcome", nlohmann::json(nullptr))},
          {"message", entry.value("message", "")},
          {"elapsed_s", entry.value("elapsed_s", 0.0)},
          {"failure", entry.value("failure", nlohmann::json(nullptr))}};
}

void record_attempts(nlohmann::json& entry, nlohmann::json earlier) {
  if (earlier.empty()) return;
  const int last = static_cast<int>(earlier.size()) + 1;
  std::string before;
  for (const auto& a : earlier)
    before += fmt::format("{}attempt {}: {}", before.empty() ? "" : "; ", a.value("attempt", 0),
                          a.value("message", ""));
  earlier.push_back(attempt_record(entry, last));
  entry["attempts"] = std::move(earlier);
  const std::string message = entry.value("message", "");
  if (entry.value("status", "") == "completed")
    entry["message"] = fmt::format("retried: passed on attempt {} of {}; {}{}", last, last, before,
                                   message.empty() ? "" : " — " + message);
  else
    entry["message"] = fmt::format("{} (attempt {} of {}; {})", message, last, last, before);
}

void stop_for_lost_allocation(nlohmann::json& run, std::size_t first_not_run, const allocation_gone& gone) {
  nlohmann::json not_run = nlohmann::json::array();
  auto& cases = run["cases"];
  for (std::size_t i = first_not_run; i < cases.size(); ++i) {
    auto& c = cases[i];
    c["status"] = "not_run";
    c["message"] = "not run: " + gone.reason;
    not_run.push_back({{"id", c.value("id", "")}, {"name", c.value("name", "")}});
  }
  run["stopped"] = {{"cause", "allocation_gone"},
                    {"reason", gone.reason},
                    {"job_id", gone.job_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(gone.job_id)},
                    {"job_state", gone.state.empty() ? nlohmann::json(nullptr) : nlohmann::json(gone.state)},
                    {"after_case", first_not_run > 0 ? cases[first_not_run - 1].value("id", "") : ""},
                    {"cases_not_run", std::move(not_run)}};
}

}  // namespace exacheck
