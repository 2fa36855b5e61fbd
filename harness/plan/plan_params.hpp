#pragma once
// Benchmark parameter values as written in plans and references, checked against the suite's param_spec and
// normalised (byte sizes → integer bytes, durations → seconds). Internal to the plan and system loaders.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "harness/core/measure.hpp"
#include "harness/core/param_spec.hpp"
#include "harness/plan/yaml_reader.hpp"

namespace exacheck {

// What a value of `spec` looks like, for `expected` texts: "a byte size like 64MiB, 8GiB, 1GB or 4096".
std::string expected_value_text(const param_spec& spec);

// One value of `spec`, normalised; reported and nullopt when it is the wrong type, not an allowed value or
// out of bounds. `what` names the value in messages ("case 'gemm': parameter 'm'").
std::optional<nlohmann::json> read_param_scalar(yaml_reader& reader, const YAML::Node& value,
                                                source_location where, const param_spec& spec,
                                                const std::string& what);

// A scalar, a list (a sweep: every element checked) or a range {from, to, factor} / {from, to, step} expanded
// into the list it stands for.
std::optional<nlohmann::json> read_param_value(yaml_reader& reader, const yaml_entry& entry,
                                               const param_spec& spec, const std::string& what);

// A reference's `where` value when the parameter's type is unknown (system files are read without the
// registry): booleans, integers and numbers as such, byte sizes with a unit ("64MiB") as integer bytes,
// anything else as text.
nlohmann::json guess_param_scalar(const YAML::Node& value);

// A `where:` map of a reference (system or reference file): one parameter point, each value read by
// guess_param_scalar into `where`. Every bad entry is reported (`example` shows the expected shape, `why_one`
// why each key takes a single value); returns false when any was.
bool read_where_point(yaml_reader& reader, const yaml_entry& entry, const std::string& what,
                      std::string_view example, std::string_view why_one, nlohmann::json& where);

// A plan's `measure:` map (defaults or a case) as overrides keyed like measure_settings' JSON: min_time →
// min_time_s.
std::optional<nlohmann::json> read_measure_overrides(yaml_reader& reader, const yaml_entry& entry,
                                                     const std::string& what);
// Sets the fields named in `overrides` (as read above), leaving the others as they are.
void apply_measure_overrides(const nlohmann::json& overrides, measure_settings& settings);

}  // namespace exacheck
