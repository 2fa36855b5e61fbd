#pragma once
// Reading the history database: one device's values of one metric at one point, night by night (`exacheck
// history show`), each device against its own baseline (`history drift`), and the nights before a run of
// the devices it found needing attention (the trend in report.md and report.html). docs/history.md.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/history/history_db.hpp"

namespace exacheck::history {

struct device_info {
  std::int64_t id = 0;
  std::string key, kind, uuid, serial, name;
};

// One metric at one point of one case: a series of values per device.
struct series_info {
  std::int64_t id = 0;
  std::string case_id, case_name, benchmark, params, metric, statistic, unit, better;
};

// One night of a device's series: the value of the latest run of that night (a rerun supersedes).
struct night_value {
  std::string night;            // UTC date the run started
  std::optional<double> value;  // nullopt: no valid value (zero, NaN, missing)
  std::string host, outcome;    // where the device was that night; its outcome there ("" unknown)
};

struct series_history {
  device_info device;
  series_info series;
  std::vector<night_value> nights;  // oldest first
};

// What `history show` selects: a device by UUID, serial or key; the devices seen on a host; a metric by name.
// Empty: any.
struct show_filter {
  std::string gpu, host, metric;
};

// Every device × series the filter selects, with one value per night (oldest first), ordered by device key
// and series. With no filter at all, nothing (list_runs says what is there).
std::vector<series_history> history_of(database& db, const show_filter& filter);

struct run_row {
  std::string night, run_id, plan, system, verdict, run_dir, started_at;
  std::int64_t devices = 0;
  bool synthetic = false;
};
// Every run in the history, oldest night first.
std::vector<run_row> list_runs(database& db);

// `history drift` (docs/history.md "Drift"): the newest `recent` nights of the database are compared with
// the `nights` nights before them. For each device × series seen in those recent nights: recent = median of
// its values there, baseline = median of its values in the baseline nights (at least min(3, nights) of
// them); change = (recent − baseline) / baseline × 100; it drifts when the change is past `threshold_pct` in
// the metric's bad direction (below for better=higher, above for better=lower, either way when unknown).
struct drift_options {
  int nights = 7;
  int recent = 3;
  double threshold_pct = 2.0;
};

struct drift_finding {
  device_info device;
  series_info series;
  std::string host, last_night;  // where it was and when, in its newest recent night
  double baseline = 0, recent = 0, change_pct = 0;
  int baseline_nights = 0, recent_nights = 0;
};

struct drift_report {
  std::vector<std::string> baseline_nights, recent_nights;  // oldest first
  std::size_t judged = 0;                                   // device × series with enough nights to judge
  std::size_t not_enough = 0;                               // seen recently, too few baseline nights
  std::vector<drift_finding> drifting;                      // the farthest off first
};

drift_report find_drift(database& db, const drift_options& options);

// The trend section's data for a run's devices needing attention (docs/history.md "In the reports"): for
// each GPU of analysis.device_verdicts.attention (at most max_trend_devices), its failing metrics (at most
// max_trend_series each) over its last `nights` nights in the database. Null when the run has no device
// needing attention that the database knows.
inline constexpr std::size_t max_trend_devices = 50;
inline constexpr std::size_t max_trend_series = 4;
nlohmann::json trend_for_run(database& db, const nlohmann::json& run, int nights = 10);

}  // namespace exacheck::history
