#include "harness/plan/plan_outliers.hpp"

#include <fmt/core.h>

#include "harness/core/peak_rules.hpp"
#include "harness/core/registry.hpp"

namespace exacheck {
namespace {

const std::vector<std::string> outlier_keys = {"z_threshold", "min_deviation_pct", "below_median_pct",
                                               "min_fleet", "spread"};
const std::vector<std::string> spread_keys = {"benchmark", "metric", "max_pct"};

// A number greater than zero (and below `below` when given).
std::optional<double> read_positive(yaml_reader& reader, const yaml_entry& e, const std::string& what,
                                    std::optional<double> below = std::nullopt) {
  const auto value = reader.read_number(e, what, 0);
  if (!value) return std::nullopt;
  if (*value <= 0 || (below && *value >= *below)) {
    reader.report(reader.location_of(e), fmt::format("{} is {:g}", what, *value),
                  below ? fmt::format("a number greater than 0 and less than {:g}", *below)
                        : std::string("a number greater than 0"));
    return std::nullopt;
  }
  return value;
}

std::optional<reports::outlier_rules::spread_rule> read_spread_rule(yaml_reader& reader,
                                                                    const YAML::Node& node, std::size_t index,
                                                                    const registry& suites) {
  const std::string what = fmt::format("outliers spread #{}", index + 1);
  const auto map = reader.read_map(node, reader.location_of(node), what, spread_keys, spread_keys);
  if (!map) return std::nullopt;
  reports::outlier_rules::spread_rule rule;
  bool ok = map->find("benchmark") && map->find("metric") && map->find("max_pct");
  for (const auto& e : map->entries) {
    if (e.key == "benchmark") {
      const auto benchmark = reader.read_string(e, what + ": benchmark");
      if (benchmark && !suites.find(*benchmark)) {
        const auto names = suites.benchmark_names();
        reader.report(reader.location_of(e), what + ": unknown benchmark " + quoted_text(*benchmark),
                      "one of: " + join_choices(names, ", "), did_you_mean(*benchmark, names));
        ok = false;
      } else if (benchmark) {
        rule.benchmark = *benchmark;
      } else {
        ok = false;
      }
    } else if (e.key == "metric") {
      const auto metric = reader.read_string(e, what + ": metric");
      if (metric && !metric->empty())
        rule.metric = *metric;
      else
        ok = false;
    } else if (e.key == "max_pct") {
      const auto pct = read_positive(reader, e, what + ": max_pct");
      if (pct)
        rule.max_pct = *pct;
      else
        ok = false;
    }
  }
  // A metric the benchmark does not report would make the rule silently do nothing.
  if (const suite* s = rule.benchmark.empty() ? nullptr : suites.find(rule.benchmark);
      s && !rule.metric.empty()) {
    const auto metrics = reported_metrics(*s, rule.benchmark);
    if (!find_metric_spec(metrics, rule.metric)) {
      const auto names = metric_names(metrics);
      reader.report(reader.location_of(*map->find("metric")),
                    fmt::format("{}: benchmark '{}' has no metric '{}'", what, rule.benchmark, rule.metric),
                    "one of: " + join_choices(names, ", ") + " (exacheck list " + rule.benchmark + ")",
                    did_you_mean(rule.metric, names));
      ok = false;
    }
  }
  return ok ? std::optional(rule) : std::nullopt;
}

}  // namespace

std::optional<reports::outlier_rules> read_outlier_rules(yaml_reader& reader, const yaml_entry& entry,
                                                         const registry& suites) {
  const auto map = reader.read_map(entry.value, reader.location_of(entry), "outliers", outlier_keys);
  if (!map) return std::nullopt;
  reports::outlier_rules rules;
  bool ok = true;
  for (const auto& e : map->entries) {
    const std::string what = "outliers " + e.key;
    if (e.key == "z_threshold") {
      if (const auto v = read_positive(reader, e, what))
        rules.z_threshold = *v;
      else
        ok = false;
    } else if (e.key == "min_deviation_pct") {
      // 0 is allowed: robust z alone decides.
      const auto v = reader.read_number(e, what, 0);
      if (v && *v < 100)
        rules.min_deviation_pct = *v;
      else {
        if (v)
          reader.report(reader.location_of(e), fmt::format("{} is {:g}", what, *v),
                        "a number from 0 to below 100");
        ok = false;
      }
    } else if (e.key == "below_median_pct") {
      if (const auto v = read_positive(reader, e, what, 100.0))
        rules.below_median_pct = *v;
      else
        ok = false;
    } else if (e.key == "min_fleet") {
      // A fleet of one has nothing to be compared with.
      if (const auto v = reader.read_integer(e, what, 2, std::numeric_limits<int>::max()))
        rules.min_fleet = static_cast<int>(*v);
      else
        ok = false;
    } else if (e.key == "spread") {
      if (!e.value.IsSequence()) {
        reader.report(reader.location_of(e), what + " is " + describe_node(e.value),
                      "a list of {benchmark, metric, max_pct}");
        ok = false;
        continue;
      }
      for (std::size_t i = 0; i < e.value.size(); ++i) {
        if (auto rule = read_spread_rule(reader, e.value[i], i, suites))
          rules.spread.push_back(std::move(*rule));
        else
          ok = false;
      }
    }
  }
  return ok ? std::optional(rules) : std::nullopt;
}

}  // namespace exacheck
