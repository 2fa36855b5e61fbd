// What `exacheck simulate` reads from its command line beyond sizes: nights (--night, --start) and drifts
// (--drift).
#include <fmt/core.h>

#include <charconv>
#include <stdexcept>

#include "harness/simulate/simulate.hpp"

namespace exacheck {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible Low-Level Date
// Algorithms", days_from_civil), and back: no time zone, no locale, no std::tm normalisation surprises.
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

void civil_from_days(long long z, long long& y, unsigned& m, unsigned& d) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<long long>(yoe) + era * 400 + (m <= 2);
}

bool is_leap(long long y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(long long y, unsigned m) {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// The digits of text[at, at + count) as a number, or -1.
int digits(const std::string& text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::vector<gpu_drift> parse_drift(const std::string& spec) {
  std::vector<gpu_drift> drifts;
  std::size_t begin = 0;
  while (begin <= spec.size()) {
    const std::size_t end = std::min(spec.find(',', begin), spec.size());
    const std::string item = spec.substr(begin, end - begin);
    const auto bad = [&](const char* why) {
      return std::invalid_argument(
          fmt::format("--drift '{}': {} (expected host:gpu=PCT, e.g. node003:2=-0.5)", item, why));
    };
    const auto colon = item.rfind(':'), equals = item.find('=');
    if (colon == std::string::npos || equals == std::string::npos || colon == 0 || equals < colon)
      throw bad("not host:gpu=PCT");
    gpu_drift d{.host = item.substr(0, colon)};
    const std::string gpu = item.substr(colon + 1, equals - colon - 1);
    const auto [gpu_end, gpu_error] = std::from_chars(gpu.data(), gpu.data() + gpu.size(), d.gpu);
    if (gpu.empty() || gpu_error != std::errc{} || gpu_end != gpu.data() + gpu.size() || d.gpu < 0)
      throw bad("the GPU index is not a whole number ≥ 0");
    const std::string percent = item.substr(equals + 1);
    std::size_t used = 0;
    try {
      d.percent_per_night = std::stod(percent, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (percent.empty() || used != percent.size()) throw bad("the percentage is not a number");
    drifts.push_back(std::move(d));
    begin = end + 1;
  }
  return drifts;
}

std::string night_timestamp(const std::string& start, int night) {
  if (night < 1) throw std::invalid_argument(fmt::format("night {}: nights count from 1", night));
  // YYYY-MM-DD, optionally followed by THH:MM:SSZ; a date alone is the nightly slot, 02:00 UTC.
  const bool date_only = start.size() == 10;
  const std::string text = date_only ? start + "T02:00:00Z" : start;
  const int y = digits(text, 0, 4), mo = digits(text, 5, 2), d = digits(text, 8, 2);
  const int h = digits(text, 11, 2), mi = digits(text, 14, 2), s = digits(text, 17, 2);
  const bool shaped = text.size() == 20 && text[4] == '-' && text[7] == '-' && text[10] == 'T' &&
                      text[13] == ':' && text[16] == ':' && text[19] == 'Z';
  if (!shaped || y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 ||
      s > 59 || static_cast<unsigned>(d) > days_in_month(y, static_cast<unsigned>(mo)))
    throw std::invalid_argument(fmt::format(
        "--start '{}': expected a UTC date and time, 2026-11-01T02:00:00Z, or a date, 2026-11-01", start));
  long long year = 0;
  unsigned month = 0, day = 0;
  civil_from_days(days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) + (night - 1), year,
                  month, day);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", year, month, day, h, mi, s);
}

}  // namespace exacheck
