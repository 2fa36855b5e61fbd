// report.html at fleet scale (html::fleet_scale): instead of a heatmap and a histogram per point and metric
// (2,100 GPUs × 126 metrics made a 33 MB page that printed on 330 pages), one fleet view per benchmark —
// a chart with one row per point, its GPUs' spread around the row's own median, the outliers and the
// reference bounds (svg::fleet_chart) — and a table of the same rows naming the worst GPU and the
// outliers. Every GPU's value stays in results.csv and run.json, and the page says so.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>
#include <set>

#include "reports/analysis/fleet_statistics.hpp"
#include "reports/analysis/format.hpp"
#include "reports/render/html.hpp"
#include "reports/render/svg_chart.hpp"

namespace exacheck::reports::html {
namespace {

// Named outliers per row of the table; the rest are counted (run.json lists them all).
constexpr std::size_t outliers_named = 3;

std::string point_key(const json& metric) {
  return text_field(metric, "case_id") + '\x1f' + field(metric, "params").dump();
}

// The metrics of one benchmark that its fleet view shows: a point's rates (TFLOP/s, GB/s) stand for the
// point; its other metrics (time, % of peak: the same GPUs in the same order) are shown only for points
// without a rate.
struct benchmark_view {
  std::string benchmark;
  std::vector<const json*> metrics;
  std::set<std::string> not_drawn;  // names of the metrics left to results.csv
};

std::vector<benchmark_view> views_of(const json& metrics) {
  std::set<std::string> points_with_rate;
  for (const auto& metric : metrics)
    if (is_rate_unit(text_field(metric, "unit"))) points_with_rate.insert(point_key(metric));
  std::vector<benchmark_view> views;
  for (const auto& metric : metrics) {
    const std::string benchmark = text_field(metric, "benchmark");
    auto view = std::find_if(views.begin(), views.end(),
                             [&](const benchmark_view& v) { return v.benchmark == benchmark; });
    if (view == views.end()) view = views.insert(views.end(), benchmark_view{benchmark, {}, {}});
    if (is_rate_unit(text_field(metric, "unit")) || points_with_rate.count(point_key(metric)) == 0)
      view->metrics.push_back(&metric);
    else
      view->not_drawn.insert(text_field(metric, "metric"));
  }
  return views;
}

}  // namespace

std::vector<std::string> row_labels(const std::vector<const json*>& metrics) {
  std::map<std::string, std::set<std::string>> values;  // parameter -> its values over the rows
  std::set<std::string> names;
  for (const json* metric : metrics) {
    names.insert(text_field(*metric, "metric"));
    for (const auto& [key, value] : field(*metric, "params").items()) values[key].insert(value.dump());
  }
  std::vector<std::string> labels;
  for (const json* metric : metrics) {
    json varying = json::object();
    for (const auto& [key, value] : field(*metric, "params").items())
      if (values[key].size() > 1) varying[key] = value;
    std::string label = params_text(varying);
    if (names.size() > 1 || label.empty())
      label = text_field(*metric, "metric") + (label.empty() ? "" : " · " + label);
    labels.push_back(label);
  }
  std::map<std::string, int> seen;
  for (const auto& label : labels) ++seen[label];
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (seen[labels[i]] > 1) labels[i] += " · " + text_field(*metrics[i], "case_id");
  return labels;
}

namespace {

std::optional<double> number_of(const json& value) {
  return value.is_number() ? std::optional<double>(value.get<double>()) : std::nullopt;
}

// The row of one metric, or none when it has no valid median to measure deviations from.
std::optional<svg::fleet_row> fleet_row_of(const json& metric, const std::string& label) {
  const json& d = field(metric, "distribution");
  const auto median = number_of(field(d, "median"));
  const auto min = number_of(field(d, "min")), max = number_of(field(d, "max"));
  const auto p5 = number_of(field(d, "p5")), p95 = number_of(field(d, "p95"));
  if (!median || *median <= 0 || !min || !max || !p5 || !p95) return std::nullopt;
  const double sign = text_field(metric, "better") == "lower" ? -1 : 1;
  const auto good = [&](double value) { return sign * (value / *median - 1) * 100; };
  svg::fleet_row row;
  row.label = label;
  row.worst_pct = std::min(good(*min), good(*max));
  row.best_pct = std::max(good(*min), good(*max));
  row.box_worse_pct = std::min(good(*p5), good(*p95));
  row.box_better_pct = std::max(good(*p5), good(*p95));
  const json& unit = field(metric, "unit");
  for (const auto& outlier : list_field(metric, "outliers")) {
    const auto value = number_of(field(outlier, "value"));
    if (!value || !field(outlier, "gpu").is_number()) continue;  // nodes and spreads: in the table
    row.outliers.push_back(
        {good(*value),
         fmt::format("{}: {} ({})", where_text(outlier), readable_quantity(field(outlier, "value"), unit),
                     readable_delta_pct(field(outlier, "pct_from_median")))});
  }
  const json& reference = field(metric, "reference");
  for (const auto& [key, sign_text] : {std::pair{"lower_bound", "≥ "}, std::pair{"upper_bound", "≤ "}})
    if (const auto bound = number_of(field(reference, key)))
      row.bounds.push_back({good(*bound), sign_text + readable_quantity(field(reference, key), unit)});
  const std::string outcome = text_field(metric, "outcome");
  row.flagged = is_failed_check(outcome) || is_incomplete_check(outcome);
  return row;
}

// "node275 GPU 1": a GPU without its rank (which differs from point to point), or a node.
std::string device_of(const json& entry) {
  return where_text(field(entry, "host"), field(entry, "gpu"), json());
}

void write_view_table(const benchmark_view& view, const std::vector<std::string>& labels, std::ostream& out) {
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < view.metrics.size(); ++i) {
    const json& metric = *view.metrics[i];
    const json& d = field(metric, "distribution");
    const json& unit = field(metric, "unit");
    const json& worst = field(metric, "worst_gpu");
    const std::string invalid = text_field(d, "invalid");
    rows.push_back({html_text(labels[i]), badge(text_field(metric, "outcome")),
                    html_text(readable_quantity(field(d, "median"), unit)),
                    fmt::format("{} – {}", html_text(readable_quantity(field(d, "p5"), unit)),
                                html_text(readable_quantity(field(d, "p95"), unit))),
                    worst.is_object()
                        ? fmt::format("{}: {}", html_text(device_of(worst)),
                                      field(worst, "value").is_number()
                                          ? html_text(readable_quantity(field(worst, "value"), unit))
                                          : std::string("invalid"))
                        : std::string(missing_mark),
                    std::to_string(list_field(metric, "outliers").size()),
                    text_or_dash(text_field(d, "count")) +
                        (invalid.empty() || invalid == "0" ? "" : " (" + html_text(invalid) + " invalid)")});
  }
  write_table(out, {"point", "verdict", "median", "p5 – p95", "worst GPU", "outliers", "GPUs"}, rows,
              {false, false, true, true, false, true, true});
}

// The GPUs and nodes that the view's outliers name, each once: at how many of its points, and how far off
// at worst. So that a GPU slow at every one of 24 points reads as one line, not 24.
void write_flagged(const benchmark_view& view, std::ostream& out) {
  struct flagged_device {
    std::string where, level;
    std::size_t points = 0;
    double worst_pct = 0;
    std::string worst_point;
  };
  std::vector<flagged_device> flagged;
  const auto labels = row_labels(view.metrics);
  for (std::size_t i = 0; i < view.metrics.size(); ++i)
    for (const auto& o : list_field(*view.metrics[i], "outliers")) {
      const std::string where = device_of(o), level = text_field(o, "level");
      auto it = std::find_if(flagged.begin(), flagged.end(),
                             [&](const flagged_device& f) { return f.where == where && f.level == level; });
      if (it == flagged.end()) it = flagged.insert(flagged.end(), flagged_device{where, level, 0, 0, ""});
      ++it->points;
      const json& pct = field(o, "pct_from_median");
      if (pct.is_number() &&
          (it->worst_point.empty() || std::fabs(pct.get<double>()) > std::fabs(it->worst_pct))) {
        it->worst_pct = pct.get<double>();
        it->worst_point = labels[i];
      }
    }
  if (flagged.empty()) {
    out << "<p class=\"note\">No fleet outlier.</p>\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& f : flagged)
    rows.push_back({html_text(f.where), html_text(f.level), std::to_string(f.points),
                    html_text(readable_delta_pct(json(f.worst_pct))), text_or_dash(f.worst_point)});
  write_table(out, {"outlier", "level", "points", "worst vs median", "at"}, rows, {false, false, true, true});
}

}  // namespace

bool fleet_scale(const json& run) {
  const json& analysis = field(run, "analysis");
  return list_field(analysis, "devices").size() > max_gpus_in_detail ||
         list_field(analysis, "metrics").size() > max_metrics_in_detail;
}

void write_fleet_views(const json& run, std::ostream& out) {
  const json& analysis = field(run, "analysis");
  const json& metrics = list_field(analysis, "metrics");
  const std::string gpus = count_text(list_field(analysis, "devices").size());
  out << fmt::format(
      "<p class=\"note\">{} GPUs, {} per-GPU metrics: one fleet view per benchmark, each point a row of "
      "its GPUs' spread around the point's own median. <strong>Per-GPU values of {} GPUs: "
      "results.csv</strong> "
      "(one row per rank and metric) and run.json (analysis.metrics[].devices).</p>\n",
      gpus, count_text(metrics.size()), gpus);
  for (const auto& view : views_of(metrics)) {
    const auto labels = row_labels(view.metrics);
    out << fmt::format("<h3>{}: {} point{}</h3>\n", html_text(view.benchmark), view.metrics.size(),
                       view.metrics.size() == 1 ? "" : "s");
    svg::fleet_chart chart;
    chart.title = view.benchmark + ": spread of the GPUs of each point around its fleet median";
    for (std::size_t i = 0; i < view.metrics.size(); ++i)
      if (auto row = fleet_row_of(*view.metrics[i], labels[i])) chart.rows.push_back(std::move(*row));
    out << svg::render(chart);
    write_view_table(view, labels, out);
    write_flagged(view, out);
    if (!view.not_drawn.empty()) {
      std::string names;
      for (const auto& name : view.not_drawn) names += (names.empty() ? "" : ", ") + name;
      out << fmt::format(
          "<p class=\"note\">Not shown: {} of these points (the same GPUs as their rate): results.csv.</p>\n",
          html_text(names));
    }
  }
}

}  // namespace exacheck::reports::html
