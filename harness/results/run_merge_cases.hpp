#pragma once
// Internal to run_merge.cpp: the cases of several runs of one plan joined case by case (same case id), the
// ranks of each run numbered on after the previous run's (harness/results/run_merge.hpp says what is kept).
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

namespace exacheck::detail {

class case_merger {
 public:
  // Adds every case of one run: `source` is the run's position in provenance.merged.runs, `run_id` its id
  // (in messages), `device_map` the merged `devices` position of each of the run's own `devices`.
  void add_run(const nlohmann::json& run, int source, const std::string& run_id,
               const std::vector<std::size_t>& device_map);
  // The merged cases, in the order their ids were first met; each with its outcome from its checks.
  nlohmann::json take_cases();

 private:
  void add_case(const nlohmann::json& test_case, int source, const std::string& run_id,
                const std::vector<std::size_t>& device_map);

  std::vector<nlohmann::json> m_cases;
  std::unordered_map<std::string, std::size_t> m_index;  // case id → position in m_cases
};

}  // namespace exacheck::detail
