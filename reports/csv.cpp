// results.csv: one row per metric per rank (what every rank measured), with its check's reference and
// outcome, plus one row per check that has no per-rank metric (correctness, skipped points, cases that did
// not run). RFC 4180 quoting; lines end in "\n" so that grep, cut and awk read it (RFC 4180 readers accept it
// too). Numbers are written with every digit (shortest round-trip text). Rendered from run.json alone.
#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "reports/format.hpp"
#include "reports/render.hpp"

namespace exacheck::reports {
namespace {

using nlohmann::json;

const std::vector<std::string> columns{
    "case_id",        "case_name",   "benchmark",   "params",    "rank",    "host",
    "metric",         "value",       "unit",        "statistic", "better",  "reference",
    "reference_unit", "lower_bound", "upper_bound", "delta_pct", "outcome", "reason"};

struct row {
  std::string rank, host, metric, value, unit, statistic, better;
};

void write_line(std::ostream& out, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) out << (i ? "," : "") << csv_field(fields[i]);
  out << "\n";
}

// `judged`: this row holds the value the check judged (its worst rank, or rank 0 of a global metric, or the
// check itself), so the check's Δ% and reason belong to it; other ranks' rows carry only the reference and
// the point's outcome (the renderer does not compute a Δ% of its own).
// `params` is the point's params_text(…, ";"): made once per point, not once per rank (thousands of ranks).
void write_row(std::ostream& out, const json& test_case, const std::string& params, const row& r,
               const json& check, bool judged) {
  const json& reference = field(check, "reference");
  write_line(out,
             {text_field(test_case, "id"), text_field(test_case, "name"), text_field(test_case, "benchmark"),
              params, r.rank, r.host, r.metric, r.value, r.unit, r.statistic, r.better,
              exact_number(field(reference, "value")), text_field(reference, "unit"),
              exact_number(field(reference, "lower_bound")), exact_number(field(reference, "upper_bound")),
              judged ? exact_number(field(check, "delta_pct")) : "", text_field(check, "outcome"),
              judged ? text_field(check, "reason") : ""});
}

void write_check_row(std::ostream& out, const json& test_case, const json& check) {
  write_row(out, test_case, params_text(field(check, "params"), ";"),
            {text_field(check, "worst_rank"), text_field(check, "worst_host"), text_field(check, "metric"),
             exact_number(field(check, "value")), text_field(check, "unit"), text_field(check, "statistic"),
             text_field(check, "better")},
            check, true);
}

// The check of `metric` at the point with `params`, or -1.
int find_check(const json& checks, const std::string& metric, const json& params) {
  for (std::size_t i = 0; i < checks.size(); ++i)
    if (text_field(checks[i], "metric") == metric && field(checks[i], "params") == params)
      return static_cast<int>(i);
  return -1;
}

void write_point(std::ostream& out, const json& test_case, const json& point, std::vector<bool>& written) {
  const json& checks = list_field(test_case, "checks");
  const json& params = field(point, "params");
  const std::string params_csv = params_text(params, ";");
  // Every rank of the point has the same metrics: their checks are looked up once, not once per rank.
  std::vector<std::pair<std::string, int>> check_of_metric;
  for (const auto& rank : list_field(point, "ranks"))
    for (const auto& metric : list_field(rank, "metrics")) {
      const std::string name = text_field(metric, "name");
      auto known = std::find_if(check_of_metric.begin(), check_of_metric.end(),
                                [&](const auto& entry) { return entry.first == name; });
      if (known == check_of_metric.end())
        known = check_of_metric.insert(check_of_metric.end(), {name, find_check(checks, name, params)});
      const int index = known->second;
      static const json no_check;
      const json& check = index >= 0 ? checks[static_cast<std::size_t>(index)] : no_check;
      if (index >= 0) written[static_cast<std::size_t>(index)] = true;
      const bool judged = index >= 0 && field(check, "worst_rank") == field(rank, "rank");
      write_row(
          out, test_case, params_csv,
          {text_field(rank, "rank"), text_field(rank, "host"), name, exact_number(field(metric, "value")),
           text_field(metric, "unit"), text_field(metric, "statistic"), text_field(metric, "better")},
          check, judged);
    }
  // Checks of this point without per-rank rows: correctness, a skipped point.
  for (std::size_t i = 0; i < checks.size(); ++i)
    if (!written[i] && field(checks[i], "params") == params) {
      write_check_row(out, test_case, checks[i]);
      written[i] = true;
    }
}

}  // namespace

void render_csv(const json& run, std::ostream& out) {
  // A simulated run (exacheck simulate) starts with a comment line, so that its rows cannot pass for measured
  // ones; real runs have none (readers: pandas.read_csv(comment='#'), grep -v '^#').
  if (field(run, "synthetic") == true) out << "# SYNTHETIC: generated by exacheck simulate, not measured\n";
  write_line(out, columns);
  for (const auto& test_case : list_field(run, "cases")) {
    const json& checks = list_field(test_case, "checks");
    std::vector<bool> written(checks.size(), false);
    for (const auto& point : list_field(test_case, "results")) write_point(out, test_case, point, written);
    // What is left belongs to no measured point: the "run" check of a case that errored or timed out.
    for (std::size_t i = 0; i < checks.size(); ++i)
      if (!written[i]) write_check_row(out, test_case, checks[i]);
  }
}

}  // namespace exacheck::reports
