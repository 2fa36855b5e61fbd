#pragma once
// The words of run.json analysis.groups (docs/run-json.md "Groups"), shared by report.md and report.html: a
// grouped collective's copies, bad groups first, each named by its hosts.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace exacheck::reports {

struct group_row {
  std::string group;        // "node03" or "node02↔node03"
  std::string round;        // "1"
  std::string value;        // "2.1 GB/s", or "invalid"
  std::string from_median;  // "−41%"
  std::string verdict;      // "OUTLIER", "slowest", "ok"
};

// "allreduce-pairs · node pairs · busbw at bytes=1048576 dtype=fp32": what one entry compares.
std::string group_title(const nlohmann::json& entry);
// "Compared with the median of 4 hosts' best pair, 20 GB/s"; "; not judged: fewer than min_fleet" when so.
std::string group_centre_text(const nlohmann::json& entry);
// Its groups, outliers first, then the slowest, then the rest; each part worst first.
std::vector<group_row> group_rows(const nlohmann::json& entry);
// "node03 is in every slow pair (likely its link or NIC)"; "round 1: node05 sat out"; empty when none.
std::vector<std::string> group_notes(const nlohmann::json& entry);

}  // namespace exacheck::reports
