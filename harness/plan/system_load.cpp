// Loading a system file: the machine's size and datasheet peaks, and the reference numbers its results are
// judged against. Validated as strictly as plans: every key, number, tolerance and direction, and — given the
// registry — each reference's benchmark, metric, `where:` parameters and values, and unit against what the
// benchmark declares (harness/plan/system_references.cpp then checks the references against a plan's points).
#include <fmt/format.h>

#include <filesystem>

#include "harness/core/peak_rules.hpp"
#include "harness/core/registry.hpp"
#include "harness/core/units.hpp"
#include "harness/plan/plan.hpp"
#include "harness/plan/plan_params.hpp"
#include "harness/plan/reference_entry.hpp"
#include "harness/plan/yaml_reader.hpp"

namespace exacheck {

namespace {

constexpr const char* system_schema = "exacheck/system/v1";
const std::vector<std::string> system_keys = {"schema", "name",         "description",
                                              "size",   "peak_per_gpu", "references"};
const std::vector<std::string> size_keys = {"nodes", "gpus_per_node"};
const reference_entry_format reference_format{
    .keys = {"benchmark", "metric", "where", "value", "unit", "lower", "upper", "better", "source"},
    .where_example = "{dtype: bf16, bytes: 64MiB}",
    .where_why_one = "a reference applies to one parameter point"};
const std::string tolerance_expected =
    "a relative tolerance like -5% or 10%, or an absolute amount in the unit";

std::optional<tolerance> read_tolerance(yaml_reader& reader, const yaml_entry& entry,
                                        const std::string& what) {
  if (!entry.value.IsScalar()) {
    reader.report(reader.location_of(entry), what + " is " + describe_node(entry.value), tolerance_expected);
    return std::nullopt;
  }
  std::string text = entry.value.Scalar();
  tolerance result;
  result.percent = !text.empty() && text.back() == '%';
  if (result.percent) text.pop_back();
  while (!text.empty() && text.back() == ' ') text.pop_back();
  const auto amount = number_from_text(text);
  if (!amount) {
    reader.report(reader.location_of(entry),
                  what + " is " + quoted_text(entry.value.Scalar()) + ", not a tolerance",
                  tolerance_expected);
    return std::nullopt;
  }
  // Kept as written ("-5%" stays -5): the verdict treats a tolerance as a distance from the reference.
  result.amount = *amount;
  return result;
}

class system_loader {
 public:
  system_loader(const std::string& path, const registry* suites)
      : m_reader(path), m_path(path), m_suites(suites) {}

  system_spec load() {
    std::string bytes;
    const YAML::Node root = load_schema_file(m_reader, m_path, "system", system_schema, system_keys, bytes);
    system_spec system;
    system.file = std::filesystem::absolute(m_path).lexically_normal().string();
    const auto map =
        m_reader.read_map(root, {m_path, 1, 1}, "the system file", system_keys, {"schema", "name"});
    if (!map) m_reader.throw_if_issues();
    if (const auto* e = map->find("schema")) m_reader.read_string(*e, "schema");
    for (const auto& e : map->entries) {
      if (e.key == "name") {
        if (const auto v = m_reader.read_string(e, "the system's name")) system.name = *v;
      } else if (e.key == "description") {
        m_reader.read_string(e, "the system's description");
      } else if (e.key == "size") {
        read_size(e, system);
      } else if (e.key == "peak_per_gpu") {
        read_peaks(e, system);
      } else if (e.key == "references") {
        read_references(e, system);
      }
    }
    m_reader.throw_if_issues();
    return system;
  }

 private:
  void read_size(const yaml_entry& entry, system_spec& system) {
    const auto map = m_reader.read_map(entry.value, m_reader.location_of(entry), "size", size_keys);
    if (!map) return;
    constexpr std::int64_t int_max = std::numeric_limits<int>::max();
    if (const auto* e = map->find("nodes"))
      if (const auto v = m_reader.read_integer(*e, "size nodes", 1, int_max))
        system.nodes = static_cast<int>(*v);
    if (const auto* e = map->find("gpus_per_node"))
      if (const auto v = m_reader.read_integer(*e, "size gpus_per_node", 0, int_max))
        system.gpus_per_node = static_cast<int>(*v);
  }

