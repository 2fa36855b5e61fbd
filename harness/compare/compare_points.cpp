// What `exacheck compare` compares: a run's metrics as (benchmark, point, metric) → per-GPU median or global
// value, with the devices behind each median.
#include <fmt/core.h>

#include <cmath>
#include <map>

#include "harness/compare/compare.hpp"
#include "harness/core/errors.hpp"
#include "harness/core/statistics.hpp"
#include "reports/analysis/analysis_devices.hpp"
#include "reports/analysis/format.hpp"

namespace exacheck {
namespace {

std::string text_of(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return value.dump();
  if (value.is_number()) return fmt::format("{}", value.get<double>());
  return "";
}

double number_of(const nlohmann::json& value) {
  return value.is_number() ? value.get<double>() : std::nan("");
}

// Integral floats as integers, so that a point read back from YAML (8192.0) keys like the run's (8192).
nlohmann::json canonical(const nlohmann::json& value) {
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& item : value.items()) out[item.key()] = canonical(item.value());
    return out;
  }
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9e15) return static_cast<std::int64_t>(d);
  }
  return value;
}

double median_of_valid(const std::vector<double>& values) {
  std::vector<double> valid;
  for (double v : values)
    if (is_valid_value(v)) valid.push_back(v);
  return valid.empty() ? std::nan("") : median(valid);
}

// Pools everything measured for one (benchmark, point, metric) across cases and repeats.
struct pool {
  comparable_metric metric;
  std::vector<double> global_values;
  std::vector<std::string> device_keys;         // in first-seen order
  std::map<std::string, device_value> devices;  // identity → device (value unused)
  std::map<std::string, std::vector<double>> device_values;
  std::vector<std::string> sources;
};

class run_reader {
 public:
  std::vector<comparable_metric> read(const nlohmann::json& run) {
    m_run = &run;
    const nlohmann::json& analysis = field(run, "analysis");
    const nlohmann::json& analysis_metrics = field(analysis, "metrics");
    const bool analysed = analysis_metrics.is_array();
    const nlohmann::json& cases = field(run, "cases");
    if (cases.is_array()) {
      for (const auto& c : cases)
        for (const auto& point :
             field(c, "results").is_array() ? field(c, "results") : nlohmann::json::array())
          read_point(c, point, !analysed);
    }
    if (analysed) {
      for (const auto& m : analysis_metrics) {
        pool& p =
            pool_for(text_of(field(m, "benchmark")), field(m, "params"), text_of(field(m, "metric")),
                     text_of(field(m, "unit")), text_of(field(m, "better")), true,
                     fmt::format("case {} ({})", text_of(field(m, "case")), text_of(field(m, "case_id"))));
        const reports::metric_devices devices(analysis, m);
        p.metric.ranks += static_cast<int>(devices.size());
        for (std::size_t i = 0; i < devices.size(); ++i) {
          const auto d = devices[i];
          add_device(p, {text_of(field(d.gpu, "host")), text_of(field(d.gpu, "gpu")),
                         text_of(field(d.gpu, "uuid")), text_of(field(d.gpu, "serial")), number_of(d.value)});
        }
      }
    }
    std::vector<comparable_metric> result;
    for (const auto& key : m_order) result.push_back(finish(m_pools.at(key)));
    return result;
  }

 private:
  void read_point(const nlohmann::json& c, const nlohmann::json& point, bool rank_scoped_too) {
    const nlohmann::json& ranks = field(point, "ranks");
    if (!ranks.is_array() || ranks.empty()) return;
    const bool global = text_of(field(point, "scope")) == "global";
    if (!global && !rank_scoped_too) return;
    const std::string source =
        fmt::format("case {} ({})", text_of(field(c, "name")), text_of(field(c, "id")));
    const nlohmann::json& metrics = field(point, "metrics");  // the descriptors; the ranks hold the values
    if (!metrics.is_array()) return;
    for (const auto& rank : ranks) {
      for (const auto& m : metrics) {
        const nlohmann::json* measured = rank_value(rank, text_of(field(m, "name")));
        if (!measured) continue;
        pool& p = pool_for(text_of(field(c, "benchmark")), field(point, "params"), text_of(field(m, "name")),
                           text_of(field(m, "unit")), text_of(field(m, "better")), !global, source);
        const double value = number_of(*measured);
        if (global) {
          p.global_values.push_back(value);
          p.metric.ranks = std::max(p.metric.ranks, static_cast<int>(ranks.size()));
          continue;
        }
        const nlohmann::json& device = rank_device(*m_run, rank);
        const nlohmann::json& index = field(device, "index");
        p.metric.ranks += 1;
        add_device(
            p, {text_of(field(rank, "host")), text_of(index.is_null() ? field(rank, "local_rank") : index),
                text_of(field(device, "uuid")), text_of(field(device, "serial")), value});
      }
      // A global metric is reduced across ranks: rank 0's record holds it.
      if (global) break;
    }
  }

