// report.html's tables from run.json "analysis": system totals beside (never mixed with) their projection,
// the commitments (reference vs measured median, worst GPU and node), and the detail tables (distributions,
// the worst GPUs and nodes, every check by benchmark).
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <ostream>

#include "reports/analysis/format.hpp"
#include "reports/render/committed_checks.hpp"
#include "reports/render/html.hpp"

namespace exacheck::reports::html {
namespace {

const json& analysis_of(const json& run) {
  return field(run, "analysis");
}

bool has_analysis(const json& run, std::ostream& out) {
  if (analysis_of(run).is_object()) return true;
  out << "<p class=\"note\">run.json has no \"analysis\" section: <code>exacheck report RUN_DIR</code> "
         "computes "
         "it.</p>\n";
  return false;
}

std::string rate(const json& quantity) {
  return html_text(readable_rate(field(quantity, "value"), field(quantity, "unit")));
}

std::string quantity(const json& value, const json& metric) {
  return html_text(readable_quantity(value, field(metric, "unit")));
}

std::string valued_where(const json& entry, const json& metric) {
  if (!entry.is_object()) return std::string(missing_mark);
  return fmt::format("{}: {}", html_text(where_text(entry)), quantity(field(entry, "value"), metric));
}

// "2,100", or "—" for anything but a count.
std::string gpus_counted(const json& gpus) {
  return gpus.is_number_integer() && gpus.get<long long>() >= 0
             ? count_text(static_cast<std::size_t>(gpus.get<long long>()))
             : std::string(missing_mark);
}

// One row per rate measured per GPU: the measured total on the left, the projection (an estimate, in its own
// columns under its own heading) on the right, so that neither is read for the other. At fleet scale the
// rows are labelled by what tells them apart within their benchmark, and the projection's assumption, the
// same for every row, is said once above the table.
void write_totals_table(const json& analysis, bool compact, std::ostream& out) {
  const json& measured = field(analysis, "measured");
  const json& size = field(analysis, "system_size");
  out << fmt::format(
      "<p><strong>Measured</strong>: each total is a <strong>sum of {} independent per-GPU measurements, not "
      "a "
      "machine-level run</strong>: every GPU ran the benchmark on its own, and the total adds up their rates "
      "(the GPUs column says how many; {} GPU(s) on {} node(s) reported a value).</p>\n",
      gpus_counted(field(measured, "gpus")), text_or_dash(text_field(measured, "gpus")),
      text_or_dash(text_field(measured, "nodes")));
  if (size.is_object())
    out << fmt::format(
        "<p><strong>Projection (not measured)</strong>: an estimate for the full system of {} GPU(s) "
        "({} nodes × {} GPUs, system {}), the per-GPU median times the GPU count. It assumes that "
        "every GPU not measured performs like the median one and that nothing is lost at scale.</p>\n",
        text_or_dash(text_field(size, "gpus")), text_or_dash(text_field(size, "nodes")),
        text_or_dash(text_field(size, "gpus_per_node")), text_or_dash(text_field(size, "source")));
  else
    out << "<p><strong>Projection</strong>: none, the system file states no size (nodes × GPUs per "
           "node).</p>\n";
  std::vector<const json*> with_total;
  for (const auto& metric : list_field(analysis, "metrics"))
    if (field(metric, "total").is_object()) with_total.push_back(&metric);
  if (with_total.empty()) {
    out << "<p>No rate measured per GPU.</p>\n";
    return;
  }
  std::vector<std::string> labels;
  for (const json* metric : with_total) labels.push_back(metric_title(*metric));
  if (compact) {  // per benchmark, what tells its rows apart
    std::vector<std::string> benchmarks;
    for (const json* metric : with_total)
      if (std::find(benchmarks.begin(), benchmarks.end(), text_field(*metric, "benchmark")) ==
          benchmarks.end())
        benchmarks.push_back(text_field(*metric, "benchmark"));
    for (const auto& benchmark : benchmarks) {
      std::vector<const json*> group;
      std::vector<std::size_t> positions;
      for (std::size_t i = 0; i < with_total.size(); ++i)
        if (text_field(*with_total[i], "benchmark") == benchmark) {
          group.push_back(with_total[i]);
          positions.push_back(i);
        }
      const auto short_labels = row_labels(group);
      for (std::size_t j = 0; j < group.size(); ++j)
        labels[positions[j]] = benchmark + " · " + short_labels[j];
    }
  }
  std::string rows;
  for (std::size_t i = 0; i < with_total.size(); ++i) {
    const json& metric = *with_total[i];
    const json& total = field(metric, "total");
    const json& projection = field(metric, "projection");
    const bool projected = projection.is_object();
    rows += fmt::format(
        "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num projection\">{}</td><td class=\"num projection\">{}</td>{}</tr>\n",
        html_text(labels[i]), rate(total), text_or_dash(text_field(total, "gpus")),
        quantity(field(field(metric, "distribution"), "median"), metric),
        projected ? rate(projection) : std::string(missing_mark),
        projected ? text_or_dash(text_field(projection, "gpus")) : std::string(missing_mark),
        compact ? ""
                : fmt::format("<td class=\"projection\">{}</td>",
                              projected ? text_or_dash(text_field(projection, "assumption"))
                                        : std::string(missing_mark)));
  }
  out << fmt::format(
             "<table>\n<thead><tr><th></th><th class=\"measured\" colspan=\"3\">Measured: sums of "
             "independent "
             "per-GPU measurements</th><th class=\"projection\" colspan=\"{}\">Projection to the full system "
             "(not measured)</th></tr>\n"
             "<tr><th>metric</th><th class=\"num measured\">total</th><th class=\"num measured\">GPUs</th>"
             "<th class=\"num measured\">per-GPU median</th><th class=\"num projection\">projection</th>"
             "<th class=\"num projection\">GPUs</th>{}</tr></thead>\n<tbody>\n",
             compact ? 2 : 3, compact ? "" : "<th class=\"projection\">assumption</th>")
      << rows << "</tbody></table>\n";
}

void write_collectives_at_scale(const json& analysis, std::ostream& out) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : list_field(analysis, "collectives")) {
    const json& params = field(c, "params");
    const json& bytes = field(params, "bytes");
    rows.push_back(
        {html_text(text_field(c, "case_id")), html_text(text_field(c, "benchmark")),
         text_or_dash(text_field(params, "dtype")), text_or_dash(text_field(c, "ranks")),
         bytes.is_number() ? html_text(binary_bytes_text(bytes.get<double>())) : text_or_dash(""),
         field(c, "busbw").is_object() ? rate(field(c, "busbw")) : std::string(missing_mark),
         field(c, "algbw").is_object() ? rate(field(c, "algbw")) : std::string(missing_mark),
         html_text(readable_quantity(field(field(c, "time"), "value"), field(field(c, "time"), "unit")))});
  }
  if (rows.empty()) return;
  out << "<h3>Collectives at the largest scale measured</h3>\n";
  write_table(out, {"case", "collective", "dtype", "ranks", "message", "busbw", "algbw", "time"}, rows,
              {false, false, false, true, true, true, true, true});
}

