#pragma once
// Reading the GPUs of one run.json analysis.metrics[] entry (docs/run-json.md "analysis"): the run's table of
// GPUs (analysis.devices, each GPU once) and the metric's parallel arrays aligned with each other
// (devices.index into that table, rank, value, robust_z). Tolerant like every reader: what is missing, out of
// range or of another type reads as null.
#include <nlohmann/json.hpp>

#include "reports/analysis/format.hpp"

namespace exacheck::reports {

class metric_devices {
 public:
  // One GPU of the metric. `gpu` is its analysis.devices entry: host, gpu, kind, uuid, serial, name.
  struct device {
    const nlohmann::json& gpu;
    const nlohmann::json& rank;
    const nlohmann::json& value;
    const nlohmann::json& robust_z;
  };

  metric_devices(const nlohmann::json& analysis, const nlohmann::json& metric)
      : m_table(list_field(analysis, "devices")),
        m_index(list_field(field(metric, "devices"), "index")),
        m_rank(list_field(field(metric, "devices"), "rank")),
        m_value(list_field(field(metric, "devices"), "value")),
        m_robust_z(list_field(field(metric, "devices"), "robust_z")) {}

  std::size_t size() const { return m_index.size(); }

  device operator[](std::size_t i) const {
    const nlohmann::json& index = m_index[i];
    const long long position = index.is_number_integer() ? index.get<long long>() : -1;
    const bool listed = position >= 0 && static_cast<std::size_t>(position) < m_table.size();
    return {listed ? m_table[static_cast<std::size_t>(position)] : null(), at(m_rank, i), at(m_value, i),
            at(m_robust_z, i)};
  }

 private:
  static const nlohmann::json& null() {
    static const nlohmann::json null_value;
    return null_value;
  }
  static const nlohmann::json& at(const nlohmann::json& column, std::size_t i) {
    return i < column.size() ? column[i] : null();
  }

  const nlohmann::json& m_table;
  const nlohmann::json& m_index;
  const nlohmann::json& m_rank;
  const nlohmann::json& m_value;
  const nlohmann::json& m_robust_z;
};

}  // namespace exacheck::reports
