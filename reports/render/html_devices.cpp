// report.html's "Devices needing attention" (run.json analysis.device_verdicts), right after the verdict: one
// row per GPU or node that needs attention, worst first, then each one's failing checks under it, then the
// failing checks that belong to no single device. Bounded at any scale: the rows and devices past the
// limits below are counted, and run.json and junit.xml have them all.
#include <fmt/core.h>

#include <ostream>

#include "reports/analysis/format.hpp"
#include "reports/render/device_text.hpp"
#include "reports/render/html.hpp"

namespace exacheck::reports::html {
namespace {

// Devices in the table, and devices whose failing checks are listed under their name.
constexpr std::size_t max_devices_in_table = 200;
constexpr std::size_t max_devices_detailed = 50;

std::string first_reason(const json& device) {
  const json& reasons = list_field(device, "reasons");
  return reasons.empty() ? std::string(missing_mark) : html_text(reason_line(reasons[0]));
}

std::string anchor_of(const json& device, bool node) {
  std::string id = "device-" + text_field(device, "host");
  if (!node) id += "-" + text_field(device, "gpu");
  for (char& c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  return id;
}

void write_attention_table(const json& verdicts, std::ostream& out) {
  std::vector<std::vector<std::string>> rows;
  const json& attention = list_field(verdicts, "attention");
  for (std::size_t i = 0; i < attention.size() && i < max_devices_in_table; ++i) {
    const auto [device, node] = attention_at(verdicts, attention[i]);
    const std::string gpu = node ? "(node)"
                                 : fmt::format("{}{}", text_field(device, "kind") == "cpu" ? "CPU " : "",
                                               html_text(text_field(device, "gpu")));
    const std::string host = text_or_dash(text_field(device, "host"));
    rows.push_back({i < max_devices_detailed
                        ? fmt::format("<a href=\"#{}\">{}</a>", anchor_of(device, node), host)
                        : host,
                    gpu, text_or_dash(text_field(device, "uuid")), text_or_dash(text_field(device, "serial")),
                    badge(text_field(device, "verdict")), first_reason(device),
                    text_or_dash(text_field(device, "failing_checks"))});
  }
  write_table(out, {"host", "GPU", "UUID", "serial", "verdict", "reason", "failing checks"}, rows,
              {false, false, false, false, false, false, true});
  if (attention.size() > rows.size())
    out << fmt::format(
        "<p class=\"note\">… and {} more devices: run.json (analysis.device_verdicts) lists "
        "them all.</p>\n",
        attention.size() - rows.size());
}

void write_device(const json& device, bool node, std::ostream& out) {
  out << fmt::format("<h3 id=\"{}\">{} {}</h3>\n", anchor_of(device, node),
                     html_text(device_name(device, node)), badge(text_field(device, "verdict")));
  std::string about;
  if (!text_field(device, "uuid").empty()) about += "UUID " + html_text(text_field(device, "uuid"));
  if (!text_field(device, "serial").empty())
    about += (about.empty() ? "" : ", ") + ("serial " + html_text(text_field(device, "serial")));
  if (node)
    about = fmt::format(
        "{} GPU(s) reported, {} of them need attention (listed on their own); below, the node's own",
        text_or_dash(text_field(device, "gpus")), text_or_dash(text_field(device, "gpus_needing_attention")));
  const std::size_t listed = list_field(device, "reasons").size();
  const std::size_t failing = count_in(field(device, "failing_checks")).value_or(0);
  if (failing > listed)
    about += fmt::format("{}{} failing checks, the {} worst below (junit.xml lists every one)",
                         about.empty() ? "" : "; ", failing, listed);
  if (!about.empty()) out << "<p>" << about << ".</p>\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : list_field(device, "reasons"))
    rows.push_back({badge(text_field(r, "outcome")), text_or_dash(text_field(r, "case_id")),
                    text_or_dash(params_text(field(r, "params"))), text_or_dash(text_field(r, "metric")),
                    html_text(readable_quantity(field(r, "value"), field(r, "unit"))),
                    text_or_dash(text_field(r, "reason"))});
  write_table(out, {"verdict", "case", "params", "metric", "value", "reason"}, rows,
              {false, false, false, false, true});
}

void write_not_tied(const json& verdicts, std::ostream& out) {
  const json& checks = list_field(verdicts, "not_tied");
  if (checks.empty()) return;
  out << "<h3 id=\"not-tied\">Not tied to one device</h3>\n";
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < checks.size() && i < max_failing_checks_listed; ++i) {
    const json& c = checks[i];
    rows.push_back({badge(text_field(c, "outcome")), text_or_dash(text_field(c, "case_id")),
                    text_or_dash(params_text(field(c, "params"))), text_or_dash(text_field(c, "metric")),
                    html_text(readable_quantity(field(c, "value"), field(c, "unit"))),
                    text_or_dash(slowest_rank_text(field(c, "slowest_rank"))),
                    text_or_dash(text_field(c, "reason"))});
  }
  write_table(out, {"verdict", "case", "params", "metric", "value", "where", "reason"}, rows,
              {false, false, false, false, true});
  if (checks.size() > rows.size())
    out << fmt::format("<p class=\"note\">… and {} more: junit.xml and run.json list them all.</p>\n",
                       checks.size() - rows.size());
}

}  // namespace

bool write_devices(const json& run, std::ostream& out) {
  const json& verdicts = device_verdicts_of(run);
  if (!verdicts.is_object()) return false;
  out << "<section class=\"lead\" id=\"devices\">\n<h2>Devices needing attention</h2>\n<p>"
      << html_text(attention_summary(verdicts)) << "</p>\n";
  const json& expected = field(verdicts, "expected");
  if (expected.is_object())
    out << fmt::format(
        "<p class=\"note\">Expected: {} host(s){} (provenance.expected_hosts); a device "
        "expected and never reported is MISSING.</p>\n",
        text_or_dash(text_field(expected, "hosts")),
        field(expected, "gpus_per_host").is_number()
            ? fmt::format(" × {} GPU(s)", text_or_dash(text_field(expected, "gpus_per_host")))
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
  write_not_tied(verdicts, out);
  out << "</section>\n";
  return true;
}

}  // namespace exacheck::reports::html