// Positions of the `count` worst GPUs, worst first: invalid values (null) first, then in the metric's bad
// direction; ties in the metric's order.
std::vector<std::size_t> worst_devices(const metric_devices& devices, const json& metric, std::size_t count) {
  struct entry {
    std::size_t position;
    bool valid;
    double value;
  };
  std::vector<entry> entries;
  entries.reserve(devices.size());
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const json& value = devices[i].value;
    entries.push_back({i, value.is_number(), value.is_number() ? value.get<double>() : 0.0});
  }
  const bool higher_is_better = text_field(metric, "better") != "lower";
  const std::size_t kept = std::min(count, entries.size());
  std::partial_sort(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(kept), entries.end(),
                    [&](const entry& a, const entry& b) {
                      if (a.valid != b.valid) return !a.valid;
                      if (a.valid && a.value != b.value)
                        return higher_is_better ? a.value < b.value : a.value > b.value;
                      return a.position < b.position;
                    });
  std::vector<std::size_t> worst;
  for (std::size_t i = 0; i < kept; ++i) worst.push_back(entries[i].position);
  return worst;
}

std::string z_text(const json& z) {
  return z.is_number() ? html_text(fmt::format("{:+.2f}", z.get<double>())) : std::string(missing_mark);
}

void write_distributions(const json& analysis, std::ostream& out) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& metric : list_field(analysis, "metrics")) {
    const json& d = field(metric, "distribution");
    const auto number = [&](std::string_view key) { return quantity(field(d, key), metric); };
    rows.push_back({html_text(metric_title(metric)), text_or_dash(text_field(d, "count")),
                    text_or_dash(text_field(d, "invalid")), number("min"), number("p5"), number("median"),
                    number("mean"), number("p95"), number("max"),
                    field(d, "spread_pct").is_number()
                        ? html_text(fmt::format("{:.1f}%", field(d, "spread_pct").get<double>()))
                        : std::string(missing_mark)});
  }
  out << "<h3>Distributions over GPUs</h3>\n";
  write_table(out, {"metric", "GPUs", "invalid", "min", "p5", "median", "mean", "p95", "max", "spread"}, rows,
              {false, true, true, true, true, true, true, true, true, true});
}

