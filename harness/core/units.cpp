// Byte sizes and durations as people write them in plans ("64MiB", "8 GiB", "1GB", "10m", "1m30s").
#include "harness/core/units.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>

namespace exacheck {

namespace {

struct unit_scale {
  std::string_view unit;
  std::string_view quantity;
  double to_base;
};
// SI throughout (DESIGN.md): GB/s = 1e9 B/s, TFLOP/s = 1e12 FLOP/s. Every unit a benchmark reports is here
// (a ratio's "x", a clock's MHz included): a unit missing from this table is one that no reference file or
// system reference could name.
constexpr std::array<unit_scale, 25> unit_scales{{
    {"FLOP/s", "flops", 1},         {"GFLOP/s", "flops", 1e9},
    {"TFLOP/s", "flops", 1e12},     {"PFLOP/s", "flops", 1e15},
    {"EFLOP/s", "flops", 1e18},     {"B/s", "bandwidth", 1},
    {"MB/s", "bandwidth", 1e6},     {"GB/s", "bandwidth", 1e9},
    {"TB/s", "bandwidth", 1e12},    {"s", "time", 1},
    {"ms", "time", 1e-3},           {"us", "time", 1e-6},
    {"ns", "time", 1e-9},           {"B", "bytes", 1},
    {"KiB", "bytes", 1024},         {"MiB", "bytes", 1048576},
    {"GiB", "bytes", 1073741824.0}, {"%", "percent", 1},
    {"TOP/s", "ops", 1e12},         {"POP/s", "ops", 1e15},
    {"GOP/s", "ops", 1e9},          {"x", "ratio", 1},
    {"Hz", "frequency", 1},         {"MHz", "frequency", 1e6},
    {"GHz", "frequency", 1e9},
}};

const unit_scale* find_unit(const std::string& unit) {
  for (const auto& u : unit_scales)
    if (u.unit == unit) return &u;
  return nullptr;
}

using wide = unsigned __int128;

const char* const byte_size_help =
    "expected a non-negative whole number of bytes, optionally followed by a unit: B, KB, MB, GB, TB, PB "
    "(powers of 1000) or KiB, MiB, GiB, TiB, PiB, EiB (powers of 1024), e.g. 4096, 64MiB, 8 GiB, 1GB, 1e6";
const char* const duration_help =
    "expected a number of seconds or numbers with units ns, us, ms, s, m (or min), h, e.g. 2.5, 500ms, 30s, "
    "10m, "
    "1h, 1m30s";

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::string lowercase(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// A decimal number kept exact as mantissa · 10^exponent, so "1.5GiB" and "0.1GB" become whole bytes without
// binary floating-point rounding deciding whether a size is integral.
struct exact_decimal {
  wide mantissa = 0;
  int exponent = 0;
};

// Parses [digits][.digits][e[+-]digits] at `pos`; returns false when there is no number there.
bool parse_exact_decimal(const std::string& text, std::size_t& pos, exact_decimal& out) {
  const wide mantissa_limit = wide(1) << 120;
  bool any_digit = false, overflow = false;
  const auto take_digit = [&](char c, bool fraction) {
    any_digit = true;
    if (out.mantissa >= mantissa_limit / 10) {
      overflow = true;
      return;
    }
    out.mantissa = out.mantissa * 10 + static_cast<unsigned>(c - '0');
    if (fraction) --out.exponent;
  };
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])))
    take_digit(text[pos++], false);
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])))
      take_digit(text[pos++], true);
  }
  if (!any_digit || overflow) return false;
  // "1.50" is 15·10^-1: dropping trailing fraction zeros keeps long spellings of whole sizes exact.
  while (out.exponent < 0 && out.mantissa != 0 && out.mantissa % 10 == 0) {
    out.mantissa /= 10;
    ++out.exponent;
  }
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    std::size_t p = pos + 1;
    int sign = 1;
    if (p < text.size() && (text[p] == '+' || text[p] == '-')) sign = text[p++] == '-' ? -1 : 1;
    int exponent = 0;
    bool exponent_digits = false;
    while (p < text.size() && std::isdigit(static_cast<unsigned char>(text[p]))) {
      exponent = std::min(exponent * 10 + (text[p++] - '0'), 1000);
      exponent_digits = true;
    }
    // "1e" or "4EiB"-like text: the 'e' belongs to a unit, not to an exponent.
    if (exponent_digits) {
      out.exponent += sign * exponent;
      pos = p;
    }
  }
  return true;
}

// Multiplier of a byte unit, or 0 when the unit is unknown.
wide byte_unit_multiplier(const std::string& unit) {
  const std::string u = lowercase(unit);
  if (u.empty() || u == "b") return 1;
  static const char prefixes[] = {'k', 'm', 'g', 't', 'p', 'e'};
  for (int i = 0; i < 6; ++i) {
    if (u.size() == 3 && u[0] == prefixes[i] && u[1] == 'i' && u[2] == 'b') return wide(1) << (10 * (i + 1));
    if (u.size() == 2 && u[0] == prefixes[i] && u[1] == 'b' && i < 5) {
      wide m = 1;
      for (int k = 0; k <= i; ++k) m *= 1000;
      return m;
    }
  }
  return 0;
}

[[noreturn]] void bad_byte_size(const std::string& text, const std::string& why) {
  throw std::invalid_argument("invalid byte size '" + text + "'" + (why.empty() ? "" : " (" + why + ")") +
                              ": " + byte_size_help);
}

}  // namespace

