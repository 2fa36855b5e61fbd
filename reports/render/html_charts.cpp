// report.html's charts: per metric measured on every GPU (analysis.metrics[].devices) one bar per GPU, or a
// node × GPU heatmap for a fleet, with the fleet outliers highlighted and listed, and the distribution over
// GPUs; per collective, busbw and time against message size (from the cases' results points).
#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <set>

#include "reports/analysis/fleet_statistics.hpp"
#include "reports/analysis/format.hpp"
#include "reports/render/html.hpp"
#include "reports/render/svg_chart.hpp"

namespace exacheck::reports::html {
namespace {

using gpu_key = std::pair<std::string, long long>;  // host, GPU index

std::optional<double> number_of(const json& value) {
  return value.is_number() ? std::optional<double>(value.get<double>()) : std::nullopt;
}

std::string metric_axis_title(const json& metric) {
  const std::string unit = text_field(metric, "unit");
  return text_field(metric, "metric") + (unit.empty() ? "" : " (" + unit + ")");
}

// The GPUs and whole nodes that the metric's outliers name.
struct flagged {
  std::set<gpu_key> gpus;
  std::set<std::string> hosts;
  bool contains(const std::string& host, long long gpu) const {
    return hosts.count(host) > 0 || gpus.count({host, gpu}) > 0;
  }
};

flagged flagged_of(const json& metric) {
  flagged result;
  for (const auto& outlier : list_field(metric, "outliers")) {
    const std::string host = text_field(outlier, "host");
    if (field(outlier, "gpu").is_number())
      result.gpus.insert({host, field(outlier, "gpu").get<long long>()});
    else
      result.hosts.insert(host);
  }
  return result;
}

std::string device_tooltip(const metric_devices::device& device, const json& metric) {
  const json& z = device.robust_z;
  const std::string uuid = text_field(device.gpu, "uuid");
  return fmt::format("{}{}: {}{}", where_text(device), uuid.empty() ? "" : " " + uuid,
                     readable_quantity(device.value, field(metric, "unit")),
                     z.is_number() ? fmt::format(", robust z {:+.2f}", z.get<double>()) : "");
}

std::vector<svg::marker> reference_markers(const json& metric) {
  std::vector<svg::marker> markers;
  const json& reference = field(metric, "reference");
  for (const auto& [key, name] :
       {std::pair{"lower_bound", "lower bound"}, std::pair{"upper_bound", "upper bound"}}) {
    const json& bound = field(reference, key);
    if (bound.is_number())
      markers.push_back({bound.get<double>(),
                         fmt::format("{} {}", name, readable_number(bound.get<double>())), "#b2182b", true});
  }
  return markers;
}

// The GPU's index on its host, -1 when it has none.
long long gpu_index_of(const metric_devices::device& device) {
  const json& gpu = field(device.gpu, "gpu");
  return gpu.is_number() ? gpu.get<long long>() : -1;
}

std::string gpu_chart(const metric_devices& devices, const json& metric, const flagged& outliers) {
  const std::string title = metric_title(metric);
  const json& median = field(field(metric, "distribution"), "median");
  if (devices.size() > max_gpus_as_bars) {
    svg::heatmap chart;
    chart.title = title + ": per GPU, colour = deviation from the fleet median";
    chart.median = median.is_number() ? median.get<double>() : 0;
    chart.higher_is_better = text_field(metric, "better") != "lower";
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const auto device = devices[i];
      std::string host = text_field(device.gpu, "host");
      const bool flagged = outliers.contains(host, gpu_index_of(device));
      if (chart.nodes.empty() || chart.nodes.back().host != host)
        chart.nodes.push_back({std::move(host), {}});
      chart.nodes.back().gpus.push_back({number_of(device.value), device_tooltip(device, metric), flagged});
    }
    return svg::render(chart);
  }
  svg::bar_chart chart;
  chart.title = title + ": per GPU";
  chart.y.title = metric_axis_title(metric);
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const auto device = devices[i];
    const std::string host = text_field(device.gpu, "host");
    chart.bars.push_back({host, text_field(device.gpu, "gpu"), device_tooltip(device, metric),
                          number_of(device.value), outliers.contains(host, gpu_index_of(device))});
  }
  chart.lines = reference_markers(metric);
  if (median.is_number())
    chart.lines.push_back(
        {median.get<double>(), "median " + readable_number(median.get<double>()), "#333", false});
  return svg::render(chart);
}

