#pragma once
// Renderers of run.json (docs/run-json.md). They render and never compute: every number they print is in
// run.json.
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace exacheck::reports {

void render_markdown(const nlohmann::json& run, std::ostream& out);  // report.md: verdict first, devices
                                                                     // needing attention, one table per
                                                                     // benchmark
void render_junit(const nlohmann::json& run, std::ostream& out);     // junit.xml: one testcase per check
void render_csv(const nlohmann::json& run, std::ostream& out);       // results.csv: one row per metric
void render_html(const nlohmann::json& run, std::ostream& out);      // report.html: one self-contained page,
                                                                     // charts in inline SVG, printable
void render_prometheus(const nlohmann::json& run, std::ostream& out);  // metrics.prom: node_exporter textfile

// What the commands print as they end (exacheck run, report, simulate): render_console_verdict writes the
// verdict line with the count of checks per outcome, then what render_console_devices writes: the devices
// that need attention (host, GPU, UUID, serial, the worst reason), then the failing checks tied to no device
// (the first 20 and 10; report.md has them all), or the failing checks for a run.json without device
// verdicts.
void render_console_verdict(const nlohmann::json& run, std::ostream& out);
void render_console_devices(const nlohmann::json& run, std::ostream& out);

// Writes report.md, report.html, junit.xml, results.csv and metrics.prom into `run_dir`, each atomically;
// returns their paths.
std::vector<std::string> render_all(const nlohmann::json& run, const std::string& run_dir);
// The names of the files render_all writes, in the order of the paths it returns.
std::vector<std::string> report_file_names();

}  // namespace exacheck::reports
