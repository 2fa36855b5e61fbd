#pragma once
// Internal to report.html (reports/html_*.cpp): the sections of the page, in the order the page shows them,
// and the small HTML helpers they share. Every section renders run.json as it is ("analysis" included, see
// docs/run-json.md); none computes a result.
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "reports/analysis/analysis_devices.hpp"

namespace exacheck::reports {
struct run_summary;
}

namespace exacheck::reports::html {

using nlohmann::json;

// ---- helpers (html_page.cpp) ----

// Escaped text, or "—" when empty.
std::string text_or_dash(const std::string& text);
// <span class="badge o-FAIL">FAIL</span>
std::string badge(const std::string& outcome);
// A table whose cells are HTML already (escape text with html_text); `numeric` marks right-aligned columns.
void write_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& numeric = {});
// <td class="num">…</td> and friends: a cell that write_table puts as is.
std::string reference_text(const json& reference);  // "700 TFLOP/s (≥ 665), contract annex B"
// "gemm · tflops · dtype=bf16 m=8192 n=8192 k=8192": one analysis.metrics[] entry, in words.
std::string metric_title(const json& metric);
// "node017 GPU 2 (rank 66)"; for a node entry (no "gpu"): "node017".
std::string where_text(const json& entry);
std::string where_text(const json& host, const json& gpu, const json& rank);
// The same for one GPU of an analysis metric (its host and index from analysis.devices, its rank the
// metric's).
std::string where_text(const metric_devices::device& device);
// "2,100": a count for people.
std::string count_text(std::size_t count);

// ---- sections (html_page.cpp: page, verdict, failing checks, errors, provenance; html_summary.cpp: totals,
// commitments, detail tables; html_charts.cpp: per-GPU and collective charts) ----

void write_verdict(const run_summary& summary, std::ostream& out);
// html_devices.cpp: "Devices needing attention", with every failing check under its device or as tied to
// none; false (nothing written) when run.json has no device verdicts: write_failing_checks lists them then.
bool write_devices(const json& run, std::ostream& out);
void write_failing_checks(const json& run, std::ostream& out);
void write_totals(const json& run, std::ostream& out);
void write_commitments(const json& run, std::ostream& out);
void write_gpu_charts(const json& run, std::ostream& out);
void write_collective_charts(const json& run, std::ostream& out);
// html_groups.cpp: grouped collectives (analysis.groups), each copy by its hosts, bad groups first; nothing
// (and no entry in the contents) when none ran.
bool has_groups(const json& run);
void write_groups(const json& run, std::ostream& out);
// html_trend.cpp: the nights before this run of each device needing attention, from the history database
// (history_trend beside run.json, docs/history.md); nothing (and no entry in the contents) without one.
bool has_history_trend(const json& run);
void write_history_trend(const json& run, std::ostream& out);
void write_details(const json& run, std::ostream& out);
void write_errors(const json& run, std::ostream& out);
void write_provenance(const run_summary& summary, std::ostream& out);

// Fleet scale (html_fleet.cpp): a run of more GPUs or more per-GPU metrics than these gets one fleet view
// per benchmark instead of charts per point and metric, and its checks counted rather than listed, so that
// its page stays a few MB and prints on a few dozen pages; results.csv and run.json keep every value.
inline constexpr std::size_t max_gpus_in_detail = 256;
inline constexpr std::size_t max_metrics_in_detail = 32;
bool fleet_scale(const json& run);
// Labels of analysis.metrics entries shown together (a benchmark's): only what tells them apart — the
// parameters whose values differ between them, the metric when there are several, and the case id when
// repeats of one point would read alike ("dtype=bf16 · gemm-67cd3fc2").
std::vector<std::string> row_labels(const std::vector<const json*>& metrics);
// The per-GPU results at fleet scale: per benchmark, a chart of its points' spreads and a table naming the
// worst GPU and the outliers of each.
void write_fleet_views(const json& run, std::ostream& out);

// At most this many GPUs are listed by name per metric (the worst ones, outliers always): a 2,100-GPU report
// stays a few MB; run.json and results.csv have every GPU.
inline constexpr std::size_t worst_gpus_listed = 10;
// Above this many GPUs a metric is drawn as a node × GPU heatmap, else as one bar per GPU.
inline constexpr std::size_t max_gpus_as_bars = 64;
// Failing checks listed in full before the rest is counted (junit.xml lists them all).
inline constexpr std::size_t max_failing_checks_listed = 200;

}  // namespace exacheck::reports::html
