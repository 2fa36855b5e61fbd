// The trend of a run's devices needing attention, from the history (docs/history.md "In the reports").
#include <set>

#include "harness/history/history_query.hpp"
#include "harness/history/history_store.hpp"

namespace exacheck::history {
namespace {

using nlohmann::json;

const json& member(const json& object, const char* key) {
  static const json none;
  if (!object.is_object()) return none;
  const auto it = object.find(key);
  return it != object.end() ? *it : none;
}

std::string text_of(const json& object, const char* key) {
  const json& value = member(object, key);
  return value.is_string() ? value.get<std::string>() : "";
}

}  // namespace

json trend_for_run(database& db, const json& run, int nights) {
  connection& sql = db.sql();
  const json& verdicts = member(member(run, "analysis"), "device_verdicts");
  const json& gpus = member(verdicts, "gpus");
  auto find_device = sql.prepare("SELECT id FROM devices WHERE key = ?");
  auto find_series = sql.prepare(
      "SELECT id, unit, better, benchmark, statistic FROM series WHERE case_id = ? AND params = ? AND metric "
      "= ? "
      "ORDER BY id");
  // Runs outer, each run's row of this device and series by the primary key.
  auto values = sql.prepare(
      "SELECT r.night, m.value, m.outcome, r.run_id FROM runs r JOIN measurements m ON m.run = r.id "
      "AND m.device = ? AND m.series = ? WHERE r.night IS NOT NULL ORDER BY r.night, r.started_at, r.id");
  const std::string this_run = run_identity(run);
  json devices = json::array();
  bool run_in_history = false;
  for (const auto& attention : member(verdicts, "attention")) {
    if (devices.size() >= max_trend_devices) break;
    const json& position = member(attention, "gpu");
    if (!position.is_number_integer() || position.get<long long>() < 0 ||
        position.get<std::size_t>() >= gpus.size())
      continue;
    const json& gpu = gpus[position.get<std::size_t>()];
    find_device.bind(1, std::string_view(device_key(gpu)));
    const bool known = find_device.step();
    const std::int64_t device = known ? find_device.integer(0) : 0;
    find_device.reset();
    if (!known) continue;
    json series_list = json::array();
    std::set<std::int64_t> seen;
    for (const auto& reason : member(gpu, "reasons")) {
      if (series_list.size() >= max_trend_series) break;
      find_series.bind(1, std::string_view(text_of(reason, "case_id")));
      find_series.bind(2, std::string_view(params_key(member(reason, "params"))));
      find_series.bind(3, std::string_view(text_of(reason, "metric")));
      if (!find_series.step() || !seen.insert(find_series.integer(0)).second) {
        find_series.reset();
        continue;
      }
      const std::int64_t series = find_series.integer(0);
      json entry = {{"case_id", text_of(reason, "case_id")}, {"benchmark", find_series.text(3)},
                    {"metric", text_of(reason, "metric")},   {"params", member(reason, "params")},
                    {"unit", find_series.text(1)},           {"better", find_series.text(2)},
                    {"statistic", find_series.text(4)}};
      find_series.reset();
      // One value per night, the night's latest run last; then the newest `nights`.
      std::vector<json> by_night;
      values.bind(1, device).bind(2, series);
      while (values.step()) {
        json night = {{"night", values.text(0)},
                      {"value", values.is_null(1) ? json() : json(values.real(1))},
                      {"outcome", values.is_null(2) ? json() : json(values.text(2))},
                      {"this_run", values.text(3) == this_run}};
        if (night["this_run"].get<bool>()) run_in_history = true;
        if (!by_night.empty() && by_night.back()["night"] == night["night"])
          by_night.back() = std::move(night);
        else
          by_night.push_back(std::move(night));
      }
      values.reset();
      if (by_night.empty()) continue;
      const std::size_t first = by_night.size() > static_cast<std::size_t>(nights)
                                    ? by_night.size() - static_cast<std::size_t>(nights)
                                    : 0;
      entry["nights"] =
          json(std::vector<json>(by_night.begin() + static_cast<std::ptrdiff_t>(first), by_night.end()));
      series_list.push_back(std::move(entry));
    }
    if (series_list.empty()) continue;
    devices.push_back({{"host", member(gpu, "host")},
                       {"gpu", member(gpu, "gpu")},
                       {"kind", member(gpu, "kind")},
                       {"uuid", member(gpu, "uuid")},
                       {"serial", member(gpu, "serial")},
                       {"verdict", member(gpu, "verdict")},
                       {"series", std::move(series_list)}});
  }
  if (devices.empty()) return json();
  return {
      {"database", db.path()}, {"nights", nights}, {"run_in_history", run_in_history}, {"devices", devices}};
}

}  // namespace exacheck::history
