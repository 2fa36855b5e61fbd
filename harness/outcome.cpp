#include "harness/outcome.hpp"

#include <algorithm>
#include <array>

namespace exacheck {
namespace {
struct outcome_name {
  outcome value;
  std::string_view name;
  int severity;
};
constexpr std::array<outcome_name, 8> outcome_names{{
    {outcome::pass, "PASS", 1},
    {outcome::recorded, "RECORDED", 2},
    {outcome::skipped, "SKIPPED", 0},
    {outcome::outlier, "OUTLIER", 5},
    {outcome::fail, "FAIL", 6},
    {outcome::incorrect, "INCORRECT", 7},
    {outcome::timeout, "TIMEOUT", 3},
    {outcome::error, "ERROR", 4},
}};
const outcome_name& entry(outcome value) {
  return *std::find_if(outcome_names.begin(), outcome_names.end(),
                       [value](const outcome_name& e) { return e.value == value; });
}
}  // namespace

std::string_view to_string(outcome value) {
  return entry(value).name;
}

std::optional<outcome> outcome_from_string(std::string_view text) {
  for (const auto& e : outcome_names)
    if (e.name == text) return e.value;
  return std::nullopt;
}

int severity(outcome value) {
  return entry(value).severity;
}

outcome worst_of(std::span<const outcome> outcomes) {
  outcome worst = outcome::skipped;
  for (outcome o : outcomes)
    if (severity(o) > severity(worst)) worst = o;
  return worst;
}

int exit_code_for(std::span<const outcome> outcomes, bool interrupted) {
  if (interrupted) return exit_code::interrupted;
  const auto has = [&](outcome o) {
    return std::find(outcomes.begin(), outcomes.end(), o) != outcomes.end();
  };
  if (has(outcome::fail) || has(outcome::incorrect) || has(outcome::outlier)) return exit_code::check_failed;
  if (has(outcome::error) || has(outcome::timeout)) return exit_code::incomplete;
  return exit_code::all_passed;
}

}  // namespace exacheck
