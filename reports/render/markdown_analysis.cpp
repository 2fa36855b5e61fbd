// The sections of report.md that render run.json "analysis" (docs/run-json.md): system totals beside the
// projection, commitments (every check with a reference, committed vs measured), collectives at the largest
// scale.
// Rendered only: every number is in run.json.
#include <fmt/core.h>

#include <string>
#include <vector>

#include "reports/analysis/format.hpp"
#include "reports/render/committed_checks.hpp"
#include "reports/render/markdown_parts.hpp"

namespace exacheck::reports::markdown {
namespace {

using nlohmann::json;

const json& analysis_of(const json& run) {
  return field(run, "analysis");
}

// "node017 GPU 2: 612 TFLOP/s", with "invalid" for a GPU whose value was NaN, zero or missing.
std::string worst_gpu_cell(const json& worst, const json& unit) {
  if (!worst.is_object()) return dash;
  const json& value = field(worst, "value");
  return fmt::format("{} {} {}: {}", text_field(worst, "host"),
                     text_field(worst, "kind") == "cpu" ? "CPU" : "GPU", text_field(worst, "gpu"),
                     value.is_number() ? readable_quantity(value, unit) : "invalid");
}

std::string worst_node_cell(const json& worst, const json& unit) {
  if (!worst.is_object()) return dash;
  std::string text = fmt::format("{}: {} per GPU", text_field(worst, "host"),
                                 readable_quantity(field(worst, "value"), unit));
  const json& invalid = field(worst, "invalid");
  if (invalid.is_number_integer() && invalid.get<int>() > 0)
    text += fmt::format(" ({} invalid)", invalid.get<int>());
  return text;
}

// "700 TFLOP/s (≥ 665), contract annex B": the reference with its bounds and where it comes from.
std::string committed_cell(const json& reference) {
  const std::string source = text_field(reference, "source");
  return reference_cell(reference) + (source.empty() ? "" : ", " + source);
}

std::string ranks_text(const std::string& ranks) {
  return ranks + (ranks == "1" ? " rank" : " ranks");
}

// What the check measured: the worst rank's value (a rank-scoped metric: every rank is judged), the
// collective's value over its ranks, or that it was not measured.
std::string measured_cell(const committed_check& c) {
  if (!c.measured()) return "not measured";
  const std::string value = readable_quantity(field(c.check, "value"), field(c.check, "unit"));
  const std::string ranks = text_field(c.check, "ranks_measured");
  if (text_field(c.check, "aggregation").starts_with("global"))
    return ranks.empty() ? value + ", global" : fmt::format("{}, global over {}", value, ranks_text(ranks));
  return ranks.empty() ? value : fmt::format("{}, worst of {}", value, ranks_text(ranks));
}

bool not_analysed(const json& run, std::ostream& out) {
  if (analysis_of(run).is_object()) return false;
  out << "Not analysed: `exacheck report RUN_DIR` computes the analysis from run.json.\n\n";
  return true;
}

}  // namespace

void write_system_totals(const json& run, std::ostream& out) {
  out << "## System totals\n\n";
  if (not_analysed(run, out)) return;
  const json& analysis = analysis_of(run);
  const json& measured = field(analysis, "measured");
  const json& size = field(analysis, "system_size");
  out << fmt::format(
      "Measured on {} GPU(s) in {} node(s) (on the cpu backend each rank counts as one GPU). Each total is a "
      "**sum of {} independent per-GPU measurements, not a machine-level run**: every GPU ran the benchmark "
      "on "
      "its own, and the GPUs column says how many each total adds up.",
      or_dash(text_field(measured, "gpus")), or_dash(text_field(measured, "nodes")),
      or_dash(text_field(measured, "gpus")));
  if (size.is_object())
    out << fmt::format(
        " Projections are to the full system {}: {} nodes × {} GPUs = {} GPUs, assuming every GPU "
        "performs at the measured per-GPU median; they are not measurements.\n\n",
        or_dash(text_field(size, "source")), text_field(size, "nodes"), text_field(size, "gpus_per_node"),
        text_field(size, "gpus"));
  else
    out << " The system file states no GPU size: no projection.\n\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& metric : list_field(analysis, "metrics")) {
    const json& total = field(metric, "total");
    if (!total.is_object()) continue;
    const json& projection = field(metric, "projection");
    const json& unit = field(metric, "unit");
    rows.push_back(
        {text_field(metric, "case_id"), or_dash(params_text(field(metric, "params"))),
         text_field(metric, "metric"), readable_rate(field(total, "value"), field(total, "unit")),
         or_dash(text_field(total, "gpus")),
         readable_quantity(field(field(metric, "distribution"), "median"), unit),
         projection.is_object() ? readable_rate(field(projection, "value"), field(projection, "unit")) : dash,
         projection.is_object() ? or_dash(text_field(projection, "assumption")) : dash});
  }
  if (rows.empty()) {
    out << "No rate (FLOP/s, B/s) was measured per GPU.\n\n";
    return;
  }
  write_table_header(out, {"case", "params", "metric", "sum of per-GPU measurements", "GPUs",
                           "per-GPU median", "projection (not measured)", "assumption"});
  for (const auto& row : rows) write_table_row(out, row);
  out << "\n";
}

void write_commitments(const json& run, std::ostream& out) {
  out << "## Commitments\n\n";
  const auto checks = committed_checks(run);
  if (checks.empty()) {
    out << "No check has a reference (references come from the system file).\n\n";
    return;
  }
  out << "Every metric judged against a reference of the system file, per-GPU metrics and collectives alike, "
         "and every reference that was committed but not measured. Measured: the worst rank's value (every "
         "rank must meet the reference), or the collective's value over all its ranks.\n\n";
  write_table_header(out, {"case", "params", "metric", "committed", "measured", "Δ%", "verdict",
                           "fleet median", "worst GPU", "worst node", "reason"});
  for (const auto& c : checks) {
    const json* metric = c.metric;
    const std::string outcome = text_field(c.check, "outcome");
    write_table_row(
        out,
        {text_field(c.test_case, "id"), or_dash(params_text(field(c.check, "params"))),
         text_field(c.check, "metric"), committed_cell(field(c.check, "reference")), measured_cell(c),
         readable_delta_pct(field(c.check, "delta_pct")), or_dash(outcome),
         metric ? readable_quantity(field(field(*metric, "distribution"), "median"), field(*metric, "unit"))
                : dash,
         metric ? worst_gpu_cell(field(*metric, "worst_gpu"), field(*metric, "unit")) : dash,
         metric ? worst_node_cell(field(*metric, "worst_node"), field(*metric, "unit")) : dash,
         outcome == "PASS" ? dash : or_dash(text_field(c.check, "reason"))});
  }
  out << "\n";
}

void write_collectives(const json& run, std::ostream& out) {
  const json& collectives = list_field(analysis_of(run), "collectives");
  if (collectives.empty()) return;
  out << "## Collectives at the largest scale\n\n";
  write_table_header(out, {"case", "params", "ranks", "busbw", "algbw", "time"});
  for (const auto& c : collectives) {
    const auto quantity = [&](const char* name) {
      const json& q = field(c, name);
      return readable_quantity(field(q, "value"), field(q, "unit"));
    };
    write_table_row(
        out, {text_field(c, "case_id"), or_dash(params_text(field(c, "params"))),
              or_dash(text_field(c, "ranks")), quantity("busbw"), quantity("algbw"), quantity("time")});
  }
  out << "\n";
}

}  // namespace exacheck::reports::markdown
