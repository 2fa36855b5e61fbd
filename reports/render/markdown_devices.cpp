// report.md's "Devices needing attention" (run.json analysis.device_verdicts): one row per GPU or node that
// needs attention, worst first, then each one's failing checks under it, then the failing checks that belong
// to no single device. Rendered only: the analysis decided which device failed what.
#include <fmt/core.h>

#include "reports/analysis/format.hpp"
#include "reports/render/device_text.hpp"
#include "reports/render/markdown_parts.hpp"

namespace exacheck::reports::markdown {
namespace {

using nlohmann::json;

// The first (worst) reason of a device, in one line.
std::string first_reason(const json& device) {
  const json& reasons = list_field(device, "reasons");
  return reasons.empty() ? dash : reason_line(reasons[0]);
}

void write_attention_table(const json& verdicts, std::ostream& out) {
  write_table_header(out, {"host", "GPU", "UUID", "serial", "verdict", "reason", "failing checks"});
  for (const auto& entry : list_field(verdicts, "attention")) {
    const auto [device, node] = attention_at(verdicts, entry);
    const std::string gpu = node ? "(node)"
                                 : fmt::format("{}{}", text_field(device, "kind") == "cpu" ? "CPU " : "",
                                               text_field(device, "gpu"));
    write_table_row(out, {or_dash(text_field(device, "host")), gpu, or_dash(text_field(device, "uuid")),
                          or_dash(text_field(device, "serial")), or_dash(text_field(device, "verdict")),
                          first_reason(device), or_dash(text_field(device, "failing_checks"))});
  }
  out << "\n";
}

void write_reasons(const json& reasons, std::ostream& out) {
  write_table_header(out, {"verdict", "case", "params", "metric", "value", "reason"});
  for (const auto& r : reasons)
    write_table_row(
        out, {or_dash(text_field(r, "outcome")), or_dash(text_field(r, "case_id")),
              or_dash(params_text(field(r, "params"))), or_dash(text_field(r, "metric")),
              readable_quantity(field(r, "value"), field(r, "unit")), or_dash(text_field(r, "reason"))});
  out << "\n";
}

void write_device(const json& device, bool node, std::ostream& out) {
  out << fmt::format("### {}: {}\n\n", device_name(device, node), or_dash(text_field(device, "verdict")));
  const std::size_t listed = list_field(device, "reasons").size();
  const std::size_t failing = count_in(field(device, "failing_checks")).value_or(0);
  std::string about;
  if (!text_field(device, "uuid").empty()) about += "UUID " + text_field(device, "uuid");
  if (!text_field(device, "serial").empty())
    about += (about.empty() ? "" : ", ") + ("serial " + text_field(device, "serial"));
  if (node)
    about = fmt::format(
        "{} GPU(s) reported, {} of them need attention (listed on their own); what follows is "
        "the node's own",
        or_dash(text_field(device, "gpus")), or_dash(text_field(device, "gpus_needing_attention")));
  if (failing > listed)
    about += fmt::format("{}{} failing checks, the {} worst below (junit.xml lists every one)",
                         about.empty() ? "" : "; ", failing, listed);
  if (!about.empty()) out << about << ".\n\n";
  write_reasons(list_field(device, "reasons"), out);
}

void write_not_tied(const json& verdicts, std::ostream& out) {
  const json& checks = list_field(verdicts, "not_tied");
  if (checks.empty()) return;
  out << "### Not tied to one device\n\n";
  write_table_header(out, {"verdict", "case", "params", "metric", "value", "where", "reason"});
  for (const auto& c : checks)
    write_table_row(out,
                    {or_dash(text_field(c, "outcome")), or_dash(text_field(c, "case_id")),
                     or_dash(params_text(field(c, "params"))), or_dash(text_field(c, "metric")),
                     readable_quantity(field(c, "value"), field(c, "unit")),
                     or_dash(slowest_rank_text(field(c, "slowest_rank"))), or_dash(text_field(c, "reason"))});
  out << "\n";
}

}  // namespace

bool write_devices_needing_attention(const json& run, std::ostream& out) {
  const json& verdicts = device_verdicts_of(run);
  if (!verdicts.is_object()) return false;
  out << "## Devices needing attention\n\n" << attention_summary(verdicts) << "\n\n";
  const json& expected = field(verdicts, "expected");
  if (expected.is_object())
    out << fmt::format(
        "Expected: {} host(s){} (provenance.expected_hosts); a device expected and never "
        "reported is MISSING.\n\n",
        or_dash(text_field(expected, "hosts")),
        field(expected, "gpus_per_host").is_number()
            ? fmt::format(" × {} GPU(s)", text_field(expected, "gpus_per_host"))
            : "");
  const json& attention = list_field(verdicts, "attention");
  if (!attention.empty()) write_attention_table(verdicts, out);
  std::size_t shown = 0;
  for (const auto& entry : attention) {
    if (shown == max_devices_detailed) break;
    const auto [device, node] = attention_at(verdicts, entry);
    write_device(device, node, out);
    ++shown;
  }
  if (attention.size() > shown)
    out << fmt::format(
        "… and {} more devices: run.json (analysis.device_verdicts) and junit.xml list every "
        "failing check.\n\n",
        attention.size() - shown);
  write_not_tied(verdicts, out);
  return true;
}

}  // namespace exacheck::reports::markdown
