// Writing a reference file from a run (`exacheck export-reference`), so a vendor can publish what it
// measured.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

#include "harness/compare/reference_file.hpp"
#include "harness/core/statistics.hpp"
#include "reports/analysis/format.hpp"

namespace exacheck {
namespace {

std::string string_of(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : "";
}

std::string today_utc() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

// Library versions as the run recorded them: the run's own, then each case's (the GPU libraries are
// reported by the workers).
nlohmann::json libraries_of(const nlohmann::json& run) {
  nlohmann::json libraries = nlohmann::json::object();
  const auto merge = [&](const nlohmann::json& more) {
    if (!more.is_object()) return;
    for (const auto& item : more.items())
      if (!libraries.contains(item.key()) && item.value().is_string()) libraries[item.key()] = item.value();
  };
  merge(field(field(run, "provenance"), "libraries"));
  if (field(run, "cases").is_array())
    for (const auto& c : run["cases"]) merge(field(c, "libraries"));
  return libraries;
}

// The first measured device's record: on a GPU run its name is the system's GPU model and its driver the
// driver version.
nlohmann::json first_device(const nlohmann::json& run) {
  if (!field(run, "cases").is_array()) return nullptr;
  for (const auto& c : run["cases"])
    if (field(c, "results").is_array())
      for (const auto& point : c["results"])
        if (field(point, "ranks").is_array())
          for (const auto& rank : point["ranks"])
            if (const auto& device = rank_device(run, rank); device.is_object()) return device;
  return nullptr;
}

nlohmann::json distribution_of(const comparable_metric& m) {
  std::vector<double> values;
  for (const auto& d : m.devices)
    if (is_valid_value(d.value)) values.push_back(d.value);
  if (values.empty()) return nullptr;
  const summary s = summarize(values);
  return {{"count", s.count}, {"min", s.min}, {"p5", s.p5},  {"median", s.median},
          {"mean", s.mean},   {"p95", s.p95}, {"max", s.max}};
}

// Numbers as the shortest text that reads back to the same double (the emitter would print 17 digits).
void emit_number(YAML::Emitter& out, const nlohmann::json& value) {
  if (value.is_number_integer())
    out << value.get<std::int64_t>();
  else
    out << fmt::format("{}", value.get<double>());
}

// A parameter value: strings quoted so that "1" or "true" stay strings when read back.
void emit_param(YAML::Emitter& out, const nlohmann::json& value) {
  if (value.is_number())
    emit_number(out, value);
  else if (value.is_boolean())
    out << (value.get<bool>() ? "true" : "false");
  else
    out << YAML::DoubleQuoted << (value.is_string() ? value.get<std::string>() : value.dump());
}

// dtype and the GEMM shape m, n, k first (as the reports print them), then the rest alphabetically.
std::vector<std::string> where_key_order(const nlohmann::json& where) {
  std::vector<std::string> keys;
  for (const char* key : {"dtype", "m", "n", "k"})
    if (where.contains(key)) keys.emplace_back(key);
  for (const auto& item : where.items())
    if (std::find(keys.begin(), keys.end(), item.key()) == keys.end()) keys.push_back(item.key());
  return keys;
}

}  // namespace

reference_file reference_from_run(const nlohmann::json& run, const std::string& organisation,
                                  const std::string& contact, const std::string& notes) {
  reference_file file;
  file.organisation = organisation;
  file.contact = contact;
  file.notes = notes;
  const nlohmann::json& provenance = field(run, "provenance");
  const std::string started = string_of(field(provenance, "started_at"));
  const std::string started_day = started.substr(0, std::min<std::size_t>(started.size(), 10));
  file.date = is_reference_date(started_day) ? started_day : today_utc();

  const nlohmann::json libraries = libraries_of(run);
  const nlohmann::json device = first_device(run);
  std::string name = string_of(field(field(run, "system"), "name"));
  if (name.empty()) name = string_of(field(field(run, "plan"), "name"));
  file.system["name"] = name.empty() ? "unnamed" : name;
  const auto set = [&](const char* key, const std::string& value) {
    if (!value.empty()) file.system[key] = value;
  };
  const bool gpu_run = string_of(field(device, "kind")) == "gpu";
  if (gpu_run) set("gpu_model", string_of(field(device, "name")));
  set("cpu_model", string_of(field(field(provenance, "cpu"), "model")));
  set("driver", !string_of(field(device, "driver")).empty() ? string_of(field(device, "driver"))
                                                            : string_of(field(libraries, "cuda_driver")));
  set("cuda", string_of(field(libraries, "cuda_runtime")));
  set("cublas", string_of(field(libraries, "cublaslt")));
  set("nccl", string_of(field(libraries, "nccl")));
  set("mpi", string_of(field(libraries, "mpi")));
  set("exacheck_version", string_of(field(provenance, "exacheck_version")));
  if (field(provenance, "hosts").is_array() && !provenance["hosts"].empty())
    file.system["nodes"] = provenance["hosts"].size();

  std::size_t gpus = 0;
  for (const auto& m : comparable_metrics_of_run(run)) {
    // Nothing to publish: no valid value, or one below zero, which a difference in percent cannot use (the
    // loader refuses both).
    if (!is_valid_value(m.value) || m.value < 0) continue;
    reference_entry entry;
    entry.benchmark = m.benchmark;
    entry.metric = m.metric;
    entry.where = m.params;
    entry.value = m.value;
    entry.unit = m.unit;
    entry.statistic = m.per_gpu ? "per_gpu_median" : "median";
    entry.better = m.better;
    if (m.per_gpu) entry.per_gpu = distribution_of(m);
    gpus = std::max(gpus, m.devices.size());
    file.entries.push_back(std::move(entry));
  }
  if (gpu_run && gpus > 0) file.system["gpus"] = gpus;
  return file;
}

std::string reference_file_yaml(const reference_file& reference) {
  YAML::Emitter out;
  out << YAML::Comment(
      "exacheck reference file (docs/reference-files.md): per-GPU medians, compare a run with\n"
      "  exacheck compare RUN_DIR --baseline THIS_FILE");
  out << YAML::Newline << YAML::BeginMap;
  out << YAML::Key << "schema" << YAML::Value << "exacheck/reference/v1";
  out << YAML::Key << "who" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "organisation" << YAML::Value << reference.organisation;
  if (!reference.contact.empty()) out << YAML::Key << "contact" << YAML::Value << reference.contact;
  out << YAML::EndMap;
  out << YAML::Key << "date" << YAML::Value << reference.date;
  out << YAML::Key << "system" << YAML::Value << YAML::BeginMap;
  static const char* const system_order[] = {
      "name", "gpu_model", "cpu_model", "gpus", "nodes",           "driver",
      "cuda", "cublas",    "nccl",      "mpi",  "exacheck_version"};
  for (const char* key : system_order) {
    if (!reference.system.contains(key)) continue;
    const auto& value = reference.system[key];
    out << YAML::Key << key << YAML::Value;
    if (value.is_number_integer())
      out << value.get<std::int64_t>();
    else
      out << YAML::DoubleQuoted << value.get<std::string>();
  }
  out << YAML::EndMap;
  if (!reference.notes.empty()) out << YAML::Key << "notes" << YAML::Value << reference.notes;
  out << YAML::Key << "entries" << YAML::Value << YAML::BeginSeq;
  for (const auto& e : reference.entries) {
    out << YAML::BeginMap;
    out << YAML::Key << "benchmark" << YAML::Value << e.benchmark;
    out << YAML::Key << "where" << YAML::Value << YAML::Flow << YAML::BeginMap;
    for (const auto& key : where_key_order(e.where)) {
      out << YAML::Key << key << YAML::Value;
      emit_param(out, e.where[key]);
    }
    out << YAML::EndMap;
    out << YAML::Key << "metric" << YAML::Value << e.metric;
    out << YAML::Key << "value" << YAML::Value;
    emit_number(out, e.value);
    out << YAML::Key << "unit" << YAML::Value << e.unit;
    out << YAML::Key << "statistic" << YAML::Value << e.statistic;
    if (e.better) out << YAML::Key << "better" << YAML::Value << *e.better;
    if (e.per_gpu.is_object()) {
      out << YAML::Key << "per_gpu" << YAML::Value << YAML::Flow << YAML::BeginMap;
      for (const char* key : {"count", "min", "p5", "median", "mean", "p95", "max"}) {
        if (!e.per_gpu.contains(key)) continue;
        out << YAML::Key << key << YAML::Value;
        emit_number(out, e.per_gpu[key]);
      }
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace exacheck
