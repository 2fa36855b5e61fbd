#include "harness/history/history_store.hpp"

#include <fmt/core.h>

#include <unordered_map>
#include <vector>

#include "harness/core/stable_hash.hpp"
#include "harness/io/files.hpp"
#include "harness/results/provenance.hpp"
#include "reports/analysis/analysis_devices.hpp"

namespace exacheck::history {
namespace {

using nlohmann::json;

std::string text_of(const json& object, const char* key) {
  if (!object.is_object()) return "";
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

const json& member(const json& object, const char* key) {
  static const json none;
  if (!object.is_object()) return none;
  const auto it = object.find(key);
  return it != object.end() ? *it : none;
}

// NULL for "": a missing UUID or serial is unknown, not an empty name.
void bind_text(statement& query, int index, const std::string& text) {
  if (text.empty())
    query.bind_null(index);
  else
    query.bind(index, std::string_view(text));
}

// Its id, from the one statement that inserts a row or, when the row is there, updates it; both return it.
std::int64_t upserted_id(statement& query) {
  query.step();
  const std::int64_t id = query.integer(0);
  query.reset();
  return id;
}

// Each device's outcome at each (case, metric, point) it failed, from its reasons in
// analysis.device_verdicts.gpus (worst first: the first reason of a key is its outcome), by position in
// analysis.devices; and whether its list is whole (failing_checks reasons listed, at most 20 are).
struct device_outcomes {
  std::string verdict;
  bool reasons_whole = true;
  std::unordered_map<std::string, std::string> by_point;
};

std::string point_key(const std::string& case_id, const std::string& metric, const std::string& params) {
  return case_id + '\0' + metric + '\0' + params;
}

std::vector<device_outcomes> outcomes_by_device(const json& analysis, std::size_t devices) {
  std::vector<device_outcomes> out(devices);
  for (const auto& gpu : member(member(analysis, "device_verdicts"), "gpus")) {
    const json& index = member(gpu, "device");
    if (!index.is_number_integer() || index.get<long long>() < 0 || index.get<std::size_t>() >= devices)
      continue;
    auto& entry = out[index.get<std::size_t>()];
    entry.verdict = text_of(gpu, "verdict");
    const json& reasons = member(gpu, "reasons");
    const json& failing = member(gpu, "failing_checks");
    entry.reasons_whole =
        !failing.is_number_integer() || failing.get<long long>() <= static_cast<long long>(reasons.size());
    for (const auto& reason : reasons)
      entry.by_point.try_emplace(point_key(text_of(reason, "case_id"), text_of(reason, "metric"),
                                           params_key(member(reason, "params"))),
                                 text_of(reason, "outcome"));
  }
  return out;
}

}  // namespace

std::string params_key(const json& params) {
  return params.is_null() ? "{}" : json_dump(params);
}

std::string run_identity(const json& run) {
  const json& plan = member(run, "plan");
  const json& provenance = member(run, "provenance");
  std::uint64_t hash = fnv1a_64_offset_basis;
  const auto fold = [&](const std::string& text) {
    hash = fnv1a_64(text, hash);
    hash = fnv1a_64_step(hash, 0);
  };
  fold(text_of(plan, "name"));
  fold(text_of(plan, "sha256"));
  fold(text_of(provenance, "started_at"));
  fold(text_of(provenance, "controller_host"));
  fold(json_dump(member(provenance, "command_line")));
  fold(json_dump(member(member(provenance, "slurm"), "job_id")));
  fold(json_dump(member(member(run, "synthetic_detail"), "seed")));
  return fmt::format("run-{:016x}", hash);
}

std::string run_night(const json& run) {
  return text_of(member(run, "provenance"), "started_at").substr(0, 10);
}

std::string device_key(const json& device) {
  if (const auto uuid = text_of(device, "uuid"); !uuid.empty()) return uuid;
  if (const auto serial = text_of(device, "serial"); !serial.empty()) return "serial:" + serial;
  const json& index = member(device, "gpu");
  const std::string kind = text_of(device, "kind");
  return fmt::format("{}/{}:{}", text_of(device, "host"), kind.empty() ? "gpu" : kind,
                     index.is_number_integer() ? std::to_string(index.get<long long>()) : "?");
}

add_result add_run(database& db, const json& run, const std::string& run_dir) {
  connection& sql = db.sql();
  add_result result{.run_id = run_identity(run), .night = run_night(run)};
  const json& analysis = member(run, "analysis");
  const json& table = member(analysis, "devices");
  const json& provenance = member(run, "provenance");
  transaction writing(sql);
  {
    auto known = sql.prepare("SELECT 1 FROM runs WHERE run_id = ?");
    known.bind(1, std::string_view(result.run_id));
    if (known.step()) return result;  // the same run again: nothing to do (rolled back, nothing written)
  }
  auto insert_run = sql.prepare(
      "INSERT INTO runs(run_id, plan, system, started_at, finished_at, night, slurm_job, hosts, verdict, "
      "exit_code, run_dir, synthetic, added_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)");
  insert_run.bind(1, std::string_view(result.run_id));
  bind_text(insert_run, 2, text_of(member(run, "plan"), "name"));
  bind_text(insert_run, 3, text_of(member(run, "system"), "name"));
  bind_text(insert_run, 4, text_of(provenance, "started_at"));
  bind_text(insert_run, 5, text_of(provenance, "finished_at"));
  bind_text(insert_run, 6, result.night);
  const json& job = member(member(provenance, "slurm"), "job_id");
  bind_text(insert_run, 7, job.is_string() ? job.get<std::string>() : "");
  insert_run.bind(
      8, std::string_view(json_dump(member(provenance, "hosts").is_array() ? member(provenance, "hosts")
                                                                           : json::array())));
  bind_text(insert_run, 9, text_of(run, "verdict"));
  const json& exit_code = member(run, "exit_code");
  if (exit_code.is_number_integer())
    insert_run.bind(10, exit_code.get<std::int64_t>());
  else
    insert_run.bind_null(10);
  bind_text(insert_run, 11, run_dir);
  insert_run.bind(
      12, std::int64_t{member(run, "synthetic").is_boolean() && member(run, "synthetic").get<bool>()});
  insert_run.bind(13, std::string_view(utc_timestamp_now()));
  insert_run.run();
  const std::int64_t run_row = sql.last_insert_rowid();

  // The run's devices: each once in `devices` (by what tells it apart), with its host and index tonight.
  const auto outcomes = outcomes_by_device(analysis, table.size());
  auto upsert_device = sql.prepare(
      "INSERT INTO devices(key, kind, uuid, serial, name) VALUES(?,?,?,?,?) ON CONFLICT(key) DO UPDATE SET "
      "kind = excluded.kind, uuid = coalesce(excluded.uuid, uuid), serial = coalesce(excluded.serial, "
      "serial), "
      "name = coalesce(excluded.name, name) RETURNING id");
  auto insert_run_device =
      sql.prepare("INSERT OR IGNORE INTO run_devices(run, device, host, gpu, verdict) VALUES(?,?,?,?,?)");
  std::vector<std::int64_t> device_rows(table.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    const json& device = table[i];
    bind_text(upsert_device, 1, device_key(device));
    bind_text(upsert_device, 2, text_of(device, "kind"));
    bind_text(upsert_device, 3, text_of(device, "uuid"));
    bind_text(upsert_device, 4, text_of(device, "serial"));
    bind_text(upsert_device, 5, text_of(device, "name"));
    device_rows[i] = upserted_id(upsert_device);
    insert_run_device.bind(1, run_row).bind(2, device_rows[i]);
    bind_text(insert_run_device, 3, text_of(device, "host"));
    const json& index = member(device, "gpu");
    if (index.is_number_integer())
      insert_run_device.bind(4, index.get<std::int64_t>());
    else
      insert_run_device.bind_null(4);
    bind_text(insert_run_device, 5, outcomes[i].verdict.empty() ? "PASS" : outcomes[i].verdict);
    insert_run_device.run();
  }
  result.devices = table.size();

  auto upsert_series = sql.prepare(
      "INSERT INTO series(case_id, params, metric, statistic, unit, benchmark, case_name, better) "
      "VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(case_id, params, metric, statistic, unit) DO UPDATE SET "
      "better = excluded.better RETURNING id");
  auto insert_value = sql.prepare(
      "INSERT OR IGNORE INTO measurements(run, device, series, value, outcome) VALUES(?,?,?,?,?)");
  for (const auto& metric : member(analysis, "metrics")) {
    const std::string case_id = text_of(metric, "case_id"), name = text_of(metric, "metric");
    const std::string params = params_key(member(metric, "params"));
    upsert_series.bind(1, std::string_view(case_id))
        .bind(2, std::string_view(params))
        .bind(3, std::string_view(name));
    upsert_series.bind(4, std::string_view(text_of(metric, "statistic")));
    upsert_series.bind(5, std::string_view(text_of(metric, "unit")));
    bind_text(upsert_series, 6, text_of(metric, "benchmark"));
    bind_text(upsert_series, 7, text_of(metric, "case"));
    bind_text(upsert_series, 8, text_of(metric, "better"));
    const std::int64_t series_row = upserted_id(upsert_series);
    const std::string key = point_key(case_id, name, params);
    const reports::metric_devices devices(analysis, metric);
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const auto device = devices[i];
      const json& index = member(member(metric, "devices"), "index")[i];
      if (!index.is_number_integer() || index.get<long long>() < 0 ||
          index.get<std::size_t>() >= table.size())
        continue;
      const std::size_t position = index.get<std::size_t>();
      const bool valid = device.value.is_number();
      insert_value.bind(1, run_row).bind(2, device_rows[position]).bind(3, series_row);
      insert_value.bind(4, valid ? std::optional<double>(device.value.get<double>()) : std::nullopt);
      // The device's own outcome here: its reason when it failed this point; FAIL without a valid value;
      // PASS when none of its checks failed, or all of them are listed and none is this; else unknown (NULL).
      const auto& known = outcomes[position];
      if (const auto reason = known.by_point.find(key); reason != known.by_point.end())
        bind_text(insert_value, 5, reason->second);
      else if (!valid)
        bind_text(insert_value, 5, "FAIL");
      else if (known.verdict.empty() || known.verdict == "PASS" || known.reasons_whole)
        bind_text(insert_value, 5, "PASS");
      else
        insert_value.bind_null(5);
      insert_value.run();
      ++result.values;
    }
  }
  writing.commit();
  result.added = true;
  return result;
}

prune_result prune(database& db, int keep_days) {
  connection& sql = db.sql();
  transaction writing(sql);
  prune_result result;
  auto cutoff_query = sql.prepare("SELECT date(max(night), ?) FROM runs");
  cutoff_query.bind(1, std::string_view(fmt::format("-{} days", keep_days)));
  cutoff_query.step();
  if (cutoff_query.is_null(0)) return result;
  const std::string cutoff = cutoff_query.text(0);
  cutoff_query.reset();
  auto remove = [&](const char* text) {
    auto query = sql.prepare(text);
    query.bind(1, std::string_view(cutoff));
    query.run();
    return static_cast<std::size_t>(sql.changes());
  };
  remove("DELETE FROM measurements WHERE run IN (SELECT id FROM runs WHERE night < ?)");
  remove("DELETE FROM run_devices WHERE run IN (SELECT id FROM runs WHERE night < ?)");
  result.runs = remove("DELETE FROM runs WHERE night < ?");
  sql.exec("DELETE FROM devices WHERE id NOT IN (SELECT device FROM run_devices)");
  auto earliest = sql.prepare("SELECT min(night) FROM runs");
  if (earliest.step() && !earliest.is_null(0)) result.kept_from = earliest.text(0);
  earliest.reset();
  writing.commit();
  return result;
}

}  // namespace exacheck::history
