#include "harness/plan/yaml_reader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "harness/io/files.hpp"
#include "harness/plan/plan.hpp"

namespace exacheck {

const yaml_entry* yaml_map::find(std::string_view key) const {
  for (const auto& entry : entries)
    if (entry.key == key) return &entry;
  return nullptr;
}

std::optional<std::int64_t> integer_from_text(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const char* first = text.data() + (text[0] == '+' ? 1 : 0);
  const char* last = text.data() + text.size();
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(first, last, value);
  if (error == std::errc() && end == last) return value;
  // "1e6" is a whole number too; beyond 2^53 a double no longer holds every integer exactly.
  const auto number = number_from_text(text);
  if (number && std::floor(*number) == *number && std::fabs(*number) <= 9007199254740992.0)
    return static_cast<std::int64_t>(*number);
  return std::nullopt;
}

std::optional<double> number_from_text(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const char* first = text.data() + (text[0] == '+' ? 1 : 0);
  const char* last = text.data() + text.size();
  // from_chars would take "inf" and "nan": a plan's numbers are finite and start like numbers.
  const std::size_t lead = first[0] == '-' ? 1 : 0;
  if (first + lead == last || !(std::isdigit(static_cast<unsigned char>(first[lead])) || first[lead] == '.'))
    return std::nullopt;
  double value = 0;
  const auto [end, error] = std::from_chars(first, last, value);
  if (error != std::errc() || end != last || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<bool> boolean_from_text(const std::string& text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return std::nullopt;
}

std::optional<YAML::Node> scalar_child(const YAML::Node& node, std::string_view key) {
  if (!node.IsMap()) return std::nullopt;
  for (auto it = node.begin(); it != node.end(); ++it)
    if (it->first.IsScalar() && it->first.Scalar() == key && it->second.IsScalar()) return it->second;
  return std::nullopt;
}

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return quoted_text(node.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "nothing";
  }
}

std::string join_choices(const std::vector<std::string>& choices, std::string_view last_separator) {
  std::string text;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) text += i + 1 == choices.size() ? std::string(last_separator) : std::string(", ");
    text += choices[i];
  }
  return text;
}

source_location yaml_reader::location_of(const YAML::Node& node) const {
  const YAML::Mark mark = node.Mark();
  return {m_file, mark.line >= 0 ? mark.line + 1 : 0, mark.column >= 0 ? mark.column + 1 : 0};
}

source_location yaml_reader::location_of(const yaml_entry& entry) const {
  if (!entry.value.IsDefined() || entry.value.IsNull()) return location_of(entry.key_node);
  return location_of(entry.value);
}

void yaml_reader::report(source_location where, std::string message, std::string expected,
                         std::string suggestion) {
  m_issues.push_back({std::move(where), std::move(message), std::move(expected), std::move(suggestion)});
}

void yaml_reader::throw_if_issues() const {
  if (m_issues.empty()) return;
  auto issues = m_issues;
  std::stable_sort(issues.begin(), issues.end(), [](const validation_issue& a, const validation_issue& b) {
    return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
  });
  throw validation_error(std::move(issues));
}

std::optional<yaml_map> yaml_reader::read_map(const YAML::Node& node, source_location where,
                                              const std::string& what,
                                              const std::vector<std::string>& allowed,
                                              const std::vector<std::string>& required) {
  const std::string keys = "a map with keys: " + join_choices(allowed, ", ");
  if (!node.IsMap()) {
    report(where, what + " is " + describe_node(node) + ", not a map", keys);
    return std::nullopt;
  }
  yaml_map map;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      report(location_of(key), what + ": a key must be a plain word, not " + describe_node(key), keys);
      continue;
    }
    const std::string name = key.Scalar();
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      report(location_of(key), "unknown key " + quoted_text(name) + " in " + what,
             "one of: " + join_choices(allowed, ", "), did_you_mean(name, allowed));
      continue;
    }
    if (const auto* first = map.find(name)) {
      report(location_of(key),
             "key '" + name + "' appears twice in " + what + " (first at line " +
                 std::to_string(location_of(first->key_node).line) + ")",
             "each key once");
      continue;
    }
    map.entries.push_back({name, key, it->second});
  }
  for (const auto& name : required)
    if (!map.find(name)) report(where, what + " has no '" + name + "'", "a key '" + name + "'");
  return map;
}

