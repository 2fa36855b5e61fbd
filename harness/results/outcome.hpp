#pragma once
// The one outcome enum (DESIGN.md "Verdicts and exit codes") and the exit code derived from a set of
// outcomes.
#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "harness/core/enum_names.hpp"

namespace exacheck {

enum class outcome {
  pass,       // measured, checked against a reference, within tolerance
  fail,       // measured, outside the reference tolerance (or fail-closed: zero, NaN, missing ranks)
  incorrect,  // the benchmark computed a wrong answer
  outlier,    // fleet-relative outlier
  error,      // launch failure, crash, missing result
  timeout,    // the case ran past its time limit
  skipped,    // not run, with a reason (e.g. dtype not supported by the backend)
  recorded,   // measured, no reference to compare against
};

// Each outcome's name (run.json, every report) and how bad it is, for picking the worst of several (higher
// is worse).
struct outcome_row {
  outcome value;
  std::string_view name;
  int severity;
};
inline constexpr std::array<outcome_row, 8> outcome_names{{
    {outcome::pass, "PASS", 1},
    {outcome::recorded, "RECORDED", 2},
    {outcome::skipped, "SKIPPED", 0},
    {outcome::outlier, "OUTLIER", 5},
    {outcome::fail, "FAIL", 6},
    {outcome::incorrect, "INCORRECT", 7},
    {outcome::timeout, "TIMEOUT", 3},
    {outcome::error, "ERROR", 4},
}};

std::string_view to_string(outcome value);
std::optional<outcome> outcome_from_string(std::string_view text);

int severity(outcome value);  // outcome_names' severity
outcome worst_of(std::span<const outcome> outcomes);

namespace exit_code {
inline constexpr int all_passed = 0;
inline constexpr int check_failed = 1;  // some FAIL, INCORRECT or OUTLIER
inline constexpr int usage_error = 2;   // plan or usage error: nothing ran
inline constexpr int incomplete = 3;    // ERROR or TIMEOUT but no failed check
inline constexpr int interrupted = 130;
}  // namespace exit_code

// Precedence: interrupted > failed check > incomplete > passed. SKIPPED and RECORDED alone are a pass.
int exit_code_for(std::span<const outcome> outcomes, bool interrupted);

}  // namespace exacheck
