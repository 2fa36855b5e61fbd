// `exacheck history drift`: each device against its own baseline (docs/history.md "Drift").
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "harness/history/history_query.hpp"
#include "harness/history/query_rows.hpp"

namespace exacheck::history {
namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

// One valid value of the window, packed small (at 30 nights of 2,100 GPUs the window holds millions) and
// sorted on one integer: device (24 bits), series (24), the run's place in (night, started_at) order (16), so
// that a device's series comes together, a night's latest run last.
struct window_value {
  std::uint64_t key;
  double value;
  std::uint32_t device() const { return static_cast<std::uint32_t>(key >> 40); }
  std::uint32_t series() const { return static_cast<std::uint32_t>((key >> 16) & 0xffffff); }
  std::uint32_t run_order() const { return static_cast<std::uint32_t>(key & 0xffff); }
  std::uint64_t device_and_series() const { return key >> 16; }
};
constexpr std::int64_t max_packed_id = (1 << 24) - 1;
constexpr std::size_t max_window_runs = 1 << 16;

bool drifts(const std::string& better, double change_pct, double threshold_pct) {
  if (better == "higher") return change_pct < -threshold_pct;
  if (better == "lower") return change_pct > threshold_pct;
  return std::abs(change_pct) > threshold_pct;
}

}  // namespace

drift_report find_drift(database& db, const drift_options& options) {
  connection& sql = db.sql();
  drift_report report;
  // The window: the newest `recent` nights, and the `nights` before them.
  std::vector<std::string> window;
  {
    auto query =
        sql.prepare("SELECT DISTINCT night FROM runs WHERE night IS NOT NULL ORDER BY night DESC LIMIT ?");
    query.bind(1, std::int64_t{options.nights + options.recent});
    while (query.step()) window.push_back(query.text(0));
  }
  std::reverse(window.begin(), window.end());
  const std::size_t recent_count =
      std::min<std::size_t>(static_cast<std::size_t>(options.recent), window.size());
  const std::size_t first_recent = window.size() - recent_count;
  report.baseline_nights.assign(window.begin(), window.begin() + static_cast<std::ptrdiff_t>(first_recent));
  report.recent_nights.assign(window.begin() + static_cast<std::ptrdiff_t>(first_recent), window.end());
  if (window.empty()) return report;

  // The window's runs, in (night, started_at) order: their ids and nights by that place.
  std::unordered_map<std::int64_t, std::uint32_t> run_order;  // run id → place
  std::vector<std::uint16_t> run_night;                       // place → index into window
  {
    auto query = sql.prepare("SELECT id, night FROM runs WHERE night >= ? ORDER BY night, started_at, id");
    query.bind(1, std::string_view(window.front()));
    while (query.step()) {
      if (run_night.size() == max_window_runs)
        throw sqlite_error(fmt::format("{}: more than {} runs in the {} nights of the drift window",
                                       db.path(), max_window_runs, window.size()));
      run_order[query.integer(0)] = static_cast<std::uint32_t>(run_night.size());
      run_night.push_back(static_cast<std::uint16_t>(
          std::lower_bound(window.begin(), window.end(), query.text(1)) - window.begin()));
    }
  }
  std::vector<std::int64_t> run_ids;
  for (const auto& [id, place] : run_order) run_ids.push_back(id);
  std::vector<window_value> values;
  {
    auto query = sql.prepare(fmt::format(
        "SELECT run, device, series, value FROM measurements WHERE run IN ({}) AND value IS NOT NULL",
        fmt::join(run_ids, ",")));
    while (query.step()) {
      const std::int64_t device = query.integer(1), series = query.integer(2);
      if (device > max_packed_id || series > max_packed_id)
        throw sqlite_error(fmt::format("{}: more than {} devices or series", db.path(), max_packed_id));
      values.push_back({(static_cast<std::uint64_t>(device) << 40) |
                            (static_cast<std::uint64_t>(series) << 16) | run_order[query.integer(0)],
                        query.real(3)});
    }
  }
  std::sort(values.begin(), values.end(),
            [](const window_value& a, const window_value& b) { return a.key < b.key; });

  rows_cache cache(sql);
  auto last_host = sql.prepare(
      "SELECT rd.host FROM run_devices rd JOIN runs r ON r.id = rd.run WHERE rd.device = ? AND r.night = ? "
      "ORDER BY r.started_at DESC LIMIT 1");
  const std::size_t min_baseline = std::min<std::size_t>(3, static_cast<std::size_t>(options.nights));
  std::vector<double> baseline, recent;
  for (std::size_t begin = 0; begin < values.size();) {
    std::size_t end = begin;
    while (end < values.size() && values[end].device_and_series() == values[begin].device_and_series()) ++end;
    // One value per night: the night's latest run (rows are in run order, so the last of a night).
    baseline.clear();
    recent.clear();
    std::uint16_t newest = 0;
    for (std::size_t i = begin; i < end; ++i) {
      const std::uint16_t night = run_night[values[i].run_order()];
      if (i + 1 < end && run_night[values[i + 1].run_order()] == night) continue;
      (night >= first_recent ? recent : baseline).push_back(values[i].value);
      newest = night;
    }
    const window_value first = values[begin];
    begin = end;
    if (recent.empty()) continue;  // not seen lately: nothing to say about it now
    if (baseline.size() < std::max<std::size_t>(min_baseline, 1)) {
      ++report.not_enough;
      continue;
    }
    ++report.judged;
    const double baseline_value = median(baseline), recent_value = median(recent);
    if (baseline_value == 0) continue;
    const double change_pct = (recent_value - baseline_value) / std::abs(baseline_value) * 100.0;
    const series_info& series = cache.series(first.series());
    if (!drifts(series.better, change_pct, options.threshold_pct)) continue;
    drift_finding finding{.device = cache.device(first.device()),
                          .series = series,
                          .host = {},
                          .last_night = window[newest],
                          .baseline = baseline_value,
                          .recent = recent_value,
                          .change_pct = change_pct,
                          .baseline_nights = static_cast<int>(baseline.size()),
                          .recent_nights = static_cast<int>(recent.size())};
    last_host.bind(1, std::int64_t{first.device()}).bind(2, std::string_view(finding.last_night));
    if (last_host.step()) finding.host = last_host.text(0);
    last_host.reset();
    report.drifting.push_back(std::move(finding));
  }
  std::stable_sort(report.drifting.begin(), report.drifting.end(),
                   [](const drift_finding& a, const drift_finding& b) {
                     return std::abs(a.change_pct) > std::abs(b.change_pct);
                   });
  return report;
}

}  // namespace exacheck::history