std::string distribution_chart(const metric_devices& devices, const json& metric) {
  svg::histogram chart;
  chart.title = metric_title(metric) + ": distribution over GPUs";
  chart.x.title = metric_axis_title(metric);
  chart.values.reserve(devices.size());
  for (std::size_t i = 0; i < devices.size(); ++i)
    if (const auto value = number_of(devices[i].value)) chart.values.push_back(*value);
  const json& d = field(metric, "distribution");
  const auto number = [&](std::string_view key) { return field(d, key).get<double>(); };
  if (field(d, "min").is_number() && field(d, "p5").is_number() && field(d, "median").is_number() &&
      field(d, "p95").is_number() && field(d, "max").is_number())
    chart.box = svg::box_summary{number("min"), number("p5"), number("median"), number("p95"), number("max")};
  chart.lines = reference_markers(metric);
  return svg::render(chart);
}

void write_outliers(const json& metric, std::ostream& out) {
  const json& outliers = list_field(metric, "outliers");
  if (outliers.empty()) {
    out << "<p class=\"note\">No fleet outlier.</p>\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& o : outliers)
    rows.push_back({badge("OUTLIER"), html_text(text_field(o, "level")), html_text(where_text(o)),
                    html_text(readable_quantity(field(o, "value"), field(metric, "unit"))),
                    html_text(readable_delta_pct(field(o, "pct_from_median"))),
                    text_or_dash(text_field(o, "reason"))});
  write_table(out, {"verdict", "level", "where", "value", "vs median", "reason"}, rows,
              {false, false, false, true, true});
}

// ---- collectives ----

struct sweep_series {
  std::string name;
  std::vector<svg::point> busbw, time;
  std::string time_unit;
};

// The series of one collective: one per case and parameters other than the message size (dtype, in-place, …),
// so that the rank count (a case's) and the dtype tell the lines apart.
std::vector<sweep_series> sweeps_of(const json& run, const std::string& benchmark) {
  std::vector<sweep_series> sweeps;
  std::map<std::string, std::size_t> index;
  for (const auto& test_case : list_field(run, "cases")) {
    if (text_field(test_case, "benchmark") != benchmark) continue;
    for (const auto& point : list_field(test_case, "results")) {
      const json& params = field(point, "params");
      const json& bytes = field(params, "bytes");
      const json& ranks = list_field(point, "ranks");
      if (!bytes.is_number() || ranks.empty()) continue;
      json others = params.is_object() ? params : json::object();
      others.erase("bytes");
      others.erase("requested_bytes");
      const std::string name = fmt::format("{} ranks{}{}", text_field(test_case, "ranks"),
                                           others.empty() ? "" : ", ", params_text(others, ", "));
      const auto [at, added] = index.emplace(name, sweeps.size());
      if (added) sweeps.push_back({name, {}, {}, ""});
      sweep_series& s = sweeps[at->second];
      for (const auto& m : list_field(point, "metrics")) {  // global metrics: the same on every rank
        const json* measured = rank_value(ranks.front(), text_field(m, "name"));
        if (!measured || !measured->is_number()) continue;
        const auto value = std::optional<double>(measured->get<double>());
        if (text_field(m, "name") == "busbw") s.busbw.push_back({bytes.get<double>(), *value});
        if (text_field(m, "name") == "time") {
          s.time.push_back({bytes.get<double>(), *value});
          s.time_unit = text_field(m, "unit");
        }
      }
    }
  }
  for (auto& s : sweeps)
    for (auto* points : {&s.busbw, &s.time})
      std::stable_sort(points->begin(), points->end(),
                       [](const auto& a, const auto& b) { return a.x < b.x; });
  return sweeps;
}

// A metric's point: its case and parameters.
std::string point_key(const json& metric) {
  return text_field(metric, "case_id") + '\x1f' + field(metric, "params").dump();
}

}  // namespace