  pool& pool_for(const std::string& benchmark, const nlohmann::json& params, const std::string& metric,
                 const std::string& unit, const std::string& better, bool per_gpu,
                 const std::string& source) {
    const nlohmann::json key_params = canonical(params.is_object() ? params : nlohmann::json::object());
    const std::string key = benchmark + "\n" + key_params.dump() + "\n" + metric;
    auto [at, inserted] = m_pools.try_emplace(key);
    pool& p = at->second;
    if (inserted) {
      m_order.push_back(key);
      p.metric.benchmark = benchmark;
      p.metric.metric = metric;
      p.metric.params = key_params;
      p.metric.unit = unit;
      p.metric.better = better == "lower" ? "lower" : "higher";
      p.metric.per_gpu = per_gpu;
    }
    if (std::find(p.sources.begin(), p.sources.end(), source) == p.sources.end()) p.sources.push_back(source);
    return p;
  }

  static void add_device(pool& p, device_value device) {
    const std::string identity = device.uuid.empty() ? device.host + "/" + device.gpu : device.uuid;
    if (!p.devices.count(identity)) {
      p.device_keys.push_back(identity);
      p.devices[identity] = device;
    }
    p.device_values[identity].push_back(device.value);
  }

  static comparable_metric finish(pool& p) {
    comparable_metric m = std::move(p.metric);
    for (std::size_t i = 0; i < p.sources.size(); ++i) m.source += (i ? ", " : "") + p.sources[i];
    if (!m.per_gpu) {
      m.value = median_of_valid(p.global_values);
      return m;
    }
    std::vector<double> values;
    for (const auto& identity : p.device_keys) {
      device_value d = p.devices.at(identity);
      const auto& repeats = p.device_values.at(identity);
      // A device that once gave no valid value stays invalid (fail closed); repeats are pooled by median.
      const bool all_valid = std::all_of(repeats.begin(), repeats.end(), is_valid_value);
      d.value = all_valid ? median_of_valid(repeats) : std::nan("");
      values.push_back(d.value);
      m.devices.push_back(std::move(d));
    }
    m.value = median_of_valid(values);
    return m;
  }

  std::map<std::string, pool> m_pools;
  std::vector<std::string> m_order;
  const nlohmann::json* m_run = nullptr;  // the run read()
};

}  // namespace

bool is_valid_value(double value) {
  return std::isfinite(value) && value != 0.0;
}

std::vector<comparable_metric> comparable_metrics_of_run(const nlohmann::json& run) {
  return run_reader().read(run);
}

bool params_match(const nlohmann::json& where, const nlohmann::json& params, bool exact) {
  if (!where.is_object() || !params.is_object()) return false;
  if (exact && where.size() != params.size()) return false;
  for (const auto& item : where.items()) {
    const auto found = params.find(item.key());
    // nlohmann compares numbers of different kinds by value (8192 == 8192.0).
    if (found == params.end() || !(canonical(*found) == canonical(item.value()))) return false;
  }
  return true;
}

double parse_tolerance_pct(const std::string& text) {
  std::string body = text;
  while (!body.empty() && body.back() == ' ') body.pop_back();
  if (!body.empty() && body.back() == '%') body.pop_back();
  while (!body.empty() && body.back() == ' ') body.pop_back();
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(body, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (body.empty() || used != body.size() || !std::isfinite(value) || value < 0)
    throw usage_error(
        fmt::format("--tolerance '{}' is not a tolerance: expected a non-negative percentage "
                    "such as 5% or 2.5%",
                    text));
  return value;
}

}  // namespace exacheck
