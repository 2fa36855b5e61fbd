#pragma once
// Internal to harness/history's queries: devices and series by id, each read once.
#include <unordered_map>

#include "harness/history/history_query.hpp"

namespace exacheck::history {

class rows_cache {
 public:
  explicit rows_cache(connection& sql)
      : m_device(sql.prepare("SELECT id, key, kind, uuid, serial, name FROM devices WHERE id = ?")),
        m_series(sql.prepare(
            "SELECT id, case_id, case_name, benchmark, params, metric, statistic, unit, better FROM series "
            "WHERE id = ?")) {}

  const device_info& device(std::int64_t id) {
    auto [it, inserted] = m_devices.try_emplace(id);
    if (inserted) {
      m_device.bind(1, id);
      if (m_device.step())
        it->second = {.id = id,
                      .key = m_device.text(1),
                      .kind = m_device.text(2),
                      .uuid = m_device.text(3),
                      .serial = m_device.text(4),
                      .name = m_device.text(5)};
      m_device.reset();
    }
    return it->second;
  }

  const series_info& series(std::int64_t id) {
    auto [it, inserted] = m_all_series.try_emplace(id);
    if (inserted) {
      m_series.bind(1, id);
      if (m_series.step())
        it->second = {.id = id,
                      .case_id = m_series.text(1),
                      .case_name = m_series.text(2),
                      .benchmark = m_series.text(3),
                      .params = m_series.text(4),
                      .metric = m_series.text(5),
                      .statistic = m_series.text(6),
                      .unit = m_series.text(7),
                      .better = m_series.text(8)};
      m_series.reset();
    }
    return it->second;
  }

 private:
  statement m_device, m_series;
  std::unordered_map<std::int64_t, device_info> m_devices;
  std::unordered_map<std::int64_t, series_info> m_all_series;
};

}  // namespace exacheck::history
