// Expansion of a loaded plan into worker launches, and the matching of references to measured points.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "harness/core/registry.hpp"
#include "harness/core/stable_hash.hpp"
#include "harness/plan/plan.hpp"
#include "harness/plan/plan_params.hpp"

namespace exacheck {

namespace {

// The id names the case directory and joins results across runs, so it depends only on what was measured
// (and, by FNV-1a, hashes the same on every build).
std::string stable_id(const std::string& name, const nlohmann::json& params, int repeat_index) {
  std::uint64_t hash = fnv1a_64(name);
  hash = fnv1a_64(std::string_view("\0", 1), hash);
  hash = fnv1a_64(params.dump(), hash);
  hash = fnv1a_64(std::string_view("\0", 1), hash);
  hash = fnv1a_64(std::to_string(repeat_index), hash);
  return fmt::format("{}-{:08x}", name, static_cast<std::uint32_t>(hash ^ (hash >> 32)));
}

bool matches_filter(const case_spec& c, const case_filter& filter) {
  const bool tag_ok =
      filter.tags.empty() || std::any_of(filter.tags.begin(), filter.tags.end(), [&](const auto& t) {
        return std::find(c.tags.begin(), c.tags.end(), t) != c.tags.end();
      });
  const bool name_ok = filter.names.empty() ||
                       std::find(filter.names.begin(), filter.names.end(), c.name) != filter.names.end();
  return tag_ok && name_ok;
}

// Every declared parameter with its value: given, else the default; parameters swept inside the worker as a
// list.
nlohmann::json complete_params(const case_spec& c, const std::vector<param_spec>& specs,
                               std::vector<validation_issue>& issues) {
  nlohmann::json params = nlohmann::json::object();
  for (const auto& spec : specs) {
    nlohmann::json value = c.params.contains(spec.name) ? c.params[spec.name] : spec.default_value;
    if (value.is_null()) {
      issues.push_back({c.where,
                        fmt::format("case '{}': parameter '{}' of benchmark '{}' is required", c.name,
                                    spec.name, c.benchmark),
                        spec.name + ": " + expected_value_text(spec), ""});
      continue;
    }
    if (spec.swept_inside_worker && !value.is_array()) value = nlohmann::json::array({value});
    params[spec.name] = std::move(value);
  }
  for (const auto& [name, value] : c.params.items()) {
    if (!find_param(specs, name)) {
      std::vector<std::string> names;
      for (const auto& spec : specs) names.push_back(spec.name);
      issues.push_back(
          {c.where,
           fmt::format("case '{}': unknown parameter '{}' for benchmark '{}'", c.name, name, c.benchmark),
           "one of: " + join_choices(names, ", "), did_you_mean(name, names)});
    }
  }
  return params;
}

// A point without the parameters that are left out of the identity at their default (param_spec::
// omitted_at_default), whether the plan gave the default or left it to the suite.
nlohmann::json without_omitted_defaults(nlohmann::json point, const std::vector<param_spec>& specs) {
  for (const auto& spec : specs)
    if (spec.omitted_at_default && point.contains(spec.name) &&
        same_param_value(point[spec.name], spec.default_value))
      point.erase(spec.name);
  return point;
}

// Cartesian product over the listed parameters in declaration order: the first declared parameter varies
// slowest, so launches come out grouped the way a reader scans a table.
std::vector<nlohmann::json> outer_points(const nlohmann::json& params, const std::vector<param_spec>& specs) {
  std::vector<nlohmann::json> points{params};
  for (const auto& spec : specs) {
    if (spec.swept_inside_worker || !params.contains(spec.name) || !params[spec.name].is_array()) continue;
    std::vector<nlohmann::json> next;
    next.reserve(points.size() * params[spec.name].size());
    for (const auto& point : points)
      for (const auto& value : params[spec.name]) {
        next.push_back(point);
        next.back()[spec.name] = value;
      }
    points = std::move(next);
  }
  return points;
}

}  // namespace

std::vector<expanded_case> expand(const plan& p, const registry& suites, const case_filter& filter) {
  std::vector<expanded_case> launches;
  std::vector<validation_issue> issues;
  for (const auto& c : p.cases) {
    if (!matches_filter(c, filter)) continue;
    const suite* s = suites.find(c.benchmark);
    if (!s) {
      const auto names = suites.benchmark_names();
      issues.push_back({c.where, fmt::format("case '{}': unknown benchmark '{}'", c.name, c.benchmark),
                        "one of: " + join_choices(names, ", "), did_you_mean(c.benchmark, names)});
      continue;
    }
    const auto specs = s->parameters(c.benchmark);
    const nlohmann::json params = complete_params(c, specs, issues);
    expanded_case base;
    base.name = c.name;
    base.benchmark = c.benchmark;
    base.tags = c.tags;
    base.ranks = c.ranks.value_or(p.defaults.ranks);
    base.ranks_per_node = c.ranks_per_node.value_or(p.defaults.ranks_per_node);
    base.hosts = c.hosts.value_or(p.defaults.hosts);
    base.cpus_per_node = c.cpus_per_node.value_or(p.defaults.cpus_per_node);
    base.launcher_args = c.launcher_args.value_or(p.defaults.launcher_args);
    base.timeout_s = c.timeout_s.value_or(p.defaults.timeout_s);
    base.launch_retries = c.launch_retries.value_or(p.defaults.launch_retries);
    base.backend = c.backend.value_or(p.defaults.backend);
    base.launcher = c.launcher.value_or(p.defaults.launcher);
    base.verify = c.verify.value_or(p.defaults.verify);
    base.allow_gpu_sharing = c.allow_gpu_sharing.value_or(p.defaults.allow_gpu_sharing);
    base.measurement = p.defaults.measurement;
    apply_measure_overrides(c.measure, base.measurement);
    bool unrunnable_reported = false;  // one issue per case, not one per point of its sweep
    for (const auto& swept : outer_points(params, specs)) {
      const nlohmann::json point = without_omitted_defaults(swept, specs);
      if (const auto why = s->why_unrunnable(c.benchmark, point); why && !unrunnable_reported) {
        issues.push_back(
            {c.where, fmt::format("case '{}': {}", c.name, *why),
             fmt::format("sizes within what a node holds ({:.0f} TiB per rank), counts within 64 bits, and "
                         "parameters where they apply (docs/plan-schema.md, Limits; exacheck list {})",
                         max_bytes_per_rank / 1099511627776.0, c.benchmark),
             ""});
        unrunnable_reported = true;
      }
      for (int repeat = 0; repeat < std::max(c.repeats, 1); ++repeat) {
        expanded_case launch = base;
        launch.params = point;
        launch.repeat_index = repeat;
        launch.id = stable_id(c.name, point, repeat);
        launches.push_back(std::move(launch));
      }
    }
  }
  if (!issues.empty()) throw validation_error(std::move(issues));
  return launches;
}

bool where_matches_point(const nlohmann::json& where, const nlohmann::json& point,
                         const nlohmann::json& requested) {
  if (!where.is_object()) return false;
  for (const auto& [key, value] : where.items()) {
    const bool measured = point.is_object() && point.contains(key) && same_param_value(point[key], value);
    // A value the plan asked for that the worker recorded resolved (flops' engine auto → cpu_simd): a
    // reference is written in the plan's terms. Lists (swept inside the worker) name no single point.
    const bool asked = requested.is_object() && requested.contains(key) && !requested[key].is_array() &&
                       same_param_value(requested[key], value);
    if (!measured && !asked) return false;
  }
  return true;
}

std::vector<const reference*> matching_references(const system_spec& system, const std::string& benchmark,
                                                  const std::string& metric, const nlohmann::json& point,
                                                  const nlohmann::json& requested) {
  std::vector<const reference*> matches;
  for (const auto& ref : system.references)
    if (ref.benchmark == benchmark && ref.metric == metric &&
        where_matches_point(ref.where, point, requested))
      matches.push_back(&ref);
  // Most specific first: a reference for {dtype: bf16, m: 8192} beats one for {dtype: bf16}; ties keep file
  // order.
  std::stable_sort(matches.begin(), matches.end(),
                   [](const reference* a, const reference* b) { return a->where.size() > b->where.size(); });
  return matches;
}

}  // namespace exacheck
