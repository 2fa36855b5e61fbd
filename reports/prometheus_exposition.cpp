#include "reports/prometheus_exposition.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <set>

#include "harness/verdicts.hpp"

namespace exacheck::reports::prometheus {

std::string name_part(std::string_view text) {
  std::string part;
  for (const char raw : text) {
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(raw)));
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (keep)
      part += c;
    else if (!part.empty() && part.back() != '_')
      part += '_';
  }
  while (!part.empty() && part.back() == '_') part.pop_back();
  if (!part.empty() && part.front() >= '0' && part.front() <= '9') part.insert(0, "_");
  return part;
}

std::string escaped_label_value(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    if (c == '\\')
      escaped += "\\\\";
    else if (c == '"')
      escaped += "\\\"";
    else if (c == '\n')
      escaped += "\\n";
    else
      escaped += c;
  }
  return escaped;
}

std::string escaped_help(std::string_view text) {
  std::string escaped;
  for (const char c : text) {
    if (c == '\\')
      escaped += "\\\\";
    else if (c == '\n')
      escaped += "\\n";
    else
      escaped += c;
  }
  return escaped;
}

std::string sample_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);  // shortest round-trip text; Go's ParseFloat reads every form fmt writes
}

base_unit base_unit_of(const std::string& unit) {
  struct mapping {
    const char* reference_unit;  // a unit of harness/verdicts' table that shares the quantity
    const char* suffix;
    double extra_factor;  // from reference_unit to the base unit
  };
  // Prometheus naming: base units (seconds, bytes), plural, rates spelled "_per_second", percentages as
  // ratios. There is no base unit for floating-point work; flops_per_second follows the bytes_per_second
  // pattern so that every rate reads the same way.
  static constexpr std::array<mapping, 6> mappings{{
      {"FLOP/s", "flops_per_second", 1},
      {"B/s", "bytes_per_second", 1},
      {"s", "seconds", 1},
      {"B", "bytes", 1},
      {"GOP/s", "operations_per_second", 1e9},
      {"%", "ratio", 0.01},
  }};
  if (unit.empty()) return {"", 1.0};
  for (const auto& m : mappings)
    if (const auto factor = unit_conversion(unit, m.reference_unit))
      return {m.suffix, *factor * m.extra_factor};
  return {name_part(unit), 1.0};
}

void exposition::add(const std::string& name, const std::string& help, label_list labels, double value) {
  auto [at, inserted] = m_index.try_emplace(name, m_families.size());
  if (inserted) m_families.push_back({name, help, {}});
  m_families[at->second].samples.push_back({std::move(labels), value});
}

std::string exposition::text() const {
  std::string body, dropped;
  for (const auto& f : m_families) {
    std::vector<std::string> names;  // the family's label names, in order of first appearance
    for (const auto& s : f.samples)
      for (const auto& [label, value] : s.labels)
        if (std::find(names.begin(), names.end(), label) == names.end()) names.push_back(label);
    body += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", f.name, escaped_help(f.help), f.name);
    std::set<std::string> seen;
    for (const auto& s : f.samples) {
      std::string label_text;
      for (const auto& label : names) {
        const auto found = std::find_if(s.labels.begin(), s.labels.end(),
                                        [&](const auto& pair) { return pair.first == label; });
        const std::string value = found == s.labels.end() ? "" : found->second;
        label_text +=
            fmt::format("{}{}=\"{}\"", label_text.empty() ? "" : ",", label, escaped_label_value(value));
      }
      const std::string series = names.empty() ? f.name : f.name + "{" + label_text + "}";
      if (!seen.insert(series).second) {
        // Two samples of one series make node_exporter refuse the whole file; keep the first.
        dropped += "# exacheck: dropped a second sample of " + series + "\n";
        continue;
      }
      body += series + " " + sample_value(s.value) + "\n";
    }
  }
  return dropped + body;
}

}  // namespace exacheck::reports::prometheus
