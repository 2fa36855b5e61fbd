#pragma once
// Strict reading of YAML plan and system files. Every problem becomes a validation_issue with
// file:line:column, what was expected and a did-you-mean, and reading goes on, so one `exacheck validate`
// lists every mistake. Internal to the plan loaders (plan_load.cpp, system_load.cpp, plan_params.cpp).
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/errors.hpp"

namespace exacheck {

// One `key: value` of a YAML map, with both nodes kept for their positions in the file.
struct yaml_entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

// A map's entries in file order.
struct yaml_map {
  std::vector<yaml_entry> entries;
  const yaml_entry* find(std::string_view key) const;
};

// The text of a scalar as a number, integer or boolean, or nullopt when it is not one. YAML's own rules are
// looser (0x1F, .inf, yes/no) than a benchmark plan needs; these accept decimal numbers and true/false.
std::optional<std::int64_t> integer_from_text(const std::string& text);
std::optional<double> number_from_text(const std::string& text);
std::optional<bool> boolean_from_text(const std::string& text);

// The scalar node under `key` when `node` is a map that has one; nullopt otherwise. Never throws (a lookup of
// a missing key on a const yaml-cpp node yields an invalid node that throws when asked its type).
std::optional<YAML::Node> scalar_child(const YAML::Node& node, std::string_view key);

// A short rendering of a node for messages: "'fp65'", "a list", "a map", "nothing".
std::string describe_node(const YAML::Node& node);

class yaml_reader {
 public:
  explicit yaml_reader(std::string file) : m_file(std::move(file)) {}

  const std::string& file() const { return m_file; }
  // yaml-cpp marks are 0-based; people and editors count from 1.
  source_location location_of(const YAML::Node& node) const;
  // Where a value is, or its key when the value is empty (yaml-cpp places an empty value on the next line).
  source_location location_of(const yaml_entry& entry) const;

  void report(source_location where, std::string message, std::string expected = {},
              std::string suggestion = {});
  bool has_issues() const { return !m_issues.empty(); }
  // Throws validation_error with every issue reported so far, in file order.
  void throw_if_issues() const;

  // `node` as a map whose keys are all in `allowed`: reports unknown keys (with a did-you-mean), repeated
  // keys and missing `required` keys. `what` names the map in messages ("the plan", "case 'gemm'"). nullopt
  // (reported) when the node is not a map.
  std::optional<yaml_map> read_map(const YAML::Node& node, source_location where, const std::string& what,
                                   const std::vector<std::string>& allowed,
                                   const std::vector<std::string>& required = {});

  // Typed values. `what` names the value in messages ("case 'gemm': ranks"). Each reports a bad value and
  // returns nullopt.
  std::optional<std::string> read_string(const yaml_entry& entry, const std::string& what);
  std::optional<std::int64_t> read_integer(const yaml_entry& entry, const std::string& what,
                                           std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                                           std::int64_t max = std::numeric_limits<std::int64_t>::max());
  std::optional<double> read_number(const yaml_entry& entry, const std::string& what,
                                    double min = -std::numeric_limits<double>::infinity());
  std::optional<bool> read_boolean(const yaml_entry& entry, const std::string& what);
  // A duration ("30s", "10m", or seconds as a number), in seconds; zero is rejected when `positive`.
  std::optional<double> read_duration_s(const yaml_entry& entry, const std::string& what, bool positive);
  std::optional<std::string> read_choice(const yaml_entry& entry, const std::string& what,
                                         const std::vector<std::string>& allowed);
  std::optional<std::vector<std::string>> read_string_list(const yaml_entry& entry, const std::string& what);

 private:
  // The scalar text of a value, or nullopt (reported: "expected ...") when it is empty, a list or a map.
  std::optional<std::string> scalar_text(const yaml_entry& entry, const std::string& what,
                                         const std::string& expected);

  std::string m_file;
  std::vector<validation_issue> m_issues;
};

// Reads and parses a YAML file (`what`: "plan", "system"), keeping its bytes for hashing. A missing or
// unreadable file or a YAML syntax error is thrown at once as a validation_error: nothing else can be checked
// then.
YAML::Node load_yaml_file(const std::string& path, const std::string& what, std::string& bytes);

// load_yaml_file, then the checks every exacheck YAML file starts with: an empty file, or one of another
// schema (unknown schema, unknown rules), is reported alone and thrown. `kind` is "plan", "system",
// "reference"; `top_keys` are shown for an empty file.
YAML::Node load_schema_file(yaml_reader& reader, const std::string& path, const std::string& kind,
                            const std::string& schema, const std::vector<std::string>& top_keys,
                            std::string& bytes);

// "a, b or c", for `expected` texts.
std::string join_choices(const std::vector<std::string>& choices, std::string_view last_separator = " or ");

}  // namespace exacheck
