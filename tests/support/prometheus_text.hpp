#pragma once
// A strict reader of the Prometheus text exposition format (0.0.4) for tests: it refuses what node_exporter's
// textfile collector refuses (bad names, bad escapes, timestamps, a family split in two, HELP/TYPE after
// samples or twice, the same series twice) and also different label names within one family, which the
// collector would quietly pad. It returns the samples with their label values unescaped.
#include <cmath>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace exacheck::testing {

struct prom_sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct prom_file {
  std::map<std::string, std::string> help, type;
  std::vector<prom_sample> samples;

  // The samples of `name` whose labels include every pair of `where`.
  std::vector<prom_sample> find(const std::string& name,
                                const std::map<std::string, std::string>& where = {}) const {
    std::vector<prom_sample> found;
    for (const auto& s : samples) {
      if (s.name != name) continue;
      bool match = true;
      for (const auto& [k, v] : where) match = match && s.labels.count(k) && s.labels.at(k) == v;
      if (match) found.push_back(s);
    }
    return found;
  }
};

inline prom_file parse_prometheus_text(const std::string& text) {
  static const std::regex metric_name("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex label_name("[a-zA-Z_][a-zA-Z0-9_]*");
  prom_file file;
  std::set<std::string> finished_families, series;
  std::map<std::string, std::vector<std::string>> label_names;
  std::string current_family;
  int line_number = 0;
  const auto fail = [&](const std::string& why, const std::string& line) {
    throw std::runtime_error("line " + std::to_string(line_number) + ": " + why + ": " + line);
  };
  const auto enter_family = [&](const std::string& name, const std::string& line) {
    if (name == current_family) return;
    if (finished_families.count(name)) fail("family '" + name + "' appears in two separate groups", line);
    if (!current_family.empty()) finished_families.insert(current_family);
    current_family = name;
  };
  if (!text.empty() && text.back() != '\n') throw std::runtime_error("the last line has no line feed");
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (line.empty()) continue;
    if (line[0] == '#') {
      const bool help = line.rfind("# HELP ", 0) == 0, type = line.rfind("# TYPE ", 0) == 0;
      if (!help && !type) continue;  // a comment
      const std::string rest = line.substr(7);
      const std::string name = rest.substr(0, rest.find(' '));
      if (!std::regex_match(name, metric_name)) fail("invalid metric name '" + name + "'", line);
      enter_family(name, line);
      if (file.find(name).size()) fail((help ? "HELP" : "TYPE") + std::string(" after samples"), line);
      auto& slot = help ? file.help : file.type;
      if (slot.count(name)) fail("second " + std::string(help ? "HELP" : "TYPE"), line);
      const std::string body = rest.size() > name.size() ? rest.substr(name.size() + 1) : "";
      if (help) {
        for (std::size_t i = 0; i < body.size(); ++i)
          if (body[i] == '\\' && (i + 1 >= body.size() || (body[i + 1] != '\\' && body[i + 1] != 'n')))
            fail("bad escape in HELP", line);
      } else if (body != "gauge" && body != "counter" && body != "untyped" && body != "summary" &&
                 body != "histogram") {
        fail("unknown TYPE '" + body + "'", line);
      }
      slot[name] = body;
      continue;
    }
    prom_sample sample;
    std::size_t pos = 0;
    while (pos < line.size() && line[pos] != '{' && line[pos] != ' ') ++pos;
    sample.name = line.substr(0, pos);
    if (!std::regex_match(sample.name, metric_name)) fail("invalid metric name '" + sample.name + "'", line);
    enter_family(sample.name, line);
    std::vector<std::string> names;
    if (pos < line.size() && line[pos] == '{') {
      ++pos;
      while (pos < line.size() && line[pos] != '}') {
        const std::size_t equals = line.find('=', pos);
        if (equals == std::string::npos) fail("label without '='", line);
        const std::string label = line.substr(pos, equals - pos);
        if (!std::regex_match(label, label_name) || label.rfind("__", 0) == 0)
          fail("invalid label name '" + label + "'", line);
        if (sample.labels.count(label)) fail("label '" + label + "' twice", line);
        pos = equals + 1;
        if (pos >= line.size() || line[pos] != '"') fail("label value not quoted", line);
        std::string value;
        for (++pos;; ++pos) {
          if (pos >= line.size()) fail("unterminated label value", line);
          if (line[pos] == '"') break;
          if (line[pos] == '\\') {
            const char next = pos + 1 < line.size() ? line[pos + 1] : 0;
            if (next == '\\' || next == '"')
              value += next;
            else if (next == 'n')
              value += '\n';
            else
              fail("bad escape in label value", line);
            ++pos;
          } else {
            value += line[pos];
          }
        }
        ++pos;
        sample.labels[label] = value;
        names.push_back(label);
        if (pos < line.size() && line[pos] == ',') ++pos;
      }
      if (pos >= line.size()) fail("unterminated label set", line);
      ++pos;
    }
    if (pos >= line.size() || line[pos] != ' ') fail("no value", line);
    const std::string value_text = line.substr(pos + 1);
    if (value_text.find(' ') != std::string::npos)
      fail("a timestamp (the textfile collector refuses it)", line);
    if (value_text == "NaN") {
      sample.value = std::nan("");
    } else if (value_text == "+Inf" || value_text == "-Inf") {
      sample.value = value_text[0] == '+' ? INFINITY : -INFINITY;
    } else {
      char* end = nullptr;
      sample.value = std::strtod(value_text.c_str(), &end);
      if (value_text.empty() || *end != '\0' || value_text.find_first_of("xXnNiI") != std::string::npos)
        fail("invalid value '" + value_text + "'", line);
    }
    auto& family_labels = label_names[sample.name];
    if (family_labels.empty() && file.find(sample.name).empty()) family_labels = names;
    if (names != family_labels) fail("label names differ from the family's first sample", line);
    // Prometheus identifies a series by its non-empty labels.
    std::string key = sample.name;
    for (const auto& [k, v] : sample.labels)
      if (!v.empty()) key += "|" + k + "=" + v;
    if (!series.insert(key).second) fail("duplicate series", line);
    file.samples.push_back(std::move(sample));
  }
  return file;
}

}  // namespace exacheck::testing
