#pragma once
// A suite declares its parameters as data: `exacheck list`, plan validation and docs all read this one table.
#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/enum_names.hpp"

namespace exacheck {

enum class param_type {
  integer,  // whole number, e.g. m: 8192
  number,   // real number
  bytes,    // byte size: 4096, "64MiB", "8GiB", "1GB" (normalised to an integer count of bytes)
  string,   // free text or, with `allowed`, an enum
  boolean,
  duration,  // "10m", "30s", "500ms" or seconds as a number (normalised to seconds, a number)
};
inline constexpr std::array<enum_name<param_type>, 6> param_type_names{{
    {param_type::integer, "integer"},
    {param_type::number, "number"},
    {param_type::bytes, "bytes"},
    {param_type::string, "string"},
    {param_type::boolean, "boolean"},
    {param_type::duration, "duration"},
}};
std::string_view to_string(param_type type);

struct param_spec {
  std::string name;
  param_type type = param_type::string;
  std::string unit;                  // shown by `exacheck list`: "B", "s", "elements", "" when none
  nlohmann::json default_value;      // null: the parameter is required
  std::vector<std::string> allowed;  // enum values for strings; empty: any
  std::optional<double> min, max;    // inclusive bounds for numeric types
  bool swept_inside_worker = false;  // a list of values runs in one worker launch (e.g. message sizes)
  std::string doc;
  // Left out of a point's identity (its params, the case id) when it has its default value, given or not: a
  // parameter added after runs were recorded (gemm's fast_accum) leaves every earlier point the same point,
  // so compare, references and case ids still match them. A reference naming it at its default is refused
  // (such points do not carry it).
  bool omitted_at_default = false;
};

// Bounds the suites' size parameters share (docs/plan-schema.md, "Limits"). Memory: no node holds 64 TiB,
// so a size per rank above it is a typo that would only fail later, or wrap around a 64-bit product on the
// way. Counts: BLAS, MPI and cuBLASLt take dimensions and counts as 32-bit integers.
inline constexpr double max_bytes_per_rank = 70368744177664.0;  // 2^46 B = 64 TiB
inline constexpr double max_int32_value = 2147483647.0;         // 2^31 − 1

// Parameter values are JSON scalars after validation (bytes → integer, duration → seconds).
using param_values =
    nlohmann::json;  // an object: name → value (or, for swept_inside_worker, a list of values)

const param_spec* find_param(const std::vector<param_spec>& specs, std::string_view name);

// Whether two parameter values are the same point's: numbers by value (8, 8u and 8.0), the rest exactly.
bool same_param_value(const nlohmann::json& a, const nlohmann::json& b);

}  // namespace exacheck
