#pragma once
// One entry of a list of reference numbers, read the same way in both files that hold them: a system file's
// `references` (docs/plan-schema.md) and a vendor reference file's `entries` (docs/reference-files.md). The
// keys both have (benchmark, metric, where, value, unit, better) are read here, with the same messages in
// both; each format reads its own keys through a callback and states its own rules in its
// reference_entry_format. Internal to the two loaders (system_load.cpp, reference_file.cpp).
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/errors.hpp"
#include "harness/plan/reference_point.hpp"
#include "harness/plan/yaml_reader.hpp"

namespace exacheck {

// How a file format writes its entries.
struct reference_entry_format {
  std::vector<std::string> keys;  // every key an entry may have; benchmark, metric, value and unit required
  std::string where_example;      // a `where:` as the format's page shows one: "{dtype: bf16, m: 8192}"
  std::string where_why_one;      // why each `where` key takes one value
  // A reference file's rule, checked without the registry: a unit exacheck knows. A system file checks its
  // units against the benchmark's metric instead (system_load.cpp), given the registry.
  bool unit_known = false;
};

// What read_reference_entry found besides the point.
struct reference_entry_read {
  bool ok = false;                                 // a map, every key of it read without a problem
  source_location at;                              // where the entry starts
  std::optional<yaml_map> map;                     // its keys, for checks after reading; nullopt: not a map
  std::optional<std::string> better;               // higher | lower, when given
  std::map<std::string, source_location> located;  // where each key's value is written
};

// A format's own key: reads `entry` (named `name` in messages: "reference #2 lower"), reports what is wrong
// with it and returns false then.
using reference_key_reader = std::function<bool(const yaml_entry& entry, const std::string& name)>;

// Reads `node`, the entry named `what` in messages ("reference #2", "entry #2"): the shared keys into `point`
// and the result, each other key of `format.keys` through `read_own`. Reports every problem. In both formats
// a value is above zero: a difference in percent needs one, and a bound at or below zero would pass every
// result of a higher-is-better metric.
reference_entry_read read_reference_entry(yaml_reader& reader, const YAML::Node& node,
                                          const std::string& what, const reference_entry_format& format,
                                          reference_point& point, const reference_key_reader& read_own);

// Whether two entries are about the same benchmark, metric and where (values compared as a point's are: 8192
// and 8192.0 are one). Of two such entries only the first could ever judge a point: both formats refuse the
// second.
bool same_reference_point(const reference_point& a, const reference_point& b);

// The first of `earlier` that `point` repeats (same_reference_point), or nullptr.
template <class Entry>
const Entry* repeated_entry(const std::vector<Entry>& earlier, const reference_point& point) {
  for (const auto& entry : earlier)
    if (same_reference_point(entry, point)) return &entry;
  return nullptr;
}

}  // namespace exacheck
