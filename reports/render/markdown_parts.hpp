#pragma once
// Internal to the markdown renderer: its shared table writers and the sections rendered from run.json
// "analysis" (reports/render/markdown_analysis.cpp).
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "reports/analysis/format.hpp"

namespace exacheck::reports::markdown {

// "—" (missing_mark) for a cell with nothing to say.
inline const std::string dash(missing_mark);
// `text`, or "—" when it is empty.
inline std::string or_dash(const std::string& text) {
  return text.empty() ? dash : text;
}

void write_table_row(std::ostream& out, const std::vector<std::string>& cells);
void write_table_header(std::ostream& out, const std::vector<std::string>& names);
// "700 TFLOP/s (≥ 665)": a check's reference with its bounds, or "—".
std::string reference_cell(const nlohmann::json& reference);

// "Devices needing attention" from run.json analysis.device_verdicts: the table of devices, each one's
// failing checks, the checks tied to no device. False (nothing written) when run.json has no device verdicts.
bool write_devices_needing_attention(const nlohmann::json& run, std::ostream& out);
// At most this many devices get their failing checks listed under their name (the table lists them all).
inline constexpr std::size_t max_devices_detailed = 50;

// "Trend from the history" (markdown_trend.cpp): the nights before this run of each device needing attention,
// from the history database (history_trend beside run.json, docs/history.md); nothing without one.
void write_history_trend(const nlohmann::json& run, std::ostream& out);

// Measured totals over GPUs per metric (rates only), beside the projection to the system's size.
void write_system_totals(const nlohmann::json& run, std::ostream& out);
// Every check with a reference (per-GPU metrics and collectives) and every reference committed but not
// measured: committed vs measured, Δ%, verdict, and for per-GPU metrics the fleet median, worst GPU and node.
void write_commitments(const nlohmann::json& run, std::ostream& out);
// Bus bandwidth of each collective at its largest scale.
void write_collectives(const nlohmann::json& run, std::ostream& out);
// Grouped collectives (analysis.groups): each copy by its hosts, bad groups first; nothing when none ran.
void write_groups(const nlohmann::json& run, std::ostream& out);

}  // namespace exacheck::reports::markdown
