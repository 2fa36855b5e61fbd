#pragma once
// Shared by report.md and report.html: the "history_trend" the commands put beside run.json when given a
// history database (docs/history.md "In the reports"; never stored in run.json). Rendering only.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace exacheck::reports {

// The run's history_trend object, or null when there is none.
const nlohmann::json& history_trend_of(const nlohmann::json& run);
// "gemm · tflops · dtype=bf16 m=8192": one series of a trend device.
std::string trend_series_title(const nlohmann::json& series);
// The series' values, oldest first (nullopt: no valid value that night).
std::vector<std::optional<double>> trend_values(const nlohmann::json& series);
// "2026-11-20 … 2026-11-29 (10)"
std::string trend_nights_text(const nlohmann::json& series);
// "801.2 → 612 TFLOP/s (-23.6%)": first and last valid values, and the change between them.
std::string trend_change_text(const nlohmann::json& series);
// The sentence under the section's title: where the values come from and what is marked.
std::string trend_lead(const nlohmann::json& trend);

}  // namespace exacheck::reports
