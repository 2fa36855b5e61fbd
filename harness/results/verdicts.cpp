#include "harness/results/verdicts.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "harness/core/result.hpp"
#include "harness/results/point_groups.hpp"
#include "harness/results/run_document.hpp"

namespace exacheck {
namespace {

std::string format_value(double value, const std::string& unit) {
  return fmt::format("{:.4g} {}", value, unit);
}

nlohmann::json json_or_null(std::optional<double> value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

std::string describe_tolerance(const std::optional<tolerance>& t, char sign) {
  if (!t) return "";
  return t->percent ? fmt::format(" {}{:g}%", sign, std::fabs(t->amount))
                    : fmt::format(" {}{:g}", sign, std::fabs(t->amount));
}

// NaN is the worst of all; otherwise lower is worse when higher is better, and the reverse.
bool is_worse(const metric& candidate, const metric& current) {
  if (!std::isfinite(candidate.value)) return std::isfinite(current.value);
  if (!std::isfinite(current.value)) return false;
  return candidate.better_is == better::higher ? candidate.value < current.value
                                               : candidate.value > current.value;
}

// The metric check: pick the value (worst rank or global), fail closed, compare with the reference.
nlohmann::json metric_check(const nlohmann::json& point, const std::string& name,
                            const std::string& benchmark, const system_spec* system, int ranks_expected,
                            const nlohmann::json& requested) {
  const bool global = point.value("scope", "rank") == "global";
  std::optional<metric> chosen;
  int chosen_rank = -1, measured = 0;
  std::string chosen_host;
  const nlohmann::json* descriptor = metric_descriptor(point, name);
  if (!descriptor)
    throw std::invalid_argument(fmt::format("metric '{}' has no descriptor in its point", name));
  // What every rank's number of this metric is (unit, statistic, better): the point's descriptor of it.
  metric described = descriptor->get<metric>();
  for (const auto& rank : point.at("ranks")) {
    const auto values = rank.find("values");
    if (values == rank.end() || !values->is_object()) continue;
    const auto value = values->find(name);
    if (value == values->end()) continue;
    described.value = value->is_number() ? value->get<double>() : std::nan("");
    ++measured;
    // Global metrics are the same on every rank: rank 0's is the one. Rank metrics: the worst rank's.
    // (A group's global metric: its lowest rank's, the first listed.)
    const bool take = !chosen || (global ? rank.value("rank", -1) == 0 : is_worse(described, *chosen));
    if (take) {
      chosen = described;
      chosen_rank = rank.value("rank", -1);
      chosen_host = rank.value("host", "");
    }
  }
  nlohmann::json check = make_check(name, point.at("params"), outcome::recorded, "");
  check["ranks_measured"] = measured;
  check["ranks_expected"] = ranks_expected;
  check["aggregation"] = global ? "global (reduced across ranks)" : "worst rank";
  if (!chosen) {
    check["outcome"] = to_string(outcome::fail);
    check["reason"] = "no rank reported this metric";
    return check;
  }
  check["value"] = std::isfinite(chosen->value) ? nlohmann::json(chosen->value) : nlohmann::json(nullptr);
  check["unit"] = chosen->unit;
  check["statistic"] = chosen->statistic;
  check["better"] = to_string(chosen->better_is);
  check["worst_rank"] = chosen_rank;
  check["worst_host"] = chosen_host;

  // Fail closed: a missing rank, a zero or a NaN never passes.
  if (!global && measured < ranks_expected) {
    check["outcome"] = to_string(outcome::fail);
    check["reason"] = fmt::format("only {} of {} ranks reported {}", measured, ranks_expected, name);
    return check;
  }
  if (!std::isfinite(chosen->value) || chosen->value <= 0) {
    check["outcome"] = to_string(outcome::fail);
    check["reason"] = fmt::format("rank {} measured {} = {}: a zero or non-finite result never passes",
                                  chosen_rank, name, std::isfinite(chosen->value) ? "0" : "NaN/inf");
    return check;
  }
  const auto refs = system ? matching_references(*system, benchmark, name, point.at("params"), requested)
                           : std::vector<const reference*>{};
  if (refs.empty()) {
    check["reason"] = "no reference for this metric";
    return check;
  }
  const reference& ref = *refs.front();
  const auto factor = unit_conversion(chosen->unit, ref.unit);
  if (!factor) {
    check["outcome"] = to_string(outcome::fail);
    check["reason"] = fmt::format("reference unit '{}' ({}) does not match the metric's unit '{}'", ref.unit,
                                  ref.where_defined.to_string(), chosen->unit);
    return check;
  }
  const double value = chosen->value * *factor;
  const auto bounds = bounds_of(ref);
  const better direction = ref.better_is.value_or(chosen->better_is);
  check["reference"] = {{"value", ref.value},
                        {"unit", ref.unit},
                        {"lower_bound", json_or_null(bounds.lower)},
                        {"upper_bound", json_or_null(bounds.upper)},
                        {"better", to_string(direction)},
                        {"source", ref.source}};
  if (ref.value != 0) check["delta_pct"] = (value - ref.value) / ref.value * 100.0;
  const std::string ref_text =
      fmt::format("reference {}{}{}", format_value(ref.value, ref.unit), describe_tolerance(ref.lower, '-'),
                  describe_tolerance(ref.upper, '+'));
  if (bounds.lower && value < *bounds.lower) {
    check["outcome"] = to_string(outcome::fail);
    check["reason"] = fmt::format("{} < {} ({})", format_value(value, ref.unit),
                                  format_value(*bounds.lower, ref.unit), ref_text);
  } else if (bounds.upper && value > *bounds.upper) {
    check["outcome"] = to_string(outcome::fail);
    check["reason"] = fmt::format("{} > {} ({})", format_value(value, ref.unit),
                                  format_value(*bounds.upper, ref.unit), ref_text);
  } else {
    check["outcome"] = to_string(outcome::pass);
    check["reason"] = fmt::format("{} within bounds ({})", format_value(value, ref.unit), ref_text);
  }
  return check;
}

// A point's derived values (docs/run-json.md "derived"): what every rank of it recorded alike is said once,
// by the point; a key on which ranks differ (threads on unlike nodes) stays with each rank that recorded it.
void gather_derived(nlohmann::json& point) {
  nlohmann::json& ranks = point["ranks"];
  const nlohmann::json none = nlohmann::json::object();
  nlohmann::json agreed;  // the values every rank recorded alike
  for (const auto& rank : ranks) {
    const auto derived = rank.find("derived");
    const nlohmann::json& mine = derived != rank.end() ? *derived : none;
    if (agreed.is_null()) {
      agreed = mine;
      continue;
    }
    for (auto item = agreed.begin(); item != agreed.end();) {
      const auto other = mine.find(item.key());
      if (other != mine.end() && *other == item.value())
        ++item;
      else
        item = agreed.erase(item);
    }
  }
  if (agreed.is_null()) return;
  for (auto& rank : ranks) {
    const auto derived = rank.find("derived");
    if (derived == rank.end()) continue;
    for (const auto& item : agreed.items()) derived->erase(item.key());
    if (derived->empty()) rank.erase(derived);
  }
  if (!agreed.empty()) point["derived"] = std::move(agreed);
}

}  // namespace

nlohmann::json failed_rank(const nlohmann::json& rank, const std::string& reason) {
  // A worker's record holds its device object; a stored one (run.json v3) its position in the run's
  // `devices`, which this record alone cannot resolve: then no device is named (never a throw).
  nlohmann::json device = rank.value("device", nlohmann::json::object());
  if (!device.is_object()) device = nlohmann::json::object();
  const bool gpu = device.value("kind", "") == "gpu";
  // The device as the analysis tells GPUs apart (reports/analysis/metric_fleet.hpp): its index on the host
  // for a GPU, the local rank for a cpu rank.
  const nlohmann::json index =
      gpu && device.contains("index") ? device["index"] : rank.value("local_rank", nlohmann::json(nullptr));
  return {{"rank", rank.value("rank", nlohmann::json(nullptr))},   {"host", rank.value("host", "")},
          {"kind", device.value("kind", nlohmann::json(nullptr))}, {"gpu", index},
          {"uuid", device.value("uuid", nlohmann::json(nullptr))}, {"reason", reason}};
}

nlohmann::json make_check(const std::string& metric_name, const nlohmann::json& params, outcome result,
                          std::string reason) {
  return {{"metric", metric_name},
          {"params", params},
          {"value", nullptr},
          {"unit", ""},
          {"statistic", ""},
          {"better", nullptr},
          {"aggregation", ""},
          {"reference", nullptr},
          {"delta_pct", nullptr},
          {"outcome", to_string(result)},
          {"reason", std::move(reason)},
          {"worst_rank", nullptr},
          {"worst_host", nullptr},
          {"ranks_measured", 0},
          {"ranks_expected", 0}};
}

reference_bounds bounds_of(const reference& ref) {
  // A tolerance is a distance from the reference: the lower bound lies below it, the upper above, whatever
  // sign it was written with ("-5%" and "5%" mean the same lower bound).
  const auto distance = [&](const tolerance& t) {
    return t.percent ? std::fabs(ref.value) * std::fabs(t.amount) / 100.0 : std::fabs(t.amount);
  };
  reference_bounds bounds;
  if (ref.lower) bounds.lower = ref.value - distance(*ref.lower);
  if (ref.upper) bounds.upper = ref.value + distance(*ref.upper);
  return bounds;
}

namespace {

// Appends each rank's i-th point (of `points_by_rank[k]`, the points of rank record `records[k]`) to the i-th
// of `points`, from position `first` on.
void add_points(nlohmann::json& points, std::size_t first, const std::vector<const nlohmann::json*>& records,
                const std::vector<const nlohmann::json*>& points_by_rank) {
  for (std::size_t k = 0; k < records.size(); ++k) {
    const nlohmann::json& rank = *records[k];
    const nlohmann::json& rank_points = *points_by_rank[k];
    for (std::size_t i = 0; i < rank_points.size(); ++i) {
      const auto& p = rank_points[i];
      if (points.size() <= first + i) {
        points.push_back({{"params", p.value("params", nlohmann::json::object())},
                          {"scope", p.value("scope", "rank")},
                          {"metrics", nlohmann::json::array()},
                          {"ranks", nlohmann::json::array()}});
        if (const auto group = p.find("group"); group != p.end() && group->is_object())
          points.back()["group"] = *group;
      }
      // A rank record holds its numbers only; what they are is said once, by the point (run/v2). Its
      // statistics are not kept: they are derivable from `samples`.
      nlohmann::json entry = {{"rank", rank.value("rank", -1)},
                              {"host", rank.value("host", "")},
                              {"local_rank", rank.value("local_rank", 0)},
                              {"device", rank.value("device", nlohmann::json::object())},
                              {"backend", rank.value("backend", "")},
                              {"values", nlohmann::json::object()},
                              {"samples", p.value("samples", nlohmann::json::array())},
                              {"correctness", p.value("correctness", nlohmann::json::object())},
                              {"skipped", p.value("skipped", nlohmann::json(nullptr))},
                              {"warnings", p.value("warnings", nlohmann::json::array())}};
      if (p.contains("slowest_rank")) entry["slowest_rank"] = p["slowest_rank"];  // collectives
      if (const auto derived = p.find("derived");
          derived != p.end() && derived->is_object() && !derived->empty())
        entry["derived"] = *derived;
      add_rank_metrics(points[first + i], entry, p.value("metrics", nlohmann::json::array()));
      points[first + i]["ranks"].push_back(std::move(entry));
    }
  }
}

}  // namespace

nlohmann::json results_by_point(const nlohmann::json& case_result) {
  nlohmann::json points = nlohmann::json::array();
  const nlohmann::json records = case_result.value("rank_results", nlohmann::json::array());
  if (!result_has_groups(records)) {
    std::vector<const nlohmann::json*> ranks, lists;
    const nlohmann::json none = nlohmann::json::array();
    for (const auto& rank : records) {
      ranks.push_back(&rank);
      const auto list = rank.find("points");
      lists.push_back(list != rank.end() && list->is_array() ? &*list : &none);
    }
    add_points(points, 0, ranks, lists);
  } else {
    // Copies on groups of the ranks (point_groups.hpp): each group's i-th points make one point, groups in
    // order of round, then id. Accounting has already refused a result whose groups do not add up.
    std::vector<const nlohmann::json*> ranks;
    for (const auto& rank : records) ranks.push_back(&rank);
    std::vector<std::string> problems;
    for (const auto& g : points_by_group(ranks, problems)) {
      std::vector<const nlohmann::json*> lists;
      for (const auto& list : g.points) lists.push_back(&list);
      add_points(points, points.size(), g.rank_records, lists);
    }
  }
  for (auto& point : points) gather_derived(point);
  return points;
}

nlohmann::json evaluate_checks(const nlohmann::json& results, const std::string& benchmark,
                               const system_spec* system, int ranks_expected,
                               const nlohmann::json& requested) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& point : results) {
    const auto& ranks = point.at("ranks");
    const auto& params = point.at("params");
    // A point the backend cannot run is SKIPPED with its reason, never faked.
    std::string skipped;
    for (const auto& r : ranks)
      if (r.value("skipped", nlohmann::json(nullptr)).is_string()) skipped = r["skipped"].get<std::string>();
    if (!skipped.empty()) {
      checks.push_back(make_check("skipped", params, outcome::skipped, skipped));
      continue;
    }
    // Correctness: one wrong rank makes the point INCORRECT; every wrong rank is named, with its device.
    int verified = 0;
    std::string failure;
    std::string method;
    nlohmann::json failed_ranks = nlohmann::json::array();
    for (const auto& r : ranks) {
      const auto c = r.value("correctness", nlohmann::json::object()).get<correctness>();
      if (!c.checked) continue;
      ++verified;
      method = c.method;
      if (c.passed) continue;
      if (failure.empty())
        failure = fmt::format("rank {} on {}: {}", r.value("rank", -1), r.value("host", ""), c.detail);
      failed_ranks.push_back(failed_rank(r, c.detail));
    }
    if (verified > 0) {
      nlohmann::json check =
          make_check("correctness", params, failure.empty() ? outcome::pass : outcome::incorrect,
                     failure.empty() ? fmt::format("verified on {} rank(s): {}", verified, method) : failure);
      check["ranks_measured"] = verified;
      check["ranks_expected"] = ranks_of_point(point, ranks_expected);
      if (!failed_ranks.empty()) check["failed_ranks"] = std::move(failed_ranks);
      checks.push_back(std::move(check));
    }
    std::vector<std::string> names;  // the point's metrics, in the order its ranks first reported them
    for (const auto& m : point.value("metrics", nlohmann::json::array()))
      names.push_back(m.value("name", ""));
    if (names.empty() && verified == 0)
      checks.push_back(
          make_check("run", params, outcome::error,
                     "the point produced no metric and no correctness check: no checks is not a pass"));
    for (const auto& name : names)
      checks.push_back(
          metric_check(point, name, benchmark, system, ranks_of_point(point, ranks_expected), requested));
  }
  return checks;
}

outcome worst_check_outcome(const nlohmann::json& checks) {
  std::vector<outcome> outcomes;
  for (const auto& c : checks)
    if (auto o = outcome_from_string(c.value("outcome", ""))) outcomes.push_back(*o);
  // Nothing judged is nothing shown to be right: never a pass.
  return outcomes.empty() ? outcome::error : worst_of(outcomes);
}

}  // namespace exacheck
