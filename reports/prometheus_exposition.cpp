#include "reports/prometheus_exposition.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <functional>
#include <sstream>
#include <string_view>
#include <unordered_map>

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
  if (inserted) m_families.push_back({name, help, {}, {}});
  family& f = m_families[at->second];
  sample s;
  s.value = value;
  s.labels.reserve(labels.size());
  std::size_t length = 0;
  for (const auto& [label, text] : labels) length += text.size();
  s.values.reserve(length);
  for (const auto& [label, text] : labels) {
    auto known = std::find(f.label_names.begin(), f.label_names.end(), label);
    if (known == f.label_names.end()) known = f.label_names.insert(f.label_names.end(), label);
    s.values += text;
    s.labels.emplace_back(static_cast<std::uint32_t>(known - f.label_names.begin()),
                          static_cast<std::uint32_t>(s.values.size()));
  }
  f.samples.push_back(std::move(s));
}

void exposition::series_text(const family& f, const sample& s, std::string& text) {
  text = f.name;
  if (f.label_names.empty()) return;
  text += '{';
  for (std::size_t name = 0; name < f.label_names.size(); ++name) {
    // The sample's first label of that name (a missing one is "", which Prometheus reads as absent).
    std::string_view value;
    std::uint32_t begin = 0;
    for (const auto& [index, end] : s.labels) {
      if (index == name) {
        value = std::string_view(s.values).substr(begin, end - begin);
        break;
      }
      begin = end;
    }
    if (name > 0) text += ',';
    text += f.label_names[name];
    text += "=\"";
    text += escaped_label_value(value);
    text += '"';
  }
  text += '}';
}

void exposition::write(std::ostream& out) const {
  // A series seen twice in a family keeps its first sample; the dropped ones are named at the top, so they
  // are found before anything is written: by a hash of each series, its text compared only when two hashes
  // meet (each text made again when written, rather than all held).
  std::string dropped, text, other;
  std::vector<std::vector<bool>> keep(m_families.size());
  for (std::size_t fi = 0; fi < m_families.size(); ++fi) {
    const family& f = m_families[fi];
    keep[fi].assign(f.samples.size(), true);
    std::unordered_map<std::size_t, std::vector<std::size_t>> by_hash;
    by_hash.reserve(f.samples.size());
    for (std::size_t si = 0; si < f.samples.size(); ++si) {
      series_text(f, f.samples[si], text);
      auto& same_hash = by_hash[std::hash<std::string>{}(text)];
      const bool seen = std::any_of(same_hash.begin(), same_hash.end(), [&](std::size_t earlier) {
        series_text(f, f.samples[earlier], other);
        return other == text;
      });
      if (seen) {
        keep[fi][si] = false;
        // Two samples of one series make node_exporter refuse the whole file; keep the first.
        dropped += "# exacheck: dropped a second sample of " + text + "\n";
      } else {
        same_hash.push_back(si);
      }
    }
  }
  out << dropped;
  for (std::size_t fi = 0; fi < m_families.size(); ++fi) {
    const family& f = m_families[fi];
    out << "# HELP " << f.name << ' ' << escaped_help(f.help) << "\n# TYPE " << f.name << " gauge\n";
    for (std::size_t si = 0; si < f.samples.size(); ++si) {
      if (!keep[fi][si]) continue;
      series_text(f, f.samples[si], text);
      text += ' ';
      text += sample_value(f.samples[si].value);
      text += '\n';
      out << text;
    }
  }
}

std::string exposition::text() const {
  std::ostringstream out;
  write(out);
  return out.str();
}

}  // namespace exacheck::reports::prometheus
