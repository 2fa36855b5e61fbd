#include "reports/analysis/format.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "harness/results/outcome.hpp"

namespace exacheck::reports {
namespace {

// Four significant digits tell 0.0398 from 0.0412 TFLOP/s and keep tables narrow; the csv has every digit.
constexpr int readable_significant_digits = 4;

std::string without_trailing_zeros(std::string text) {
  if (text.find('.') == std::string::npos) return text;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

}  // namespace

std::string readable_number(double value) {
  if (!std::isfinite(value)) return non_finite_text(value);
  if (value == 0) return "0";
  const double magnitude = std::fabs(value);
  if (magnitude >= 1e15 || magnitude < 1e-4)
    return fmt::format("{:.{}g}", value, readable_significant_digits);
  const int exponent = static_cast<int>(std::floor(std::log10(magnitude)));
  const int decimals = std::max(0, readable_significant_digits - 1 - exponent);
  return without_trailing_zeros(fmt::format("{:.{}f}", value, decimals));
}

std::string readable_quantity(const nlohmann::json& value, const nlohmann::json& unit) {
  if (!value.is_number()) return std::string(missing_mark);
  const std::string unit_text = scalar_text(unit);
  const std::string number = readable_number(value.get<double>());
  return unit_text.empty() ? number : number + " " + unit_text;
}

std::string readable_rate(const nlohmann::json& value, const nlohmann::json& unit) {
  if (!value.is_number()) return std::string(missing_mark);
  const std::string unit_text = scalar_text(unit);
  static constexpr std::array<std::string_view, 3> bases{"FLOP/s", "OP/s", "B/s"};  // FLOP/s before OP/s
  static constexpr std::string_view prefixes = " kMGTPE";                           // 10^0 … 10^18 (SI: k)
  const auto base = std::find_if(bases.begin(), bases.end(), [&](std::string_view b) {
    return std::string_view(unit_text).ends_with(b);
  });
  const double number = value.get<double>();
  if (base == bases.end() || !std::isfinite(number) || number == 0) return readable_quantity(value, unit);
  const std::string prefix = unit_text.substr(0, unit_text.size() - base->size());
  const std::size_t from = prefix.empty() ? 0 : prefixes.find(prefix == "K" ? "k" : prefix);
  const bool known_prefix =
      prefix.empty() || (prefix.size() == 1 && from != std::string_view::npos && from > 0);
  if (!known_prefix) return readable_quantity(value, unit);
  const double in_base = number * std::pow(1000.0, static_cast<double>(from));
  const auto to = static_cast<std::size_t>(std::clamp(std::floor(std::log10(std::fabs(in_base)) / 3), 0.0,
                                                      static_cast<double>(prefixes.size() - 1)));
  const std::string to_prefix = to == 0 ? "" : std::string(1, prefixes[to]);
  return readable_number(in_base / std::pow(1000.0, static_cast<double>(to))) + " " + to_prefix +
         std::string(*base);
}

std::string readable_delta_pct(const nlohmann::json& delta_pct) {
  if (!delta_pct.is_number()) return std::string(missing_mark);
  const double delta = delta_pct.get<double>();
  if (!std::isfinite(delta)) return non_finite_text(delta) + "%";
  return fmt::format("{:+.1f}%", delta);
}

std::string params_text(const nlohmann::json& params, std::string_view separator) {
  if (!params.is_object()) return scalar_text(params);
  static constexpr std::array<std::string_view, 4> leading_keys{"dtype", "m", "n", "k"};
  std::vector<std::string> keys;
  for (std::string_view key : leading_keys)
    if (params.contains(std::string(key))) keys.emplace_back(key);
  for (const auto& item : params.items())
    if (std::find(leading_keys.begin(), leading_keys.end(), item.key()) == leading_keys.end())
      keys.push_back(item.key());
  std::string text;
  for (const auto& key : keys) {
    if (!text.empty()) text += separator;
    text += key + "=" + scalar_text(params.at(key));
  }
  return text;
}

std::string derived_text(const nlohmann::json& point, std::string_view separator) {
  const nlohmann::json& params = field(point, "params");
  nlohmann::json shown = nlohmann::json::object();
  for (const auto& item : field(point, "derived").items())
    // The value used where it is the one asked for (a collective's size already whole) says nothing new.
    if (field(params, item.key()) != item.value()) shown[item.key()] = item.value();
  for (const auto& rank : list_field(point, "ranks"))
    for (const auto& item : field(rank, "derived").items())
      if (!shown.contains(item.key())) shown[item.key()] = "per rank";
  return shown.empty() ? std::string() : params_text(shown, separator);
}

const nlohmann::json* point_with_params(const nlohmann::json& test_case, const nlohmann::json& params) {
  for (const auto& point : list_field(test_case, "results"))
    if (field(point, "params") == params) return &point;
  return nullptr;
}

const std::vector<std::string>& outcome_order() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> result;
    for (outcome o : {outcome::pass, outcome::fail, outcome::incorrect, outcome::outlier, outcome::error,
                      outcome::timeout, outcome::skipped, outcome::recorded})
      result.emplace_back(to_string(o));
    return result;
  }();
  return names;
}