std::uint64_t parse_bytes(const std::string& text) {
  const std::string body = trim(text);
  if (body.empty()) bad_byte_size(text, "empty");
  if (body[0] == '-') bad_byte_size(text, "negative");
  std::size_t pos = body[0] == '+' ? 1 : 0;
  exact_decimal number;
  if (!parse_exact_decimal(body, pos, number)) bad_byte_size(text, "");
  while (pos < body.size() && body[pos] == ' ') ++pos;
  const std::string unit = body.substr(pos);
  const wide multiplier = byte_unit_multiplier(unit);
  if (multiplier == 0) bad_byte_size(text, "unknown unit '" + unit + "'");

  const wide limit = std::numeric_limits<std::uint64_t>::max();
  const auto too_large = [&] { bad_byte_size(text, "larger than 2^64 bytes"); };
  if (number.mantissa != 0 && multiplier > (wide(1) << 126) / number.mantissa) too_large();
  wide value = number.mantissa * multiplier;
  for (int e = number.exponent; e > 0 && value != 0; --e) {
    if (value > limit) too_large();
    value *= 10;
  }
  for (int e = number.exponent; e < 0 && value != 0; ++e) {
    if (value % 10 != 0) bad_byte_size(text, "not a whole number of bytes");
    value /= 10;
  }
  if (value > limit) too_large();
  return static_cast<std::uint64_t>(value);
}

double parse_duration_s(const std::string& text) {
  const std::string body = trim(text);
  const auto fail = [&](const std::string& why) -> double {
    throw std::invalid_argument("invalid duration '" + text + "'" + (why.empty() ? "" : " (" + why + ")") +
                                ": " + duration_help);
  };
  if (body.empty()) return fail("empty");
  if (body[0] == '-') return fail("negative");
  double total_s = 0;
  std::size_t pos = body[0] == '+' ? 1 : 0;
  int components = 0;
  bool bare_number = false;
  while (pos < body.size()) {
    // strtod alone would accept "inf", "nan" and hexadecimal; a duration starts with a digit or a point.
    if (!std::isdigit(static_cast<unsigned char>(body[pos])) && body[pos] != '.') return fail("");
    char* end = nullptr;
    const double amount = std::strtod(body.c_str() + pos, &end);
    if (end == body.c_str() + pos) return fail("");
    const std::size_t number_end = static_cast<std::size_t>(end - body.c_str());
    if (body.find_first_not_of("0123456789.eE+-", pos) < number_end) return fail("");  // hexadecimal
    pos = number_end;
    while (pos < body.size() && body[pos] == ' ') ++pos;
    std::size_t unit_end = pos;
    while (unit_end < body.size() && std::isalpha(static_cast<unsigned char>(body[unit_end]))) ++unit_end;
    const std::string unit = lowercase(body.substr(pos, unit_end - pos));
    pos = unit_end;
    while (pos < body.size() && body[pos] == ' ') ++pos;
    double scale = 0;
    if (unit.empty()) {
      bare_number = true;
      scale = 1;
    } else if (unit == "ns") {
      scale = 1e-9;
    } else if (unit == "us") {
      scale = 1e-6;
    } else if (unit == "ms") {
      scale = 1e-3;
    } else if (unit == "s" || unit == "sec") {
      scale = 1;
    } else if (unit == "m" || unit == "min") {
      scale = 60;
    } else if (unit == "h") {
      scale = 3600;
    } else {
      return fail("unknown unit '" + unit + "'");
    }
    total_s += amount * scale;
    ++components;
  }
  // "1m30" is ambiguous (30 seconds? minutes?): a bare number is only accepted on its own.
  if (bare_number && components > 1) return fail("a number without a unit must stand alone");
  if (!std::isfinite(total_s)) return fail("not finite");
  return total_s;
}

std::string format_bytes(std::uint64_t bytes) {
  static const char* const units[] = {"EiB", "PiB", "TiB", "GiB", "MiB", "KiB"};
  if (bytes == 0) return "0B";
  for (int i = 0; i < 6; ++i) {
    const std::uint64_t unit = std::uint64_t(1) << (10 * (6 - i));
    if (bytes % unit == 0) return std::to_string(bytes / unit) + units[i];
  }
  return std::to_string(bytes) + "B";
}

std::optional<double> unit_conversion(const std::string& from, const std::string& to) {
  if (from == to) return 1.0;
  const unit_scale* a = find_unit(from);
  const unit_scale* b = find_unit(to);
  if (!a || !b || a->quantity != b->quantity) return std::nullopt;
  return a->to_base / b->to_base;
}

std::optional<std::string> unit_quantity(const std::string& unit) {
  if (const unit_scale* u = find_unit(unit)) return std::string(u->quantity);
  return std::nullopt;
}

std::vector<std::string> units_like(const std::string& unit) {
  const unit_scale* known = find_unit(unit);
  if (!known) return {unit};
  std::vector<const unit_scale*> same;
  for (const auto& u : unit_scales)
    if (u.quantity == known->quantity) same.push_back(&u);
  std::stable_sort(same.begin(), same.end(),
                   [](const unit_scale* a, const unit_scale* b) { return a->to_base < b->to_base; });
  std::vector<std::string> units;
  for (const auto* u : same) units.emplace_back(u->unit);
  return units;
}

}  // namespace exacheck
