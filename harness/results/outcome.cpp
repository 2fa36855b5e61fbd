#include "harness/results/outcome.hpp"

#include <algorithm>

namespace exacheck {

std::string_view to_string(outcome value) {
  return name_of(outcome_names, value);
}

std::optional<outcome> outcome_from_string(std::string_view text) {
  return value_of(outcome_names, text);
}

int severity(outcome value) {
  const outcome_row* row = row_of(outcome_names, value);
  return row != nullptr ? row->severity : 0;
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
