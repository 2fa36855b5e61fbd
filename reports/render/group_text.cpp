#include "reports/render/group_text.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "reports/analysis/format.hpp"

namespace exacheck::reports {
namespace {

using nlohmann::json;

std::string hosts_text(const json& hosts) {
  std::string text;
  for (const auto& h : hosts)
    if (h.is_string()) text += (text.empty() ? "" : "↔") + h.get<std::string>();
  return text;
}

std::string list_text(const json& hosts) {
  std::string text;
  for (const auto& h : hosts)
    if (h.is_string()) text += (text.empty() ? "" : ", ") + h.get<std::string>();
  return text;
}

}  // namespace

std::string group_title(const json& entry) {
  const std::string kind = text_field(entry, "kind");
  return fmt::format("{} · {} · {} at {}", text_field(entry, "case"),
                     kind == "per_node"     ? "every node at once"
                     : kind == "node_pairs" ? "node pairs"
                                            : kind,
                     text_field(entry, "metric"), params_text(field(entry, "params")));
}

std::string group_centre_text(const json& entry) {
  std::string text = fmt::format("Compared with {}, {}", text_field(entry, "median_of"),
                                 readable_quantity(field(entry, "median"), field(entry, "unit")));
  if (field(entry, "judged") == false) text += "; too few to judge outliers (analysis.rules.min_fleet)";
  return text;
}

std::vector<group_row> group_rows(const json& entry) {
  struct ranked {
    int order;   // 0 outlier, 1 slowest, 2 the rest
    double pct;  // signed: lower is worse
    std::size_t position;
    group_row row;
  };
  const std::string slowest = text_field(field(entry, "slowest"), "id");
  const bool higher = text_field(entry, "better") != "lower";
  std::vector<ranked> rows;
  const json& groups = list_field(entry, "groups");
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const json& g = groups[i];
    const json& value = field(g, "value");
    const json& pct = field(g, "pct_from_median");
    const bool outlier = field(g, "outlier") == true;
    const bool is_slowest = text_field(g, "id") == slowest;
    group_row row{hosts_text(field(g, "hosts")), text_field(g, "round"),
                  value.is_number() ? readable_quantity(value, field(entry, "unit")) : std::string("invalid"),
                  pct.is_number() ? fmt::format("{:+.1f}%", pct.get<double>()) : std::string(missing_mark),
                  outlier      ? "OUTLIER"
                  : is_slowest ? "slowest"
                               : "ok"};
    const double badness = pct.is_number() ? (higher ? pct.get<double>() : -pct.get<double>()) : -1e300;
    rows.push_back({outlier ? 0 : is_slowest ? 1 : 2, badness, i, std::move(row)});
  }
  std::stable_sort(rows.begin(), rows.end(), [](const ranked& a, const ranked& b) {
    if (a.order != b.order) return a.order < b.order;
    return a.pct != b.pct ? a.pct < b.pct : a.position < b.position;
  });
  std::vector<group_row> out;
  for (auto& r : rows) out.push_back(std::move(r.row));
  return out;
}

std::vector<std::string> group_notes(const json& entry) {
  std::vector<std::string> notes;
  for (const auto& host : list_field(entry, "suspect_hosts"))
    if (host.is_string())
      notes.push_back(
          fmt::format("{} is in every one of its node pairs, and each is an outlier: likely {}'s "
                      "link or NIC",
                      host.get<std::string>(), host.get<std::string>()));
  for (const auto& out : list_field(entry, "sitting_out"))
    notes.push_back(fmt::format("round {}: {} sat out (no partner)", text_field(out, "round"),
                                list_text(field(out, "hosts"))));
  return notes;
}

}  // namespace exacheck::reports