void write_worst(const json& analysis, std::ostream& out) {
  for (const auto& metric : list_field(analysis, "metrics")) {
    out << "<h3>" << html_text(metric_title(metric)) << ": worst GPUs</h3>\n";
    const metric_devices devices(analysis, metric);
    std::vector<std::vector<std::string>> rows;
    for (const std::size_t i : worst_devices(devices, metric, worst_gpus_listed)) {
      const auto device = devices[i];
      rows.push_back({html_text(where_text(device)), text_or_dash(text_field(device.gpu, "uuid")),
                      text_or_dash(text_field(device.gpu, "serial")), quantity(device.value, metric),
                      z_text(device.robust_z)});
    }
    write_table(out, {"GPU", "UUID", "serial", "value", "robust z"}, rows, {false, false, false, true, true});
    const std::size_t all = devices.size();
    if (all > rows.size())
      out << fmt::format(
          "<p class=\"note\">The {} worst of {} GPUs; run.json and results.csv have them all.</p>\n",
          rows.size(), all);
  }
}

void write_all_checks(const json& run, std::ostream& out) {
  std::vector<std::string> benchmarks;
  for (const auto& test_case : list_field(run, "cases")) {
    const std::string benchmark = text_field(test_case, "benchmark");
    if (std::find(benchmarks.begin(), benchmarks.end(), benchmark) == benchmarks.end())
      benchmarks.push_back(benchmark);
  }
  for (const auto& benchmark : benchmarks) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& test_case : list_field(run, "cases")) {
      if (text_field(test_case, "benchmark") != benchmark) continue;
      for (const auto& check : list_field(test_case, "checks"))
        rows.push_back({html_text(text_field(test_case, "id")),
                        text_or_dash(params_text(field(check, "params"))),
                        html_text(text_field(check, "metric")),
                        html_text(readable_quantity(field(check, "value"), field(check, "unit"))),
                        html_text(reference_text(field(check, "reference"))),
                        html_text(readable_delta_pct(field(check, "delta_pct"))),
                        badge(text_field(check, "outcome")), text_or_dash(text_field(check, "reason"))});
    }
    out << "<h3>Checks: " << text_or_dash(benchmark) << "</h3>\n";
    write_table(out, {"case", "params", "metric", "value", "reference", "Δ%", "verdict", "reason"}, rows,
                {false, false, false, true, false, true});
  }
}

// "gemm · tflops · dtype=bf16 m=8192 …": a check's benchmark, metric and point.
std::string check_title(const committed_check& c) {
  const std::string params = params_text(field(c.check, "params"));
  return fmt::format("{} · {}{}", text_field(c.test_case, "benchmark"), text_field(c.check, "metric"),
                     params.empty() ? "" : " · " + params);
}

// The worst rank's value (every rank is judged), the collective's value over its ranks, or "not measured".
std::string measured_text(const committed_check& c) {
  if (!c.measured()) return "<strong>not measured</strong>";
  const std::string value = html_text(readable_quantity(field(c.check, "value"), field(c.check, "unit")));
  const std::string ranks = text_field(c.check, "ranks_measured");
  const bool global = text_field(c.check, "aggregation").starts_with("global");
  if (ranks.empty()) return value;
  return fmt::format("{}<br><span class=\"note\">{} {} rank{}</span>", value,
                     global ? "global over" : "worst of", html_text(ranks), ranks == "1" ? "" : "s");
}

