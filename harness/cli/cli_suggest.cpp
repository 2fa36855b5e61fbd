#include "harness/cli/cli_suggest.hpp"

#include "harness/core/errors.hpp"

namespace exacheck {
namespace {

std::string without_dashes(const std::string& option) {
  const auto first = option.find_first_not_of('-');
  return first == std::string::npos ? "" : option.substr(first);
}

// Whether `longer` is `shorter` followed by more words ("out-dir" of "out"; "dry-run" of "dry").
bool extends_by_words(const std::string& longer, const std::string& shorter) {
  return shorter.size() >= 2 && longer.size() > shorter.size() + 1 &&
         longer.compare(0, shorter.size(), shorter) == 0 &&
         (longer[shorter.size()] == '-' || longer[shorter.size()] == '_');
}

}  // namespace

std::string did_you_mean_option(const std::string& word, const std::vector<std::string>& options) {
  const std::string name = without_dashes(word.substr(0, word.find('=')));
  if (name.empty()) return "";
  std::vector<std::string> names;
  for (const auto& option : options) names.push_back(without_dashes(option));
  const std::string closest = did_you_mean(name, names);
  std::string best;
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (!closest.empty()) {
      if (names[i] == closest) return options[i];
      continue;
    }
    // The longest such option: "--out-dir" is more likely "--out" than "-o".
    if ((extends_by_words(name, names[i]) || extends_by_words(names[i], name)) &&
        (best.empty() || without_dashes(best).size() < names[i].size()))
      best = options[i];
  }
  return best;
}

}  // namespace exacheck