bool is_failed_check(std::string_view name) {
  const auto o = outcome_from_string(name);
  return o == outcome::fail || o == outcome::incorrect || o == outcome::outlier;
}

bool is_incomplete_check(std::string_view name) {
  const auto o = outcome_from_string(name);
  return o == outcome::error || o == outcome::timeout;
}

std::string exit_code_meaning(int code) {
  switch (code) {
    case exit_code::all_passed:
      return "every check passed";
    case exit_code::check_failed:
      return "a check failed (FAIL, INCORRECT or OUTLIER)";
    case exit_code::usage_error:
      return "plan or usage error, nothing ran";
    case exit_code::incomplete:
      return "incomplete: a case errored, timed out or never finished; no check failed";
    case exit_code::interrupted:
      return "interrupted: results so far";
    default:
      return "unknown exit code";
  }
}

namespace {
std::string xml_escaped(std::string_view text, bool attribute) {
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&apos;";
        break;
      case '\t':
        escaped += attribute ? "&#9;" : "\t";
        break;
      case '\n':
        escaped += attribute ? "&#10;" : "\n";
        break;
      case '\r':
        escaped += attribute ? "&#13;" : "\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          escaped += "\xEF\xBF\xBD";  // U+FFFD: XML 1.0 has no way to write these characters
        else
          escaped += c;
    }
  }
  return escaped;
}
}  // namespace

std::string xml_text(std::string_view text) {
  return xml_escaped(text, false);
}
std::string xml_attribute(std::string_view text) {
  return xml_escaped(text, true);
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string markdown_cell(std::string_view text) {
  std::string cell;
  cell.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '|')
      cell += "\\|";
    else if (c == '\n')
      cell += "<br>";
    else if (c == '\r')
      cell += (i + 1 < text.size() && text[i + 1] == '\n') ? "" : "<br>";
    else
      cell += c;
  }
  return cell;
}

}  // namespace exacheck::reports

namespace exacheck::reports {

std::string html_text(std::string_view text) {
  // HTML5 knows every entity xml_text writes (&apos; included), in text and in attribute values alike.
  return xml_text(text);
}

std::string binary_bytes_text(double bytes) {
  if (!std::isfinite(bytes)) return std::string(missing_mark);
  static constexpr std::array<std::string_view, 7> units{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  std::size_t unit = 0;
  while (std::fabs(bytes) >= 1024 && unit + 1 < units.size()) {
    bytes /= 1024;
    ++unit;
  }
  return readable_number(bytes) + " " + std::string(units[unit]);
}

std::string command_line_text(const nlohmann::json& argv) {
  std::string text;
  if (!argv.is_array()) return scalar_text(argv);
  for (const auto& item : argv) {
    std::string arg = scalar_text(item);
    if (arg.empty() || arg.find_first_of(" \t\n\"'$`\\") != std::string::npos) {
      std::string quoted = "'";
      for (const char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      arg = quoted + "'";
    }
    text += (text.empty() ? "" : " ") + arg;
  }
  return text;
}

}  // namespace exacheck::reports
