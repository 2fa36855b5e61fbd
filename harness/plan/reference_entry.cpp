#include "harness/plan/reference_entry.hpp"

#include "harness/core/units.hpp"
#include "harness/plan/plan.hpp"
#include "harness/plan/plan_params.hpp"

namespace exacheck {
namespace {

// For suggestions only; whether a unit is known is harness/core/units' table's to say.
const std::vector<std::string> common_units = {
    "FLOP/s", "GFLOP/s", "TFLOP/s", "PFLOP/s", "EFLOP/s", "B/s", "MB/s", "GB/s", "TB/s",
    "s",      "ms",      "us",      "ns",      "B",       "KiB", "MiB",  "GiB",  "%",
    "GOP/s",  "TOP/s",   "POP/s",   "x",       "Hz",      "MHz", "GHz"};

// Known when it converts to a unit of one of the quantities harness/core/units' table knows.
bool is_known_unit(const std::string& unit) {
  for (const char* base : {"FLOP/s", "B/s", "s", "B", "%", "GOP/s", "x", "Hz"})
    if (unit_conversion(unit, base)) return true;
  return false;
}

}  // namespace

reference_entry_read read_reference_entry(yaml_reader& reader, const YAML::Node& node,
                                          const std::string& what, const reference_entry_format& format,
                                          reference_point& point, const reference_key_reader& read_own) {
  reference_entry_read read;
  read.at = reader.location_of(node);
  read.map = reader.read_map(node, read.at, what, format.keys, {"benchmark", "metric", "value", "unit"});
  if (!read.map) return read;
  bool ok = true;
  const auto keep = [&](auto value) {
    ok = ok && value.has_value();
    return value;
  };
  for (const auto& e : read.map->entries) {
    const std::string name = what + " " + e.key;
    read.located[e.key] = reader.location_of(e);
    if (e.key == "benchmark") {
      point.benchmark = keep(reader.read_string(e, name)).value_or("");
    } else if (e.key == "metric") {
      point.metric = keep(reader.read_string(e, name)).value_or("");
    } else if (e.key == "value") {
      const auto v = keep(reader.read_number(e, name));
      if (v && *v <= 0) {
        reader.report(reader.location_of(e), name + " is " + e.value.Scalar(),
                      "a number above zero (a difference in percent needs one)");
        ok = false;
      }
      point.value = v.value_or(0.0);
    } else if (e.key == "unit") {
      const auto unit = keep(reader.read_string(e, name));
      if (unit && format.unit_known && !is_known_unit(*unit)) {
        reader.report(reader.location_of(e),
                      name + " " + quoted_text(*unit) + " is not a unit exacheck knows",
                      "one of: " + join_choices(common_units, ", "), did_you_mean(*unit, common_units));
        ok = false;
      }
      point.unit = unit.value_or("");
    } else if (e.key == "better") {
      read.better = keep(reader.read_choice(e, name, names_of(better_names)));
    } else if (e.key == "where") {
      ok = read_where_point(reader, e, what, format.where_example, format.where_why_one, point.where) && ok;
    } else {
      ok = read_own(e, name) && ok;
    }
  }
  read.ok = ok;
  return read;
}

bool same_reference_point(const reference_point& a, const reference_point& b) {
  if (a.benchmark != b.benchmark || a.metric != b.metric || a.where.size() != b.where.size()) return false;
  for (const auto& [key, value] : a.where.items()) {
    const auto found = b.where.find(key);
    if (found == b.where.end() || !same_param_value(*found, value)) return false;
  }
  return true;
}

}  // namespace exacheck