  // Peaks are free-form by design (precisions differ per vendor): numbers per precision, plus text such as
  // `unit: TFLOP/s` and `hbm: 3.35 TB/s`. Only nesting is refused, so reports can print them as a flat table.
  void read_peaks(const yaml_entry& entry, system_spec& system) {
    if (!entry.value.IsMap()) {
      m_reader.report(m_reader.location_of(entry), "peak_per_gpu is " + describe_node(entry.value),
                      "a map of precision to number, e.g. {fp64: 67, bf16: 989.5, unit: TFLOP/s}");
      return;
    }
    for (auto it = entry.value.begin(); it != entry.value.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
      const yaml_entry peak{key, it->first, it->second};
      if (!it->second.IsScalar() || key.empty()) {
        m_reader.report(m_reader.location_of(peak),
                        "peak_per_gpu " + key + " is " + describe_node(it->second),
                        "a number, or text such as '3.35 TB/s'");
        continue;
      }
      const bool quoted = it->second.Tag() == "!";
      const auto number = quoted ? std::nullopt : number_from_text(it->second.Scalar());
      system.peak_per_gpu[key] = number ? nlohmann::json(*number) : nlohmann::json(it->second.Scalar());
    }
  }

  void read_references(const yaml_entry& entry, system_spec& system) {
    if (!entry.value.IsSequence()) {
      m_reader.report(m_reader.location_of(entry), "references is " + describe_node(entry.value),
                      "a list of {benchmark, metric, where, value, unit, lower, upper, better, source}");
      return;
    }
    for (std::size_t i = 0; i < entry.value.size(); ++i) {
      reference ref;
      if (!read_reference(entry.value[i], i, ref)) continue;
      if (const auto* first = repeated_entry(system.references, ref))
        m_reader.report(
            ref.where_defined,
            fmt::format("reference #{} repeats the reference at line {} (same benchmark, where and "
                        "metric)",
                        i + 1, first->where_defined.line),
            "one reference per benchmark, where and metric: only the first would judge a point (one "
            "reference holds both a lower and an upper tolerance)");
      system.references.push_back(std::move(ref));
    }
  }

  bool read_reference(const YAML::Node& node, std::size_t index, reference& ref) {
    const std::string what = fmt::format("reference #{}", index + 1);
    auto result = read_reference_entry(
        m_reader, node, what, reference_format, ref,
        [&](const yaml_entry& e, const std::string& name) { return read_own_key(e, name, ref); });
    ref.where_defined = result.at;
    ref.located = std::move(result.located);
    if (result.better) ref.better_is = better_from_string(*result.better);
    if (!result.map) return false;
    bool ok = result.ok;
    if (m_suites && !ref.benchmark.empty()) ok = check_against_suite(*result.map, what, ref) && ok;
    return ok;
  }

  // The keys only a system file's references have: the tolerances and the source.
  bool read_own_key(const yaml_entry& e, const std::string& name, reference& ref) {
    if (e.key == "lower" || e.key == "upper") {
      auto& bound = e.key == "lower" ? ref.lower : ref.upper;
      bound = read_tolerance(m_reader, e, name);
      return bound.has_value();
    }
    const auto source = m_reader.read_string(e, name);
    ref.source = source.value_or("");
    return source.has_value();
  }

