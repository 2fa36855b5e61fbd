#include "reports/prometheus_exposition.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <functional>
#include <iterator>
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

void exposition::add(const std::string& name, const std::string& help, const label_list& labels,
                     double value) {
  if (m_last >= m_families.size() || m_families[m_last].name != name) {
    auto [at, inserted] = m_index.try_emplace(name, m_families.size());
    if (inserted) m_families.push_back({name, help, {}, {}, {}, {}, {}});
    m_last = at->second;
  }
  family& f = m_families[m_last];
  sample s{layout_of(f, labels), static_cast<std::uint32_t>(f.value_ends.size()), f.values.size(), value};
  for (const auto& label : labels) {
    f.values += label.second;
    f.value_ends.push_back(static_cast<std::uint32_t>(f.values.size() - s.values_begin));
  }
  f.samples.push_back(s);
}

std::uint32_t exposition::layout_of(family& f, const label_list& labels) {
  // Samples of one family nearly always have the same label names in the same order: the last layout first.
  const auto matches = [&](const std::vector<std::uint32_t>& layout) {
    if (layout.size() != labels.size()) return false;
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (f.label_names[layout[i]] != labels[i].first) return false;
    return true;
  };
  for (std::size_t i = f.layouts.size(); i-- > 0;)
    if (matches(f.layouts[i])) return static_cast<std::uint32_t>(i);
  std::vector<std::uint32_t> layout;
  for (const auto& [label, text] : labels) {
    auto known = std::find(f.label_names.begin(), f.label_names.end(), label);
    if (known == f.label_names.end()) known = f.label_names.insert(f.label_names.end(), label);
    layout.push_back(static_cast<std::uint32_t>(known - f.label_names.begin()));
  }
  f.layouts.push_back(std::move(layout));
  return static_cast<std::uint32_t>(f.layouts.size() - 1);
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

constexpr std::uint32_t no_label = 0xffffffff;

}  // namespace

void exposition::series_text(const family& f, const sample& s, std::vector<std::uint32_t>& first,
                             std::string& text) {
  text += f.name;
  if (f.label_names.empty()) return;
  // The sample's first label of each name (a missing one is "", which Prometheus reads as absent).
  const std::vector<std::uint32_t>& layout = f.layouts[s.layout];
  first.assign(f.label_names.size(), no_label);
  for (std::size_t i = layout.size(); i-- > 0;) first[layout[i]] = static_cast<std::uint32_t>(i);
  const std::string_view values = std::string_view(f.values).substr(s.values_begin);
  text += '{';
  for (std::size_t name = 0; name < f.label_names.size(); ++name) {
    if (name > 0) text += ',';
    text += f.label_names[name];
    text += "=\"";
    if (const std::uint32_t i = first[name]; i != no_label) {
      const std::uint32_t begin = i == 0 ? 0 : f.value_ends[s.first_end + i - 1];
      append_escaped_label_value(values.substr(begin, f.value_ends[s.first_end + i] - begin), text);
    }
    text += '"';
  }
  text += '}';
}

void exposition::write(std::ostream& out) const {
  // A series seen twice in a family keeps its first sample; the dropped ones are named at the top, so they
  // are found before anything is written: by a hash of each series, texts compared only between samples of
  // equal hash (each text made again when written, rather than all held).
  std::string dropped, text, other;
  std::vector<std::uint32_t> first;
  std::vector<std::vector<bool>> keep(m_families.size());
  for (std::size_t fi = 0; fi < m_families.size(); ++fi) {
    const family& f = m_families[fi];
    keep[fi].assign(f.samples.size(), true);
    std::vector<std::pair<std::size_t, std::size_t>> by_hash;  // hash, sample
    by_hash.reserve(f.samples.size());
    for (std::size_t si = 0; si < f.samples.size(); ++si) {
      text.clear();
      series_text(f, f.samples[si], first, text);
      by_hash.emplace_back(std::hash<std::string>{}(text), si);
    }
    std::sort(by_hash.begin(), by_hash.end());
    for (std::size_t begin = 0, end = 0; begin < by_hash.size(); begin = end) {
      for (end = begin + 1; end < by_hash.size() && by_hash[end].first == by_hash[begin].first;) ++end;
      if (end - begin == 1) continue;
      // Equal hashes, in sample order: a later one is dropped when its text equals a kept earlier one's.
      for (std::size_t later = begin + 1; later < end; ++later) {
        text.clear();
        series_text(f, f.samples[by_hash[later].second], first, text);
        for (std::size_t earlier = begin; earlier < later; ++earlier) {
          if (!keep[fi][by_hash[earlier].second]) continue;
          other.clear();
          series_text(f, f.samples[by_hash[earlier].second], first, other);
          if (other == text) {
            keep[fi][by_hash[later].second] = false;
            break;
          }
        }
      }
    }
    for (std::size_t si = 0; si < f.samples.size(); ++si) {
      if (keep[fi][si]) continue;
      // Two samples of one series make node_exporter refuse the whole file; keep the first.
      text.clear();
      series_text(f, f.samples[si], first, text);
      dropped += "# exacheck: dropped a second sample of " + text + "\n";
    }
  }
  out << dropped;
  for (std::size_t fi = 0; fi < m_families.size(); ++fi) {
    const family& f = m_families[fi];
    out << "# HELP " << f.name << ' ' << escaped_help(f.help) << "\n# TYPE " << f.name << " gauge\n";
    text.clear();
    for (std::size_t si = 0; si < f.samples.size(); ++si) {
      if (!keep[fi][si]) continue;
      series_text(f, f.samples[si], first, text);
      text += ' ';
      const double value = f.samples[si].value;
      if (std::isnan(value) || std::isinf(value))
        text += sample_value(value);
      else
        fmt::format_to(std::back_inserter(text), "{}", value);  // as sample_value, without a string each
      text += '\n';
      if (text.size() >= 1 << 16) {  // written in blocks of ~64 KB, not a line at a time
        out << text;
        text.clear();
      }
    }
    out << text;
  }
}

std::string exposition::text() const {
  std::ostringstream out;
  write(out);
  return out.str();
}

}  // namespace exacheck::reports::prometheus
