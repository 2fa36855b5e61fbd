// A node of a case's launch (the Slurm allocation, or mpirun's hosts) that sent nothing for the case is
// MISSING for it, not absent from the analysis (docs/run-json.md "Device verdicts").
#include <fmt/core.h>

#include <set>

#include "reports/analysis/device_verdicts.hpp"
#include "reports/analysis/format.hpp"

namespace exacheck::reports::detail {

void attribute_missing_hosts(const nlohmann::json& test_case, device_verdicts& verdicts) {
  for (const auto& h : list_field(test_case, "hosts"))
    if (h.is_string()) verdicts.add_reported_host(h.get<std::string>());
  const auto& expected = list_field(test_case, "expected_hosts");
  if (expected.empty()) return;
  // Only a launch that ended and was recorded: a case that never ran is listed as unfinished instead.
  const std::string status = text_field(test_case, "status");
  if (status != "completed" && status != "error" && status != "timeout") return;
  std::set<std::string> reported;
  if (const auto& hosts = field(test_case, "hosts"); hosts.is_array()) {
    for (const auto& h : hosts)
      if (h.is_string()) reported.insert(h.get<std::string>());
  } else {  // run.json of an exacheck before `hosts`: what reached its results
    for (const auto& point : list_field(test_case, "results"))
      for (const auto& rank : list_field(point, "ranks")) reported.insert(text_field(rank, "host"));
  }
  const std::string message = text_field(test_case, "message");
  for (const auto& host : expected) {
    if (!host.is_string() || reported.count(host.get<std::string>())) continue;
    device_reason why;
    why.missing = true;
    why.kind = "missing";
    why.case_id = text_field(test_case, "id");
    why.benchmark = text_field(test_case, "benchmark");
    why.params = field(test_case, "params");
    why.reason = fmt::format(
        "its launch spanned this node and no rank on it reported for case {}{}", why.case_id,
        reported.empty() ? std::string(" (no node did") + (message.empty() ? ")" : ": " + message + ")")
                         : std::string());
    verdicts.add_node(host.get<std::string>(), std::move(why));
  }
}

}  // namespace exacheck::reports::detail