std::optional<std::string> yaml_reader::scalar_text(const yaml_entry& entry, const std::string& what,
                                                    const std::string& expected) {
  if (!entry.value.IsScalar()) {
    report(location_of(entry), what + " is " + describe_node(entry.value), expected);
    return std::nullopt;
  }
  return entry.value.Scalar();
}

std::optional<std::string> yaml_reader::read_string(const yaml_entry& entry, const std::string& what) {
  return scalar_text(entry, what, "a string");
}

std::optional<std::int64_t> yaml_reader::read_integer(const yaml_entry& entry, const std::string& what,
                                                      std::int64_t min, std::int64_t max) {
  std::string expected = "an integer";
  if (min != std::numeric_limits<std::int64_t>::min()) expected += " >= " + std::to_string(min);
  if (max != std::numeric_limits<std::int64_t>::max()) expected += " and <= " + std::to_string(max);
  const auto text = scalar_text(entry, what, expected);
  if (!text) return std::nullopt;
  const auto value = integer_from_text(*text);
  if (!value || *value < min || *value > max) {
    report(location_of(entry), what + " is " + quoted_text(*text), expected);
    return std::nullopt;
  }
  return value;
}

std::optional<double> yaml_reader::read_number(const yaml_entry& entry, const std::string& what, double min) {
  const std::string expected = std::isfinite(min) ? "a number >= " + fmt::format("{:g}", min) : "a number";
  const auto text = scalar_text(entry, what, expected);
  if (!text) return std::nullopt;
  const auto value = number_from_text(*text);
  if (!value || *value < min) {
    report(location_of(entry), what + " is " + quoted_text(*text), expected);
    return std::nullopt;
  }
  return value;
}

std::optional<bool> yaml_reader::read_boolean(const yaml_entry& entry, const std::string& what) {
  const auto text = scalar_text(entry, what, "true or false");
  if (!text) return std::nullopt;
  const auto value = boolean_from_text(*text);
  if (!value) report(location_of(entry), what + " is " + quoted_text(*text), "true or false");
  return value;
}

std::optional<double> yaml_reader::read_duration_s(const yaml_entry& entry, const std::string& what,
                                                   bool positive) {
  const std::string expected = "a duration like 30s, 500ms, 10m, 1h or a number of seconds";
  const auto text = scalar_text(entry, what, expected);
  if (!text) return std::nullopt;
  try {
    const double seconds = parse_duration_s(*text);
    if (positive && seconds <= 0) {
      report(location_of(entry), what + " is " + quoted_text(*text), "a duration above zero");
      return std::nullopt;
    }
    return seconds;
  } catch (const std::invalid_argument&) {
    report(location_of(entry), what + " is " + quoted_text(*text) + ", not a duration", expected);
    return std::nullopt;
  }
}

std::optional<std::string> yaml_reader::read_choice(const yaml_entry& entry, const std::string& what,
                                                    const std::vector<std::string>& allowed) {
  const std::string expected = "one of: " + join_choices(allowed, ", ");
  const auto text = scalar_text(entry, what, expected);
  if (!text) return std::nullopt;
  if (std::find(allowed.begin(), allowed.end(), *text) == allowed.end()) {
    report(location_of(entry), what + " is " + quoted_text(*text), expected, did_you_mean(*text, allowed));
    return std::nullopt;
  }
  return text;
}