  // The reference against what its benchmark declares: its metrics (with the derived pct_of_peak), its
  // parameters for `where:` (values read as a plan reads them), and the metric's unit for `unit`.
  bool check_against_suite(const yaml_map& map, const std::string& what, reference& ref) {
    const suite* s = m_suites->find(ref.benchmark);
    if (!s) {
      const auto names = m_suites->benchmark_names();
      m_reader.report(ref.located["benchmark"], what + ": unknown benchmark '" + ref.benchmark + "'",
                      "one of: " + join_choices(names, ", "), did_you_mean(ref.benchmark, names));
      return false;
    }
    bool ok = true;
    const auto metrics = reported_metrics(*s, ref.benchmark);
    const metric_spec* metric = find_metric_spec(metrics, ref.metric);
    if (!metric && !ref.metric.empty()) {
      const auto names = metric_names(metrics);
      m_reader.report(ref.located["metric"],
                      fmt::format("{}: benchmark '{}' has no metric '{}'", what, ref.benchmark, ref.metric),
                      "one of: " + join_choices(names, ", ") + " (exacheck list " + ref.benchmark + ")",
                      did_you_mean(ref.metric, names));
      ok = false;
    }
    if (const auto* where = map.find("where"); where && where->value.IsMap())
      ok = check_where(*where, what, *s, ref) && ok;
    if (metric && !ref.unit.empty() && !unit_conversion(metric->unit, ref.unit)) {
      const auto units = units_like(metric->unit);
      const auto quantity = unit_quantity(ref.unit);
      const std::string measured_in =
          fmt::format("{} {} is measured in {}", ref.benchmark, ref.metric, metric->unit);
      m_reader.report(
          ref.located["unit"],
          quantity
              ? fmt::format("{} unit '{}' is a unit of {}, but {}", what, ref.unit, *quantity, measured_in)
              : fmt::format("{} unit '{}' is not a unit exacheck knows ({})", what, ref.unit, measured_in),
          "one of: " + join_choices(units, ", "), did_you_mean(ref.unit, units));
      ok = false;
    }
    return ok;
  }

  bool check_where(const yaml_entry& entry, const std::string& what, const suite& s, reference& ref) {
    const auto params = s.parameters(ref.benchmark);
    std::vector<std::string> names;
    for (const auto& p : params) names.push_back(p.name);
    bool ok = true;
    for (auto it = entry.value.begin(); it != entry.value.end(); ++it) {
      if (!it->first.IsScalar() || !it->second.IsScalar()) continue;  // reported by read_where_point
      const std::string key = it->first.Scalar();
      const yaml_entry item{key, it->first, it->second};
      ref.located["where." + key] = m_reader.location_of(item);
      const param_spec* spec = find_param(params, key);
      if (!spec) {
        m_reader.report(
            m_reader.location_of(it->first),
            fmt::format("{} where: '{}' is not a parameter of benchmark '{}'", what, key, ref.benchmark),
            "one of: " + join_choices(names, ", "), did_you_mean(key, names));
        ok = false;
        continue;
      }
      auto value = read_param_scalar(m_reader, it->second, m_reader.location_of(item), *spec,
                                     fmt::format("{} where {}", what, key));
      if (value && spec->omitted_at_default && same_param_value(*value, spec->default_value)) {
        // Points at the default do not carry the key (param_spec::omitted_at_default): naming it could never
        // match, and dropping it silently would widen the reference to the other values too.
        m_reader.report(
            m_reader.location_of(it->first),
            fmt::format("{} where: '{}' at its default ({}) names no point: points at the default "
                        "leave {} out of their parameters",
                        what, key, value->dump(), key),
            fmt::format("leave '{}' out of where: (the reference then also applies where {} has "
                        "another value, unless a reference naming that value is there: the most "
                        "specific one wins)",
                        key, key),
            "");
        ok = false;
      } else if (value) {
        ref.where[key] = std::move(*value);  // normalised as in plans, so that it matches the points
      } else {
        ok = false;
      }
    }
    return ok;
  }

  yaml_reader m_reader;
  std::string m_path;
  const registry* m_suites = nullptr;  // null: references are checked for form only
};

}  // namespace

system_spec load_system(const std::string& path) {
  return system_loader(path, nullptr).load();
}

system_spec load_system(const std::string& path, const registry& suites) {
  return system_loader(path, &suites).load();
}

}  // namespace exacheck