void write_gpu_charts(const json& run, std::ostream& out) {
  out << "<section id=\"per-gpu\">\n<h2>Per-GPU results</h2>\n";
  const json& analysis = field(run, "analysis");
  const json& metrics = list_field(analysis, "metrics");
  if (metrics.empty()) out << "<p>No metric measured per GPU.</p>\n";
  if (!metrics.empty() && fleet_scale(run)) {
    write_fleet_views(run, out);
    out << "</section>\n";
    return;
  }
  // At fleet scale a point's rate (TFLOP/s, GB/s) gets the heatmap and its other metrics (time, % of peak:
  // the same GPUs in the same order) only their distribution: thousands of cells per metric are most of
  // the page (52 → 31 MB at 2,100 GPUs of the acceptance plan).
  std::set<std::string> points_with_rate;
  for (const auto& metric : metrics)
    if (is_rate_unit(text_field(metric, "unit"))) points_with_rate.insert(point_key(metric));
  for (const auto& metric : metrics) {
    out << "<h3>" << html_text(metric_title(metric)) << " " << badge(text_field(metric, "outcome"))
        << "</h3>\n";
    const metric_devices devices(analysis, metric);
    if (devices.size() <= max_gpus_as_bars || is_rate_unit(text_field(metric, "unit")) ||
        points_with_rate.count(point_key(metric)) == 0)
      out << gpu_chart(devices, metric, flagged_of(metric));
    else
      out << "<p class=\"note\">Not drawn per GPU at this scale: the heatmap of this point's rate shows the "
             "same GPUs. Every GPU's value is in results.csv and metrics.prom.</p>\n";
    out << distribution_chart(devices, metric);
    write_outliers(metric, out);
  }
  out << "</section>\n";
}

void write_collective_charts(const json& run, std::ostream& out) {
  std::vector<std::string> collectives;
  for (const auto& test_case : list_field(run, "cases")) {
    const std::string benchmark = text_field(test_case, "benchmark");
    bool global = false;
    for (const auto& point : list_field(test_case, "results"))
      global |= text_field(point, "scope") == "global";
    if (global && std::find(collectives.begin(), collectives.end(), benchmark) == collectives.end())
      collectives.push_back(benchmark);
  }
  out << "<section id=\"collectives\">\n<h2>Collectives</h2>\n";
  if (collectives.empty()) out << "<p>No collective measured.</p>\n";
  for (const auto& benchmark : collectives) {
    const auto sweeps = sweeps_of(run, benchmark);
    out << "<h3>" << html_text(benchmark) << "</h3>\n";
    svg::line_chart busbw{benchmark + ": bus bandwidth against message size",
                          {svg::scale::log2, "message size", svg::bytes_label, false},
                          {svg::scale::linear, "busbw (GB/s)", svg::number_label, true},
                          {}};
    svg::line_chart time{benchmark + ": time against message size",
                         {svg::scale::log2, "message size", svg::bytes_label, false},
                         {svg::scale::log10, "time", svg::number_label, false},
                         {}};
    for (const auto& s : sweeps) {
      if (!s.busbw.empty()) busbw.lines.push_back({s.name, s.busbw});
      if (!s.time.empty()) {
        time.lines.push_back({s.name, s.time});
        time.y.title = "time (" + s.time_unit + ")";
      }
    }
    if (!busbw.lines.empty()) out << svg::render(busbw);
    if (!time.lines.empty()) out << svg::render(time);
  }
  out << "</section>\n";
}

}  // namespace exacheck::reports::html
