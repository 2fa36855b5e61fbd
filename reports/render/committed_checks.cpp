// Which checks the Commitments tables list (reports/render/committed_checks.hpp).
#include "reports/render/committed_checks.hpp"

#include <string>
#include <unordered_map>

#include "reports/analysis/format.hpp"

namespace exacheck::reports {
namespace {

std::string point_key(const nlohmann::json& case_id, const nlohmann::json& metric,
                      const nlohmann::json& params) {
  return scalar_text(case_id) + '\x1f' + scalar_text(metric) + '\x1f' + params.dump();
}

}  // namespace

bool committed_check::measured() const {
  return text_field(check, "aggregation") != "commitment";
}

std::vector<committed_check> committed_checks(const nlohmann::json& run) {
  std::unordered_map<std::string, const nlohmann::json*> metrics;
  for (const auto& metric : list_field(field(run, "analysis"), "metrics"))
    metrics.emplace(point_key(field(metric, "case_id"), field(metric, "metric"), field(metric, "params")),
                    &metric);
  std::vector<committed_check> rows;
  for (const auto& test_case : list_field(run, "cases"))
    for (const auto& check : list_field(test_case, "checks")) {
      if (!field(check, "reference").is_object()) continue;
      const auto found =
          metrics.find(point_key(field(test_case, "id"), field(check, "metric"), field(check, "params")));
      rows.push_back({test_case, check, found == metrics.end() ? nullptr : found->second});
    }
  return rows;
}

}  // namespace exacheck::reports
