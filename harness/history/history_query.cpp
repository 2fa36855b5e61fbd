#include "harness/history/history_query.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "harness/history/query_rows.hpp"

namespace exacheck::history {

std::vector<run_row> list_runs(database& db) {
  auto query = db.sql().prepare(
      "SELECT night, run_id, plan, system, verdict, run_dir, started_at, synthetic, "
      "(SELECT count(*) FROM run_devices WHERE run = runs.id) FROM runs ORDER BY night, started_at");
  std::vector<run_row> rows;
  while (query.step())
    rows.push_back({.night = query.text(0),
                    .run_id = query.text(1),
                    .plan = query.text(2),
                    .system = query.text(3),
                    .verdict = query.text(4),
                    .run_dir = query.text(5),
                    .started_at = query.text(6),
                    .devices = query.integer(8),
                    .synthetic = query.integer(7) != 0});
  return rows;
}

std::vector<series_history> history_of(database& db, const show_filter& filter) {
  connection& sql = db.sql();
  if (filter.gpu.empty() && filter.host.empty() && filter.metric.empty()) return {};
  // The devices and series selected, as id lists (integers: written into the query text as they are).
  std::vector<std::int64_t> devices, series;
  if (!filter.gpu.empty()) {
    auto query = sql.prepare("SELECT id FROM devices WHERE key = ?1 OR uuid = ?1 OR serial = ?1");
    query.bind(1, std::string_view(filter.gpu));
    while (query.step()) devices.push_back(query.integer(0));
    if (devices.empty()) return {};
  }
  if (!filter.host.empty()) {
    auto query = sql.prepare("SELECT DISTINCT device FROM run_devices WHERE host = ?");
    query.bind(1, std::string_view(filter.host));
    std::vector<std::int64_t> on_host;
    while (query.step()) on_host.push_back(query.integer(0));
    if (!filter.gpu.empty())
      std::erase_if(devices,
                    [&](auto id) { return std::find(on_host.begin(), on_host.end(), id) == on_host.end(); });
    else
      devices = std::move(on_host);
    if (devices.empty()) return {};
  }
  if (!filter.metric.empty()) {
    auto query = sql.prepare("SELECT id FROM series WHERE metric = ?");
    query.bind(1, std::string_view(filter.metric));
    while (query.step()) series.push_back(query.integer(0));
    if (series.empty()) return {};
  }
  std::string where;
  if (!devices.empty()) where += fmt::format(" AND m.device IN ({})", fmt::join(devices, ","));
  if (!series.empty()) where += fmt::format(" AND m.series IN ({})", fmt::join(series, ","));
  // Runs outer, the measurements of each by its primary key (run, device, …): never a scan of every run's
  // rows when devices are given.
  auto query = sql.prepare(
      "SELECT m.device, m.series, r.night, m.value, m.outcome, rd.host FROM runs r "
      "JOIN measurements m ON m.run = r.id LEFT JOIN run_devices rd ON rd.run = r.id AND rd.device = "
      "m.device "
      "WHERE r.night IS NOT NULL" +
      where + " ORDER BY r.night, r.started_at, r.id");
  // Per (device, series), per night: the last row wins (the night's latest run).
  std::map<std::pair<std::int64_t, std::int64_t>, std::map<std::string, night_value>> grouped;
  while (query.step()) {
    night_value row{.night = query.text(2),
                    .value = query.is_null(3) ? std::nullopt : std::optional<double>(query.real(3)),
                    .host = query.text(5),
                    .outcome = query.text(4)};
    grouped[{query.integer(0), query.integer(1)}][row.night] = std::move(row);
  }
  rows_cache cache(sql);
  std::vector<series_history> out;
  for (auto& [ids, nights] : grouped) {
    series_history entry{.device = cache.device(ids.first), .series = cache.series(ids.second), .nights = {}};
    for (auto& [night, value] : nights) entry.nights.push_back(std::move(value));
    out.push_back(std::move(entry));
  }
  std::sort(out.begin(), out.end(), [](const series_history& a, const series_history& b) {
    const std::string& host_a = a.nights.back().host;
    const std::string& host_b = b.nights.back().host;
    if (host_a != host_b) return host_a < host_b;
    if (a.device.key != b.device.key) return a.device.key < b.device.key;
    return a.series.id < b.series.id;
  });
  return out;
}

}  // namespace exacheck::history
