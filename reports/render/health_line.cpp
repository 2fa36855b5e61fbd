// The NHC-style failure line of `exacheck node-check` (reports/render/health_line.hpp).
#include "reports/render/health_line.hpp"

#include <fmt/core.h>

#include "harness/results/run_fields.hpp"
#include "reports/render/device_text.hpp"

namespace exacheck::reports {
namespace {

std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

// ", 3 more failing checks; 1 more device needs attention"
std::string and_more(std::size_t reasons, std::size_t devices) {
  std::string more;
  if (reasons > 0) more += fmt::format("; {} more failing check{}", reasons, reasons == 1 ? "" : "s");
  if (devices > 0)
    more += fmt::format("; {} more device{} need{} attention", devices, devices == 1 ? "" : "s",
                        devices == 1 ? "s" : "");
  return more;
}

}  // namespace

std::string health_check_line(const std::string& what, const std::string& run_dir) {
  return one_line(fmt::format("{}{} (run {})", health_check_prefix, what, run_dir));
}

std::string health_check_failure(const nlohmann::json& run, const std::string& run_dir) {
  const nlohmann::json& verdicts = device_verdicts_of(run);
  const std::string verdict = text_field(run, "verdict");
  const nlohmann::json& attention = list_field(verdicts, "attention");
  const nlohmann::json& untied = list_field(verdicts, "not_tied");
  if (!attention.empty()) {
    const attention_entry first = attention_at(verdicts, attention.front());
    std::string what = device_name(first.device, first.node);
    if (const std::string uuid = text_field(first.device, "uuid"); !uuid.empty()) what += " (" + uuid + ")";
    const nlohmann::json& reasons = list_field(first.device, "reasons");
    const std::string device_verdict = text_field(first.device, "verdict");
    what += " " + (reasons.empty() ? device_verdict : device_verdict + " " + reason_line(reasons.front()));
    const std::size_t failing = count_in(field(first.device, "failing_checks")).value_or(reasons.size());
    what += and_more(failing > 1 ? failing - 1 : 0, attention.size() - 1 + untied.size());
    return health_check_line(what, run_dir);
  }
  const std::string host = text_field(field(run, "provenance"), "controller_host");
  if (!untied.empty())
    return health_check_line(
        fmt::format("{} {}{}", host, reason_line(untied.front()), and_more(untied.size() - 1, 0)), run_dir);
  return health_check_line(fmt::format("{} run {} (exit code {})", host, verdict.empty() ? "?" : verdict,
                                       text_field(run, "exit_code")),
                           run_dir);
}

}  // namespace exacheck::reports
