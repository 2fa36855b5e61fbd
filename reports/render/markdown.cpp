// report.md: the answer first (verdict, exit code, counts, every failing check), then the system totals,
// the commitments and the collectives at the largest scale (reports/render/markdown_analysis.cpp), one table
// per benchmark, skipped checks, errors with their log tails, the formulas, and provenance. Rendered from
// run.json alone.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "reports/analysis/format.hpp"
#include "reports/render/markdown_parts.hpp"
#include "reports/render/render.hpp"
#include "reports/render/run_summary.hpp"

namespace exacheck::reports {

namespace markdown {
void write_table_row(std::ostream& out, const std::vector<std::string>& cells) {
  out << "|";
  for (const auto& cell : cells) out << " " << markdown_cell(cell) << " |";
  out << "\n";
}

void write_table_header(std::ostream& out, const std::vector<std::string>& names) {
  write_table_row(out, names);
  out << "|";
  for (std::size_t i = 0; i < names.size(); ++i) out << "---|";
  out << "\n";
}

std::string reference_cell(const nlohmann::json& reference) {
  if (!reference.is_object()) return std::string(missing_mark);
  std::string text = readable_quantity(field(reference, "value"), field(reference, "unit"));
  const nlohmann::json& lower = field(reference, "lower_bound");
  const nlohmann::json& upper = field(reference, "upper_bound");
  if (lower.is_number() && upper.is_number())
    text += fmt::format(" ({} to {})", readable_number(lower.get<double>()),
                        readable_number(upper.get<double>()));
  else if (lower.is_number())
    text += fmt::format(" (≥ {})", readable_number(lower.get<double>()));
  else if (upper.is_number())
    text += fmt::format(" (≤ {})", readable_number(upper.get<double>()));
  return text;
}

}  // namespace markdown

namespace {

using markdown::reference_cell;
using markdown::write_table_header;
using markdown::write_table_row;

using nlohmann::json;

using markdown::dash;
using markdown::or_dash;

// ---- small text helpers ----

// A code span whose delimiter is longer than any run of backticks inside it.
std::string code_span(const std::string& text) {
  std::size_t longest = 0, run = 0;
  for (const char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string ticks(longest + 1, '`');
  const std::string pad = (!text.empty() && (text.front() == '`' || text.back() == '`')) ? " " : "";
  return ticks + pad + text + pad + ticks;
}

std::string fence_for(const std::string& text) {
  std::size_t longest = 0, run = 0;
  for (const char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<std::size_t>(3, longest + 1), '`');
}

std::string readable_bytes(const std::optional<double>& bytes) {
  if (!bytes) return dash;
  static constexpr std::array<std::string_view, 5> units{"B", "KiB", "MiB", "GiB", "TiB"};
  double value = *bytes;
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < units.size()) {
    value /= 1024;
    ++unit;
  }
  return readable_number(value) + " " + std::string(units[unit]);
}

// ---- check cells ----

// Which rank the check's value is: the worst rank for rank-scoped metrics, none for global ones.
std::string worst_cell(const json& check) {
  if (text_field(check, "aggregation").starts_with("global")) return "global";
  if (const json& group = field(check, "group"); group.is_object()) {  // a grouped collective's copy
    std::string hosts;
    for (const auto& h : list_field(group, "hosts"))
      if (h.is_string()) hosts += (hosts.empty() ? "" : "↔") + h.get<std::string>();
    return fmt::format("group {}", hosts);
  }
  const json& rank = field(check, "worst_rank");
  if (!rank.is_number()) return dash;
  const std::string host = text_field(check, "worst_host");
  return host.empty() ? fmt::format("rank {}", scalar_text(rank))
                      : fmt::format("rank {} on {}", scalar_text(rank), host);
}

struct case_check {
  const json& test_case;
  const json& check;
};

void for_each_check(const json& run, const std::function<void(const case_check&)>& visit) {
  for (const auto& test_case : list_field(run, "cases"))
    for (const auto& check : list_field(test_case, "checks")) visit({test_case, check});
}

// The check's point, and beside it what its suite derived while it ran (shown, never part of the point).
std::string point_cell(const case_check& c) {
  const std::string params = or_dash(params_text(field(c.check, "params")));
  const json* point = point_with_params(c.test_case, field(c.check, "params"));
  const std::string derived = point ? derived_text(*point) : std::string();
  return derived.empty() ? params : params + " (derived: " + derived + ")";
}

std::vector<std::string> check_cells(const case_check& c) {
  return {text_field(c.test_case, "id"),
          point_cell(c),
          text_field(c.check, "metric"),
          readable_quantity(field(c.check, "value"), field(c.check, "unit")),
          reference_cell(field(c.check, "reference")),
          readable_delta_pct(field(c.check, "delta_pct")),
          or_dash(text_field(c.check, "outcome")),
          worst_cell(c.check)};
}

// ---- sections ----

void write_title(const run_summary& summary, std::ostream& out) {
  out << "# " << report_title(summary) << "\n\n";
  if (summary.synthetic)
    out << "> **SYNTHETIC**: generated by `exacheck simulate`, not measured on a machine.\n\n";
  if (!summary.merged_from.empty()) out << "> **MERGED** from " << summary.merged_from << ".\n\n";
  if (!summary.plan_description.empty()) out << summary.plan_description << "\n\n";
}

// Right under the verdict of a run that did not finish: the cases that never did (summary.unfinished_cases),
// or, when every case was recorded, that the run's final analysis and save are missing.
void write_unfinished_cases(const run_summary& summary, std::ostream& out) {
  const auto& unfinished = summary.unfinished_cases;
  if (unfinished.empty()) {
    if (summary.not_complete && !summary.interrupted)
      out << "Every case was recorded, but the run stopped before its final analysis and save: `exacheck "
             "report RUN_DIR` completes them.\n\n";
    return;
  }
  out << fmt::format("**{} case(s) never finished:**\n\n", unfinished.size());
  constexpr std::size_t listed = 50;  // the rest are in run.json
  for (std::size_t i = 0; i < unfinished.size() && i < listed; ++i)
    out << fmt::format("- {} `{}` ({})\n", markdown_cell(unfinished[i].name), markdown_cell(unfinished[i].id),
                       markdown_cell(unfinished[i].status));
  if (unfinished.size() > listed)
    out << fmt::format("- … and {} more (run.json: summary.unfinished_cases)\n", unfinished.size() - listed);
  out << "\n";
}

void write_verdict(const run_summary& summary, std::ostream& out) {
  out << fmt::format("**Verdict: {}**\n\n", or_dash(summary.verdict));
  if (summary.exit_code)
    out << fmt::format("Exit code {}: {}.\n\n", *summary.exit_code, exit_code_meaning(*summary.exit_code));
  if (summary.interrupted)
    out << "The run was interrupted: what follows is what was measured before it stopped.\n\n";
  else if (summary.not_complete)
    out << "The run is not complete: what follows is what was measured so far.\n\n";
  if (!summary.stopped_reason.empty())
    out << fmt::format("The run stopped: {}; the cases after it were not run.\n\n",
                       markdown_cell(summary.stopped_reason));
  write_unfinished_cases(summary, out);
}

void write_counts(const run_summary& summary, std::ostream& out) {
  out << fmt::format("{} cases, {} checks.\n\n", or_dash(summary.cases), or_dash(summary.checks));
  write_table_header(out, outcome_order());
  std::vector<std::string> counts;
  for (const auto& count : summary.counts) counts.push_back(or_dash(count.text));
  write_table_row(out, counts);
  out << "\n";
}

void write_failing_checks(const json& run, std::ostream& out) {
  out << "## Failing checks\n\n";
  std::vector<std::vector<std::string>> rows;
  for_each_check(run, [&](const case_check& c) {
    const std::string outcome = text_field(c.check, "outcome");
    if (!is_failed_check(outcome) && !is_incomplete_check(outcome)) return;
    auto cells = check_cells(c);
    cells.push_back(or_dash(text_field(c.check, "reason")));
    rows.push_back(std::move(cells));
  });
  if (rows.empty()) {
    out << "None.\n\n";
    return;
  }
  write_table_header(out,
                     {"case", "params", "metric", "value", "reference", "Δ%", "verdict", "worst", "reason"});
  for (const auto& row : rows) write_table_row(out, row);
  out << "\n";
}

void write_benchmark_tables(const json& run, std::ostream& out) {
  std::vector<std::string> benchmarks;
  for (const auto& test_case : list_field(run, "cases")) {
    const std::string benchmark = text_field(test_case, "benchmark");
    if (std::find(benchmarks.begin(), benchmarks.end(), benchmark) == benchmarks.end())
      benchmarks.push_back(benchmark);
  }
  if (benchmarks.empty()) return;
  out << "## Results by benchmark\n\n";
  for (const auto& benchmark : benchmarks) {
    out << fmt::format("### {}\n\n", or_dash(benchmark));
    write_table_header(out, {"case", "params", "metric", "value", "reference", "Δ%", "verdict", "worst"});
    for (const auto& test_case : list_field(run, "cases")) {
      if (text_field(test_case, "benchmark") != benchmark) continue;
      const json& checks = list_field(test_case, "checks");
      for (const auto& check : checks) write_table_row(out, check_cells({test_case, check}));
      if (checks.empty())  // a case that has not run yet: its row says so
        write_table_row(out, {text_field(test_case, "id"), or_dash(params_text(field(test_case, "params"))),
                              dash, dash, dash, dash, or_dash(text_field(test_case, "status")), dash});
    }
    out << "\n";
  }
}

void write_skipped(const json& run, std::ostream& out) {
  std::vector<std::vector<std::string>> rows;
  for_each_check(run, [&](const case_check& c) {
    if (text_field(c.check, "outcome") != "SKIPPED") return;
    rows.push_back({text_field(c.test_case, "id"), or_dash(params_text(field(c.check, "params"))),
                    text_field(c.check, "metric"), or_dash(text_field(c.check, "reason"))});
  });
  out << "## Skipped checks\n\n";
  if (rows.empty()) {
    out << "None.\n\n";
    return;
  }
  write_table_header(out, {"case", "params", "metric", "reason"});
  for (const auto& row : rows) write_table_row(out, row);
  out << "\n";
}

bool did_not_complete(const json& test_case) {
  const std::string status = text_field(test_case, "status");
  return status == "error" || status == "timeout" || status == "interrupted" ||
         !text_field(test_case, "log_tail").empty();
}

void write_errors(const json& run, std::ostream& out) {
  out << "## Errors and time-outs\n\n";
  bool any = false;
  for (const auto& test_case : list_field(run, "cases")) {
    if (!did_not_complete(test_case)) continue;
    any = true;
    out << fmt::format("### {}: {}\n\n", text_field(test_case, "id"),
                       or_dash(text_field(test_case, "outcome")));
    out << fmt::format("- benchmark {}, status {}, after {} on {} rank(s)\n",
                       text_field(test_case, "benchmark"), or_dash(text_field(test_case, "status")),
                       readable_quantity(field(test_case, "elapsed_s"), "s"),
                       or_dash(text_field(test_case, "ranks")));
    out << fmt::format("- message: {}\n", or_dash(text_field(test_case, "message")));
    const json& command = list_field(test_case, "command");
    if (!command.empty()) out << fmt::format("- command: {}\n", code_span(command_line_text(command)));
    // The launch as it ran, with the environment its launcher was given: a shell line that runs it again.
    if (const std::string rerun = text_field(field(test_case, "launch"), "rerun"); !rerun.empty())
      out << fmt::format("- rerun: {}\n", code_span(rerun));
    const std::string log_tail = text_field(test_case, "log_tail");
    if (log_tail.empty()) {
      out << "- log tail: empty\n\n";
      continue;
    }
    const std::string fence = fence_for(log_tail);
    out << "\nLog tail:\n\n"
        << fence << "\n"
        << log_tail << (log_tail.ends_with('\n') ? "" : "\n") << fence << "\n\n";
  }
  if (!any) out << "None.\n\n";
}

void write_formulas(const json& run, std::ostream& out) {
  out << "## Formulas\n\n"
         "- GEMM: flops = 2·M·N·K per multiplication; TFLOP/s = flops / time / 1e12.\n"
         "- Collectives: algbw = bytes / time; busbw = algbw × factor, with factor 2(n−1)/n for all-reduce, "
         "(n−1)/n for all-gather, reduce-scatter and all-to-all, 1 for broadcast, reduce and send/recv "
         "(n = ranks; nccl-tests' definitions).\n"
         "- STREAM: bytes = arrays moved × bytes per array: copy 2, scale 2, add 3, triad 3, dot 2; "
         "bandwidth from the best time excluding the first iteration.\n"
         "- Units are SI: GB/s = 1e9 B/s, TFLOP/s = 1e12 FLOP/s.\n"
         "- Δ% = (value − reference) / reference × 100, in the reference's unit.\n\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& test_case : list_field(run, "cases"))
    for (const auto& point : list_field(test_case, "results"))
      for (const auto& metric : list_field(point, "metrics")) {  // the point's descriptors, once per point
        std::vector<std::string> row{
            text_field(test_case, "benchmark"),    text_field(metric, "name"),
            or_dash(text_field(metric, "unit")),   or_dash(text_field(metric, "statistic")),
            or_dash(text_field(metric, "better")), or_dash(text_field(metric, "description"))};
        if (std::find(rows.begin(), rows.end(), row) == rows.end()) rows.push_back(std::move(row));
      }
  if (rows.empty()) return;
  out << "Metrics as measured:\n\n";
  write_table_header(out, {"benchmark", "metric", "unit", "statistic", "better", "definition"});
  for (const auto& row : rows) write_table_row(out, row);
  out << "\n";
}

void write_provenance(const run_summary& summary, std::ostream& out) {
  const run_provenance& p = summary.provenance;
  const run_timing& timing = summary.timing;
  out << "## Provenance\n\n";
  out << fmt::format("- exacheck {}, git revision {}\n", or_dash(p.exacheck_version),
                     or_dash(p.git_revision));
  out << fmt::format("- plan: {} ({}), sha256 {}\n", or_dash(summary.plan_name), or_dash(p.plan_file),
                     or_dash(p.plan_sha256));
  if (p.has_system)
    out << fmt::format("- system: {} ({}), {} node(s) × {} GPU(s) per node\n", or_dash(summary.system_name),
                       or_dash(p.system_file), or_dash(p.system_nodes), or_dash(p.system_gpus_per_node));
  else
    out << "- system: none\n";
  out << fmt::format("- command line: {}\n",
                     p.command_line.empty() ? dash : code_span(command_line_text(p.command_line)));
  out << fmt::format("- started {}, finished {}\n", or_dash(p.started_at), or_dash(p.finished_at));
  out << fmt::format("- controller host {}; hosts: {}\n", or_dash(p.controller_host),
                     or_dash(fmt::format("{}", fmt::join(p.hosts, ", "))));
  out << fmt::format("- CPU: {}, {} cores, {} threads, memory {}, last-level cache {}\n",
                     or_dash(p.cpu_model), or_dash(p.cpu_cores), or_dash(p.cpu_threads),
                     readable_bytes(p.cpu_memory_bytes), readable_bytes(p.cpu_llc_bytes));
  out << fmt::format("- OS: {}\n", or_dash(p.os));
  if (!p.libraries.empty()) {
    out << "- libraries:\n";
    for (const auto& [name, version] : p.libraries)
      out << fmt::format("  - {}: {}\n", name, or_dash(version));
  }
  out << fmt::format("- time: launch {}, benchmark {}, aggregation {}, reports {}, total {}\n",
                     seconds_text(timing.launch_s), seconds_text(timing.benchmark_s),
                     seconds_text(timing.aggregation_s), seconds_text(timing.reports_s),
                     seconds_text(timing.total_s));
}

}  // namespace

void render_markdown(const json& run, std::ostream& out) {
  const run_summary summary = summarise_run(run);
  write_title(summary, out);
  write_verdict(summary, out);
  write_counts(summary, out);
  // Every failing check is listed under its device, or as tied to none; an older run.json without device
  // verdicts gets the flat list.
  if (!markdown::write_devices_needing_attention(run, out)) write_failing_checks(run, out);
  markdown::write_history_trend(run, out);
  markdown::write_system_totals(run, out);
  markdown::write_commitments(run, out);
  markdown::write_collectives(run, out);
  markdown::write_groups(run, out);
  write_benchmark_tables(run, out);
  write_skipped(run, out);
  write_errors(run, out);
  write_formulas(run, out);
  write_provenance(summary, out);
}

}  // namespace exacheck::reports