// Per benchmark, how many checks ended in each outcome (the failing ones are listed under their devices).
void write_check_counts(const json& run, std::ostream& out) {
  std::vector<std::string> benchmarks;
  std::vector<std::vector<std::size_t>> counts;
  const auto& outcomes = outcome_order();
  for (const auto& test_case : list_field(run, "cases")) {
    const std::string benchmark = text_field(test_case, "benchmark");
    auto at = std::find(benchmarks.begin(), benchmarks.end(), benchmark);
    if (at == benchmarks.end()) {
      benchmarks.push_back(benchmark);
      counts.emplace_back(outcomes.size() + 1, 0);
      at = benchmarks.end() - 1;
    }
    auto& row = counts[static_cast<std::size_t>(at - benchmarks.begin())];
    for (const auto& check : list_field(test_case, "checks")) {
      const auto outcome = std::find(outcomes.begin(), outcomes.end(), text_field(check, "outcome"));
      ++row[static_cast<std::size_t>(outcome - outcomes.begin())];  // past the end: another outcome
    }
  }
  std::vector<std::string> header{"benchmark"};
  header.insert(header.end(), outcomes.begin(), outcomes.end());
  std::vector<bool> numeric(header.size(), true);
  numeric[0] = false;
  std::vector<std::vector<std::string>> rows;
  for (std::size_t b = 0; b < benchmarks.size(); ++b) {
    rows.push_back({text_or_dash(benchmarks[b])});
    for (std::size_t o = 0; o < outcomes.size(); ++o) rows.back().push_back(count_text(counts[b][o]));
  }
  out << "<h3>Checks by benchmark and outcome</h3>\n";
  write_table(out, header, rows, numeric);
}

}  // namespace

void write_totals(const json& run, std::ostream& out) {
  out << "<section id=\"totals\">\n<h2>System totals</h2>\n";
  if (has_analysis(run, out)) {
    const json& analysis = analysis_of(run);
    write_totals_table(analysis, fleet_scale(run), out);
    write_collectives_at_scale(analysis, out);
  }
  out << "</section>\n";
}

void write_commitments(const json& run, std::ostream& out) {
  out << "<section id=\"commitments\">\n<h2>Commitments</h2>\n";
  const auto checks = committed_checks(run);
  if (checks.empty()) {
    out << "<p>No check has a reference (references come from the system file).</p>\n</section>\n";
    return;
  }
  out << "<p class=\"note\">Every metric judged against a reference of the system file, per-GPU metrics and "
         "collectives alike, and every reference that was committed but not measured. Measured: the worst "
         "rank's value (every rank must meet the reference), or the collective's value over all its ranks; "
         "for a per-GPU metric, the fleet's median and its worst GPU and node beside it.</p>\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : checks) {
    const std::string outcome = text_field(c.check, "outcome");
    std::string fleet(missing_mark);
    if (c.metric)
      fleet = fmt::format("median {}<br>worst GPU {}<br>worst node {}",
                          quantity(field(field(*c.metric, "distribution"), "median"), *c.metric),
                          valued_where(field(*c.metric, "worst_gpu"), *c.metric),
                          valued_where(field(*c.metric, "worst_node"), *c.metric));
    rows.push_back(
        {fmt::format("{}<br><span class=\"note\">{}</span>", html_text(check_title(c)),
                     html_text(text_field(c.test_case, "id"))),
         html_text(reference_text(field(c.check, "reference"))), measured_text(c),
         html_text(readable_delta_pct(field(c.check, "delta_pct"))),
         badge(outcome) + (outcome == "PASS" ? "" : "<br>" + text_or_dash(text_field(c.check, "reason"))),
         fleet});
  }
  write_table(out, {"metric", "committed", "measured", "Δ%", "verdict", "fleet (per-GPU metrics)"}, rows,
              {false, false, true, true});
  out << "</section>\n";
}

void write_details(const json& run, std::ostream& out) {
  out << "<section id=\"details\">\n<h2>Details</h2>\n";
  if (fleet_scale(run)) {
    // Per metric distributions and worst GPUs are the fleet views' rows; every check, by count.
    out << "<p class=\"note\">At this scale the distribution and the worst GPU of each metric are in the "
           "fleet "
           "views above, and the checks are counted here: <strong>every check is in junit.xml and run.json, "
           "every value in results.csv</strong>.</p>\n";
    write_check_counts(run, out);
  } else {
    if (analysis_of(run).is_object()) {
      write_distributions(analysis_of(run), out);
      write_worst(analysis_of(run), out);
    }
    write_all_checks(run, out);
  }
  out << "</section>\n";
}

}  // namespace exacheck::reports::html
