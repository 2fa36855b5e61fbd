#include "reports/render/prometheus_exposition.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <functional>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "harness/results/verdicts.hpp"

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

namespace {

// As escaped_label_value, appended: runs without anything to escape (nearly every value whole) in one go.
void append_escaped_label_value(std::string_view value, std::string& text) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c != '\\' && c != '"' && c != '\n') continue;
    text.append(value.substr(run, i - run));
    text += c == '\n' ? "\\n" : c == '"' ? "\\\"" : "\\\\";
    run = i + 1;
  }
  text.append(value.substr(run));
}

}  // namespace

exposition::row_id exposition::row(std::initializer_list<std::string_view> values) {
  if (values.size() == 0) return 0;
  // Length-prefixed, so that no two lists of values share a key.
  m_row_key.clear();
  for (const std::string_view value : values) {
    const auto size = static_cast<std::uint32_t>(value.size());
    m_row_key.append(reinterpret_cast<const char*>(&size), sizeof size);
    m_row_key.append(value);
  }
  const auto [at, inserted] = m_row_index.try_emplace(m_row_key, static_cast<row_id>(m_row_first.size() - 1));
  if (!inserted) return at->second;
  std::string escaped;
  for (const std::string_view value : values) {
    escaped.clear();
    append_escaped_label_value(value, escaped);
    m_cells.push_back({static_cast<std::uint32_t>(m_row_text.size()),
                       static_cast<std::uint32_t>(escaped.size()), std::hash<std::string_view>{}(escaped)});
    m_row_text += escaped;
  }
  m_row_first.push_back(static_cast<std::uint32_t>(m_cells.size()));
  return at->second;
}

exposition::block_id exposition::block(const std::string& name, const std::string& help,
                                       const label_list& labels, std::initializer_list<std::size_t> varying) {
  block_data b;
  b.name = name;
  b.help = help;
  b.column.assign(labels.size(), -1);
  std::int32_t column = 0;
  for (const std::size_t position : varying) {
    if (position >= labels.size())
      throw std::logic_error("prometheus: varying label " + std::to_string(position) + " of " + name +
                             " is not one of its labels");
    b.column[position] = column++;
  }
  b.varying = static_cast<std::uint32_t>(column);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    b.label_names.push_back(labels[i].first);
    b.escaped_values.emplace_back();
    if (b.column[i] < 0) append_escaped_label_value(labels[i].second, b.escaped_values.back());
  }
  m_blocks.push_back(std::move(b));
  return static_cast<block_id>(m_blocks.size() - 1);
}

void exposition::add(block_id id, row_id r, double value) {
  block_data& b = m_blocks.at(id);
  if (r + 1 >= m_row_first.size() || m_row_first[r + 1] - m_row_first[r] != b.varying)
    throw std::logic_error("prometheus: row " + std::to_string(r) + " does not fit the labels of " + b.name);
  if (b.family == no_family) resolve(b);
  m_families[b.family].samples.push_back({id, r, value});
}

void exposition::add(const std::string& name, const std::string& help, const label_list& labels,
                     double value) {
  add(block(name, help, labels), 0, value);
}

void exposition::resolve(block_data& b) {
  auto [at, inserted] = m_index.try_emplace(b.name, m_families.size());
  if (inserted) m_families.push_back({b.name, b.help, {}, {}, {}});
  b.family = static_cast<std::uint32_t>(at->second);
  b.layout = layout_of(m_families[b.family], b.label_names);
  // The family holds the help and, through the layout, the label names.
  b.help = std::string();
  b.label_names = std::vector<std::string>();
}

std::uint32_t exposition::layout_of(family& f, const std::vector<std::string>& names) {
  // Blocks of one family nearly always have the same label names in the same order: the last layout first.
  const auto matches = [&](const std::vector<std::uint32_t>& layout) {
    if (layout.size() != names.size()) return false;
    for (std::size_t i = 0; i < names.size(); ++i)
      if (f.label_names[layout[i]] != names[i]) return false;
    return true;
  };
  for (std::size_t i = f.layouts.size(); i-- > 0;)
    if (matches(f.layouts[i])) return static_cast<std::uint32_t>(i);
  std::vector<std::uint32_t> layout;
  for (const auto& label : names) {
    auto known = std::find(f.label_names.begin(), f.label_names.end(), label);
    if (known == f.label_names.end()) known = f.label_names.insert(f.label_names.end(), label);
    layout.push_back(static_cast<std::uint32_t>(known - f.label_names.begin()));
  }
  f.layouts.push_back(std::move(layout));
  return static_cast<std::uint32_t>(f.layouts.size() - 1);
}

std::string exposition::text() const {
  std::ostringstream out;
  write(out);
  return out.str();
}

}  // namespace exacheck::reports::prometheus
