#include "harness/core/result.hpp"

#include <cmath>

namespace exacheck {
namespace {
// JSON has no NaN or infinity: they are written as null and read back as NaN, so they fail closed.
nlohmann::json finite_or_null(double x) {
  return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr);
}
double number_or_nan(const nlohmann::json& in, const char* key) {
  return in.contains(key) && in[key].is_number() ? in[key].get<double>() : std::nan("");
}
}  // namespace

std::string_view to_string(better value) {
  return name_of(better_names, value);
}

std::optional<better> better_from_string(std::string_view text) {
  return value_of(better_names, text);
}

void to_json(nlohmann::json& out, const metric& v) {
  out = {{"name", v.name},           {"value", finite_or_null(v.value)}, {"unit", v.unit},
         {"statistic", v.statistic}, {"better", to_string(v.better_is)}, {"description", v.description}};
}

void from_json(const nlohmann::json& in, metric& v) {
  v.name = in.at("name").get<std::string>();
  v.value = number_or_nan(in, "value");
  v.unit = in.value("unit", "");
  v.statistic = in.value("statistic", "");
  v.better_is = better_from_string(in.value("better", "higher")).value_or(better::higher);
  v.description = in.value("description", "");
}

void to_json(nlohmann::json& out, const sample_series& v) {
  nlohmann::json values = nlohmann::json::array();
  for (double x : v.values) values.push_back(finite_or_null(x));
  out = {{"name", v.name}, {"unit", v.unit}, {"values", std::move(values)}};
}

void from_json(const nlohmann::json& in, sample_series& v) {
  v.name = in.at("name").get<std::string>();
  v.unit = in.value("unit", "");
  v.values.clear();
  for (const auto& x : in.value("values", nlohmann::json::array()))
    v.values.push_back(x.is_number() ? x.get<double>() : std::nan(""));
}

void to_json(nlohmann::json& out, const correctness& v) {
  out = {{"checked", v.checked}, {"passed", v.passed}, {"method", v.method}, {"detail", v.detail}};
}

void from_json(const nlohmann::json& in, correctness& v) {
  v.checked = in.value("checked", false);
  v.passed = in.value("passed", false);
  v.method = in.value("method", "");
  v.detail = in.value("detail", "");
}

void to_json(nlohmann::json& out, const slowest_rank_record& v) {
  out = {{"rank", v.rank},
         {"host", v.host},
         {"median_s", finite_or_null(v.median_s)},
         {"median_of_rank_medians_s", finite_or_null(v.median_of_rank_medians_s)},
         {"ratio", finite_or_null(v.ratio)}};
}

void from_json(const nlohmann::json& in, slowest_rank_record& v) {
  v.rank = in.value("rank", -1);
  v.host = in.value("host", "");
  v.median_s = number_or_nan(in, "median_s");
  v.median_of_rank_medians_s = number_or_nan(in, "median_of_rank_medians_s");
  v.ratio = number_or_nan(in, "ratio");
}

void to_json(nlohmann::json& out, const point_result& v) {
  out = {{"params", v.params},
         {"scope", name_of(metric_scope_names, v.scope)},
         {"metrics", v.metrics},
         {"samples", v.samples},
         {"correctness", v.check},
         {"skipped", v.skipped_reason ? nlohmann::json(*v.skipped_reason) : nlohmann::json(nullptr)},
         {"warnings", v.warnings}};
  // Only where a suite sets it: the other suites' results (and their golden files) stay as they were.
  if (v.slowest_rank) out["slowest_rank"] = *v.slowest_rank;
  if (v.derived.is_object() && !v.derived.empty()) out["derived"] = v.derived;
  if (v.group.is_object()) out["group"] = v.group;
}

void from_json(const nlohmann::json& in, point_result& v) {
  v.params = in.value("params", nlohmann::json::object());
  const auto derived = in.find("derived");
  v.derived = derived != in.end() && derived->is_object() ? *derived : nlohmann::json::object();
  v.scope = value_of(metric_scope_names, in.value("scope", "rank")).value_or(metric_scope::rank);
  v.metrics = in.value("metrics", std::vector<metric>{});
  v.samples = in.value("samples", std::vector<sample_series>{});
  v.check = in.value("correctness", correctness{});
  if (in.contains("skipped") && in["skipped"].is_string())
    v.skipped_reason = in["skipped"].get<std::string>();
  else
    v.skipped_reason.reset();
  v.warnings = in.value("warnings", std::vector<std::string>{});
  if (in.contains("slowest_rank") && in["slowest_rank"].is_object())
    v.slowest_rank = in["slowest_rank"].get<slowest_rank_record>();
  else
    v.slowest_rank.reset();
  const auto group = in.find("group");
  v.group = group != in.end() && group->is_object() ? *group : nlohmann::json();
}

}  // namespace exacheck