std::optional<std::vector<std::string>> yaml_reader::read_string_list(const yaml_entry& entry,
                                                                      const std::string& what) {
  if (!entry.value.IsSequence()) {
    report(location_of(entry), what + " is " + describe_node(entry.value),
           "a list of strings, e.g. [nightly, gpu]");
    return std::nullopt;
  }
  std::vector<std::string> values;
  bool ok = true;
  for (const auto& item : entry.value) {
    if (!item.IsScalar()) {
      report(location_of(item), what + ": an element is " + describe_node(item), "a string");
      ok = false;
      continue;
    }
    values.push_back(item.Scalar());
  }
  if (!ok) return std::nullopt;
  return values;
}

YAML::Node load_yaml_file(const std::string& path, const std::string& what, std::string& bytes) {
  try {
    bytes = read_file(path);  // a regular file only: a FIFO would hang, a directory or device is no plan
  } catch (const file_error& e) {
    throw validation_error({{{path, 0, 0},
                             "cannot read " + what + " file '" + path + "': " + e.reason(),
                             "an existing, readable exacheck/" + what + "/v1 YAML file",
                             ""}});
  }
  // yaml-cpp passes any bytes through, and a string that is not UTF-8 cannot be written into run.json: said
  // here, where the file and line are known, rather than as a lost run later.
  if (const auto bad = first_invalid_utf8(bytes)) {
    const std::string_view before(bytes.data(), *bad);
    const auto line = std::count(before.begin(), before.end(), '\n') + 1;
    const auto line_start = before.rfind('\n');
    const auto column = *bad - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
    throw validation_error(
        {{{path, static_cast<int>(std::min<long>(line, INT_MAX)),
           static_cast<int>(std::min<std::size_t>(column, INT_MAX))},
          fmt::format("byte 0x{:02x} is not UTF-8 text", static_cast<unsigned char>(bytes[*bad])),
          "a file encoded in UTF-8 (re-save it as UTF-8, or convert it with iconv)",
          ""}});
  }
  try {
    return YAML::Load(bytes);
  } catch (const YAML::DeepRecursion& e) {  // yaml-cpp's own bound on its recursion, about 500 levels
    throw validation_error({{{path, std::max(e.mark.line + 1, 1), std::max(e.mark.column + 1, 0)},
                             "lists and maps nested deeper than the YAML reader allows (about 500 levels)",
                             "a plan, system or reference file as docs/plan-schema.md shows them",
                             ""}});
  } catch (const YAML::Exception& e) {
    throw validation_error({{{path, std::max(e.mark.line + 1, 1), std::max(e.mark.column + 1, 0)},
                             "YAML syntax error: " + printable(e.msg, 200),
                             "valid YAML (indent with spaces, close every bracket and quote)",
                             ""}});
  }
}

YAML::Node load_schema_file(yaml_reader& reader, const std::string& path, const std::string& kind,
                            const std::string& schema, const std::vector<std::string>& top_keys,
                            std::string& bytes) {
  const YAML::Node root = load_yaml_file(path, kind, bytes);
  if (root.IsNull()) {
    reader.report({path, 1, 1}, "the " + kind + " file is empty",
                  "a map with keys: " + join_choices(top_keys, ", "));
    reader.throw_if_issues();
  }
  // An unknown schema means unknown rules: report that alone rather than every key it does not know.
  if (const auto node = scalar_child(root, "schema"); node && node->Scalar() != schema) {
    const std::string found = node->Scalar();
    std::string other_kind;  // "exacheck/system/v1" → "system"
    if (found.starts_with("exacheck/")) other_kind = found.substr(9, found.find('/', 9) - 9);
    if (other_kind == kind) other_kind.clear();  // another version of this kind: unsupported, not misplaced
    reader.report(reader.location_of(*node),
                  other_kind.empty() ? "unsupported schema " + quoted_text(found)
                                     : "this is a " + printable(other_kind, 64) + " file (schema " +
                                           printable(found, 64) + "), not a " + kind + " file",
                  "schema: " + schema, did_you_mean(found, {schema}));
    reader.throw_if_issues();
  }
  return root;
}

}  // namespace exacheck
