#include "harness/plan/plan_params.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "harness/plan/plan.hpp"

namespace exacheck {

namespace {

// A sweep longer than this is a typo (factor 1.0001, step 1 over gigabytes), not a plan anyone means to run.
constexpr std::size_t max_sweep_values = 10000;

bool is_numeric(param_type type) {
  return type == param_type::integer || type == param_type::number || type == param_type::bytes ||
         type == param_type::duration;
}

bool is_integral(param_type type) {
  return type == param_type::integer || type == param_type::bytes;
}

double as_double(const nlohmann::json& value) {
  return value.get<double>();
}

std::string bound_text(const param_spec& spec, double bound) {
  if (spec.type == param_type::bytes && bound >= 0 && bound < 1.8e19)
    return format_bytes(static_cast<std::uint64_t>(bound));
  if (spec.type == param_type::duration) return fmt::format("{:g}s", bound);
  // Whole bounds in full: "2147483647", not "2.14748e+09".
  if (std::floor(bound) == bound && std::fabs(bound) < 1e18) return fmt::format("{:.0f}", bound);
  return fmt::format("{:g}", bound);
}

std::string bounds_text(const param_spec& spec) {
  if (spec.min && spec.max)
    return fmt::format(" from {} to {}", bound_text(spec, *spec.min), bound_text(spec, *spec.max));
  if (spec.min) return " >= " + bound_text(spec, *spec.min);
  if (spec.max) return " <= " + bound_text(spec, *spec.max);
  return "";
}

// A JSON number of the parameter's normalised type.
nlohmann::json make_value(const param_spec& spec, long double value) {
  if (spec.type == param_type::integer) return static_cast<std::int64_t>(value);
  if (spec.type == param_type::bytes) return static_cast<std::uint64_t>(value);
  return static_cast<double>(value);
}

std::optional<nlohmann::json> read_range(yaml_reader& reader, const yaml_entry& entry, const param_spec& spec,
                                         const std::string& what) {
  const std::string range_expected = "{from, to, factor} (geometric) or {from, to, step} (arithmetic)";
  if (!is_numeric(spec.type)) {
    reader.report(reader.location_of(entry),
                  what + " is a map, but a range only applies to numeric parameters",
                  expected_value_text(spec) + ", or a list of them");
    return std::nullopt;
  }
  const auto map = reader.read_map(entry.value, reader.location_of(entry), what,
                                   {"from", "to", "factor", "step"}, {"from", "to"});
  if (!map) return std::nullopt;
  const yaml_entry* from_entry = map->find("from");
  const yaml_entry* to_entry = map->find("to");
  const yaml_entry* factor_entry = map->find("factor");
  const yaml_entry* step_entry = map->find("step");
  if ((factor_entry == nullptr) == (step_entry == nullptr)) {
    reader.report(reader.location_of(entry), what + ": a range needs exactly one of 'factor' and 'step'",
                  range_expected);
    return std::nullopt;
  }
  std::optional<nlohmann::json> from, to;
  if (from_entry)
    from =
        read_param_scalar(reader, from_entry->value, reader.location_of(*from_entry), spec, what + " from");
  if (to_entry)
    to = read_param_scalar(reader, to_entry->value, reader.location_of(*to_entry), spec, what + " to");
  std::optional<long double> factor, step;
  if (factor_entry) {
    const auto f = reader.read_number(*factor_entry, what + " factor");
    if (f && *f <= 1) {
      reader.report(reader.location_of(*factor_entry), what + " factor is " + fmt::format("{:g}", *f),
                    "a number above 1");
    } else if (f) {
      factor = *f;
    }
  }
  if (step_entry) {
    // A step is in the parameter's own unit: "step: 1GiB" for bytes, "step: 30s" for durations.
    param_spec step_spec = spec;
    step_spec.min.reset();
    step_spec.max.reset();
    const auto s = read_param_scalar(reader, step_entry->value, reader.location_of(*step_entry), step_spec,
                                     what + " step");
    if (s && as_double(*s) <= 0) {
      reader.report(reader.location_of(*step_entry), what + " step is " + s->dump(), "a step above zero");
    } else if (s) {
      step = as_double(*s);
    }
  }
  if (!from || !to || (!factor && !step)) return std::nullopt;
  const long double first = as_double(*from), last = as_double(*to);
  if (first > last) {
    reader.report(reader.location_of(entry),
                  fmt::format("{}: from ({}) is above to ({})", what, from->dump(), to->dump()),
                  "from <= to");
    return std::nullopt;
  }
  if (factor && first <= 0) {
    reader.report(reader.location_of(*from_entry), what + ": a geometric range must start above zero",
                  "from > 0 with a factor, or use a step");
    return std::nullopt;
  }
  nlohmann::json values = nlohmann::json::array();
  // Relative slack so that 0.1·3 still reaches 0.3 in a real-valued range; integers are exact.
  const long double slack = is_integral(spec.type) ? 0 : std::fabs(last) * 1e-12L;
  for (std::size_t k = 0;; ++k) {
    long double value = 0;
    if (step) {
      value = first + static_cast<long double>(k) * *step;
    } else if (k == 0) {
      value = first;
    } else {
      value = as_double(values.back()) * *factor;
      // Integers: round down, but always move on (factor 1.5 from 1 would otherwise stay at 1 forever).
      if (is_integral(spec.type))
        value = std::max(std::floor(value + 1e-9L), as_double(values.back()) + 1.0L);
    }
    if (value > last + slack) break;
    if (values.size() == max_sweep_values) {
      reader.report(reader.location_of(entry),
                    fmt::format("{}: the range has more than {} values", what, max_sweep_values),
                    "a larger factor or step");
      return std::nullopt;
    }
    values.push_back(make_value(spec, is_integral(spec.type) ? std::round(value) : value));
  }
  return values;
}

}  // namespace

std::string expected_value_text(const param_spec& spec) {
  switch (spec.type) {
    case param_type::integer:
      return "an integer" + bounds_text(spec);
    case param_type::number:
      return "a number" + bounds_text(spec);
    case param_type::bytes:
      return "a byte size like 64MiB, 8GiB, 1GB or 4096" + bounds_text(spec);
    case param_type::string:
      return spec.allowed.empty() ? "a string" : "one of: " + join_choices(spec.allowed, ", ");
    case param_type::boolean:
      return "true or false";
    case param_type::duration:
      return "a duration like 30s, 500ms, 10m or a number of seconds" + bounds_text(spec);
  }
  return "a value";
}

std::optional<nlohmann::json> read_param_scalar(yaml_reader& reader, const YAML::Node& value,
                                                source_location where, const param_spec& spec,
                                                const std::string& what) {
  const std::string expected = expected_value_text(spec);
  if (!value.IsScalar()) {
    reader.report(where, what + " is " + describe_node(value), expected);
    return std::nullopt;
  }
  const std::string text = value.Scalar();
  const auto wrong = [&](const std::string& why) -> std::optional<nlohmann::json> {
    reader.report(where, what + " is " + quoted_text(text) + why, expected);
    return std::nullopt;
  };
  nlohmann::json result;
  switch (spec.type) {
    case param_type::integer: {
      const auto v = integer_from_text(text);
      if (!v) return wrong(", not an integer");
      result = *v;
      break;
    }
    case param_type::number: {
      const auto v = number_from_text(text);
      if (!v) return wrong(", not a number");
      result = *v;
      break;
    }
    case param_type::bytes:
      try {
        result = parse_bytes(text);
      } catch (const std::invalid_argument&) {
        return wrong(", not a byte size");
      }
      break;
    case param_type::duration:
      try {
        result = parse_duration_s(text);
      } catch (const std::invalid_argument&) {
        return wrong(", not a duration");
      }
      break;
    case param_type::boolean: {
      const auto v = boolean_from_text(text);
      if (!v) return wrong("");
      result = *v;
      break;
    }
    case param_type::string:
      if (!spec.allowed.empty() &&
          std::find(spec.allowed.begin(), spec.allowed.end(), text) == spec.allowed.end()) {
        reader.report(where, what + " is " + quoted_text(text), expected, did_you_mean(text, spec.allowed));
        return std::nullopt;
      }
      result = text;
      break;
  }
  if (is_numeric(spec.type)) {
    const double v = as_double(result);
    if ((spec.min && v < *spec.min) || (spec.max && v > *spec.max)) return wrong(", out of range");
  }
  return result;
}

std::optional<nlohmann::json> read_param_value(yaml_reader& reader, const yaml_entry& entry,
                                               const param_spec& spec, const std::string& what) {
  if (entry.value.IsSequence()) {
    if (entry.value.size() == 0) {
      reader.report(reader.location_of(entry), what + " is an empty list",
                    "at least one value: " + expected_value_text(spec));
      return std::nullopt;
    }
    nlohmann::json values = nlohmann::json::array();
    bool ok = true;
    for (const auto& item : entry.value) {
      auto v = read_param_scalar(reader, item, reader.location_of(item), spec, what);
      if (v) values.push_back(std::move(*v));
      ok = ok && v.has_value();
    }
    if (!ok) return std::nullopt;
    return values;
  }
  if (entry.value.IsMap()) return read_range(reader, entry, spec, what);
  return read_param_scalar(reader, entry.value, reader.location_of(entry), spec, what);
}

bool read_where_point(yaml_reader& reader, const yaml_entry& entry, const std::string& what,
                      std::string_view example, std::string_view why_one, nlohmann::json& where) {
  if (!entry.value.IsMap()) {
    reader.report(reader.location_of(entry), what + " where is " + describe_node(entry.value),
                  fmt::format("a map of parameter names to single values, e.g. {}", example));
    return false;
  }
  bool ok = true;
  for (auto it = entry.value.begin(); it != entry.value.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
    if (key.empty() || !it->second.IsScalar()) {
      reader.report(reader.location_of(yaml_entry{key, it->first, it->second}),
                    what + " where " + key + " is " + describe_node(it->second),
                    fmt::format("one value ({})", why_one));
      ok = false;
      continue;
    }
    where[key] = guess_param_scalar(it->second);
  }
  return ok;
}

nlohmann::json guess_param_scalar(const YAML::Node& value) {
  const std::string text = value.Scalar();
  const bool quoted = value.Tag() == "!";
  if (!quoted) {
    if (const auto b = boolean_from_text(text)) return *b;
    if (const auto i = integer_from_text(text)) return *i;
    if (const auto d = number_from_text(text)) return *d;
  }
  const bool has_unit =
      std::any_of(text.begin(), text.end(), [](unsigned char c) { return std::isalpha(c); });
  if (has_unit) {
    try {
      return parse_bytes(text);
    } catch (const std::invalid_argument&) {
    }
  }
  return text;
}

std::optional<nlohmann::json> read_measure_overrides(yaml_reader& reader, const yaml_entry& entry,
                                                     const std::string& what) {
  const auto map = reader.read_map(
      entry.value, reader.location_of(entry), what,
      {"warmup_iterations", "min_iterations", "max_iterations", "min_time", "max_time", "target_cv"});
  if (!map) return std::nullopt;
  nlohmann::json overrides = nlohmann::json::object();
  constexpr std::int64_t int_max = std::numeric_limits<int>::max();
  for (const auto& e : map->entries) {
    const std::string name = what + " " + e.key;
    if (e.key == "warmup_iterations") {
      if (const auto v = reader.read_integer(e, name, 0, int_max)) overrides["warmup_iterations"] = *v;
    } else if (e.key == "min_iterations" || e.key == "max_iterations") {
      if (const auto v = reader.read_integer(e, name, 1, int_max)) overrides[e.key] = *v;
    } else if (e.key == "min_time" || e.key == "max_time") {
      if (const auto v = reader.read_duration_s(e, name, e.key == "max_time")) overrides[e.key + "_s"] = *v;
    } else if (e.key == "target_cv") {
      if (const auto v = reader.read_number(e, name, 0.0)) overrides["target_cv"] = *v;
    }
  }
  // Contradictory limits would make the measurement loop stop on its maximum before its minimum is reached.
  if (overrides.contains("min_iterations") && overrides.contains("max_iterations") &&
      overrides["min_iterations"].get<std::int64_t>() > overrides["max_iterations"].get<std::int64_t>())
    reader.report(reader.location_of(map->find("min_iterations")->value),
                  what + ": min_iterations is above max_iterations", "min_iterations <= max_iterations");
  if (overrides.contains("min_time_s") && overrides.contains("max_time_s") &&
      overrides["min_time_s"].get<double>() > overrides["max_time_s"].get<double>())
    reader.report(reader.location_of(map->find("min_time")->value), what + ": min_time is above max_time",
                  "min_time <= max_time");
  return overrides;
}

void apply_measure_overrides(const nlohmann::json& overrides, measure_settings& settings) {
  if (overrides.contains("warmup_iterations"))
    settings.warmup_iterations = overrides["warmup_iterations"].get<int>();
  if (overrides.contains("min_iterations")) settings.min_iterations = overrides["min_iterations"].get<int>();
  if (overrides.contains("max_iterations")) settings.max_iterations = overrides["max_iterations"].get<int>();
  if (overrides.contains("min_time_s")) settings.min_time_s = overrides["min_time_s"].get<double>();
  if (overrides.contains("max_time_s")) settings.max_time_s = overrides["max_time_s"].get<double>();
  if (overrides.contains("target_cv")) settings.target_cv = overrides["target_cv"].get<double>();
}

}  // namespace exacheck
