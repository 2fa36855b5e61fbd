#include "suites/membw/stream_oracle.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

namespace exacheck::membw {
namespace {

template <class T>
stream_expected replay_in(double scalar_value, int iterations, std::uint64_t elements) {
  const T scalar = static_cast<T>(scalar_value);
  T a = static_cast<T>(initial_a), b = static_cast<T>(initial_b), c = static_cast<T>(initial_c);
  stream_expected expected;
  for (int i = 0; i < iterations; ++i) {
    c = a;
    b = scalar * c;
    c = a + b;
    a = b + scalar * c;
    expected.dot = static_cast<double>(elements) * static_cast<double>(static_cast<T>(a * b));
  }
  expected.a = a;
  expected.b = b;
  expected.c = c;
  return expected;
}

double relative_error(double value, double expected) {
  const double error = std::fabs(value - expected);
  return expected != 0 ? error / std::fabs(expected) : error;
}

struct array_result {
  char name = 'a';
  std::size_t wrong = 0;
  std::size_t first_wrong = 0;
  double first_wrong_value = 0;
  double max_error = 0;
};

array_result check_array(char name, const std::vector<double>& values, double expected, double tolerance) {
  array_result result{name};
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double error = relative_error(values[i], expected);
    if (!(error <= tolerance)) {  // NaN fails
      if (result.wrong++ == 0) {
        result.first_wrong = i;
        result.first_wrong_value = values[i];
      }
      result.max_error = INFINITY;
    } else {
      result.max_error = std::max(result.max_error, error);
    }
  }
  return result;
}

}  // namespace

stream_expected replay_stream(std::string_view dtype, double scalar, int iterations, std::uint64_t elements) {
  return dtype == "fp32" ? replay_in<float>(scalar, iterations, elements)
                         : replay_in<double>(scalar, iterations, elements);
}

double element_tolerance(std::string_view dtype) {
  return dtype == "fp32" ? 1e-6 : 1e-13;
}

double dot_tolerance(std::uint64_t elements) {
  return std::max(1e-13, static_cast<double>(elements) * std::ldexp(1.0, -53));
}

correctness check_stream_results(std::string_view dtype, const stream_expected& expected,
                                 const std::vector<double>& a, const std::vector<double>& b,
                                 const std::vector<double>& c, double dot_value) {
  correctness check;
  check.checked = true;
  const double tolerance = element_tolerance(dtype);
  const std::uint64_t elements = a.size();
  check.method = fmt::format(
      "kernel sequence replayed on scalars in {}; every element of a, b, c within {:g} relative, dot within "
      "{:.3g} relative",
      dtype, tolerance, dot_tolerance(elements));
  if (a.empty() || a.size() != b.size() || a.size() != c.size()) {
    check.detail = fmt::format("arrays of unexpected size: a {}, b {}, c {}", a.size(), b.size(), c.size());
    return check;
  }
  const array_result results[] = {check_array('a', a, expected.a, tolerance),
                                  check_array('b', b, expected.b, tolerance),
                                  check_array('c', c, expected.c, tolerance)};
  const double dot_error = relative_error(dot_value, expected.dot);
  const bool dot_ok = dot_error <= dot_tolerance(elements);
  std::string failures;
  double max_error = 0;
  for (const auto& r : results) {
    const double gold = r.name == 'a' ? expected.a : r.name == 'b' ? expected.b : expected.c;
    if (r.wrong > 0)
      failures += fmt::format("{}array {}: {} of {} elements wrong, first {}[{}] = {:.17g}, expected {:.17g}",
                              failures.empty() ? "" : "; ", r.name, r.wrong, elements, r.name, r.first_wrong,
                              r.first_wrong_value, gold);
    else
      max_error = std::max(max_error, r.max_error);
  }
  if (!dot_ok)
    failures += fmt::format("{}dot = {:.17g}, expected {:.17g} (relative error {:.3g})",
                            failures.empty() ? "" : "; ", dot_value, expected.dot, dot_error);
  check.passed = failures.empty();
  check.detail = check.passed ? fmt::format(
                                    "all {} elements of a, b, c match the replay (max relative error "
                                    "{:.3g}), dot relative error {:.3g}",
                                    elements, max_error, dot_error)
                              : failures;
  return check;
}

}  // namespace exacheck::membw
