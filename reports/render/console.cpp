// What `exacheck run`, `report` and `simulate` print when they end: the verdict, then the devices that need
// attention (host, GPU, why), then the failing checks tied to no device. Rendered from run.json like every
// report.
#include <fmt/core.h>

#include <ostream>

#include "reports/analysis/format.hpp"
#include "reports/render/device_text.hpp"
#include "reports/render/render.hpp"
#include "reports/render/run_summary.hpp"

namespace exacheck::reports {
namespace {

using nlohmann::json;

// Lines of each kind printed before the rest is counted (report.md lists them all).
constexpr std::size_t max_device_lines = 20;
constexpr std::size_t max_untied_lines = 10;
constexpr std::size_t max_check_lines = 20;

// "node017 GPU 2 (GPU-…, serial …)".
std::string device_line_name(const json& device, bool node) {
  std::string name = device_name(device, node);
  std::string ids;
  if (!text_field(device, "uuid").empty()) ids = text_field(device, "uuid");
  if (!text_field(device, "serial").empty())
    ids += (ids.empty() ? "serial " : ", serial ") + text_field(device, "serial");
  return ids.empty() ? name : name + " (" + ids + ")";
}

void write_devices(const json& verdicts, std::ostream& out) {
  out << "devices needing attention: " << attention_summary(verdicts) << "\n";
  const json& attention = list_field(verdicts, "attention");
  std::size_t shown = 0;
  for (const auto& entry : attention) {
    if (shown == max_device_lines) break;
    const auto [device, node] = attention_at(verdicts, entry);
    const json& reasons = list_field(device, "reasons");
    const std::size_t count = count_in(field(device, "failing_checks")).value_or(0);
    out << fmt::format("  {:<9} {}: {}{}\n", text_field(device, "verdict"), device_line_name(device, node),
                       reasons.empty() ? std::string(missing_mark) : reason_line(reasons[0]),
                       count > 1 ? fmt::format(" (+{} more failing checks)", count - 1) : "");
    ++shown;
  }
  if (attention.size() > shown)
    out << fmt::format("  … and {} more devices (see report.md)\n", attention.size() - shown);
  const json& untied = list_field(verdicts, "not_tied");
  if (untied.empty()) return;
  out << "not tied to one device:\n";
  for (std::size_t i = 0; i < untied.size() && i < max_untied_lines; ++i) {
    const std::string where = slowest_rank_text(field(untied[i], "slowest_rank"));
    out << fmt::format("  {:<9} {}{}\n", text_field(untied[i], "outcome"), reason_line(untied[i]),
                       where.empty() ? "" : " (" + where + ")");
  }
  if (untied.size() > max_untied_lines)
    out << fmt::format("  … and {} more (see report.md)\n", untied.size() - max_untied_lines);
}

// A run.json without device verdicts: its failing checks as they come.
void write_failing_checks(const json& run, std::ostream& out) {
  std::size_t shown = 0;
  for (const auto& c : list_field(run, "cases"))
    for (const auto& check : list_field(c, "checks")) {
      const std::string outcome = text_field(check, "outcome");
      if (!is_failed_check(outcome) && !is_incomplete_check(outcome)) continue;
      if (++shown > max_check_lines) continue;
      out << fmt::format("  {:<9} {} {} [{}]: {}\n", outcome, text_field(c, "name"),
                         text_field(check, "metric"), params_text(field(check, "params")),
                         text_field(check, "reason"));
    }
  if (shown > max_check_lines)
    out << fmt::format("  … and {} more (see report.md)\n", shown - max_check_lines);
}

}  // namespace

void render_console_devices(const json& run, std::ostream& out) {
  const json& verdicts = device_verdicts_of(run);
  if (verdicts.is_object())
    write_devices(verdicts, out);
  else
    write_failing_checks(run, out);
}

void render_console_verdict(const json& run, std::ostream& out) {
  const run_summary summary = summarise_run(run);
  std::string counts;
  for (const auto& count : summary.counts)
    if (count.number && *count.number > 0) counts += fmt::format("{} {}  ", *count.number, count.outcome);
  out << fmt::format("\nverdict: {}   ({}checks in {} cases)\n", summary.verdict, counts,
                     list_field(run, "cases").size());
  render_console_devices(run, out);
}

}  // namespace exacheck::reports
