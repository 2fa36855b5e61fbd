#include "harness/errors.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace exacheck {

std::string source_location::to_string() const {
  if (line <= 0) return file;
  std::string text = file.empty() ? std::string("<input>") : file;
  text += ":" + std::to_string(line);
  if (column > 0) text += ":" + std::to_string(column);
  return text;
}

std::string validation_issue::to_string() const {
  std::string text = where.to_string();
  if (!text.empty()) text += ": ";
  text += message;
  if (!expected.empty()) text += "; expected " + expected;
  if (!suggestion.empty()) text += "; did you mean '" + suggestion + "'?";
  return text;
}

namespace {

// One line per issue: editors and CI logs turn "file:line:column: ..." lines into links.
std::string describe(const std::vector<validation_issue>& issues) {
  std::string text;
  for (const auto& issue : issues) {
    if (!text.empty()) text += '\n';
    text += issue.to_string();
  }
  return text.empty() ? std::string("validation failed") : text;
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Optimal string alignment distance (Levenshtein plus adjacent transpositions): "dtpye" is one typo from
// "dtype".
std::size_t edit_distance(const std::string& a, const std::string& b) {
  const std::size_t rows = a.size() + 1, columns = b.size() + 1;
  std::vector<std::size_t> d(rows * columns);
  const auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * columns + j]; };
  for (std::size_t i = 0; i < rows; ++i) at(i, 0) = i;
  for (std::size_t j = 0; j < columns; ++j) at(0, j) = j;
  for (std::size_t i = 1; i < rows; ++i) {
    for (std::size_t j = 1; j < columns; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
    }
  }
  return at(rows - 1, columns - 1);
}

}  // namespace

validation_error::validation_error(std::vector<validation_issue> issues)
    : std::runtime_error(describe(issues)), m_issues(std::move(issues)) {}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  if (word.empty()) return "";
  const std::string needle = lowercase(word);
  // About one typo per three characters is still recognisable; a distance as long as the word itself means
  // every character differs, which is no suggestion at all ("x" is not a typo of "m").
  const std::size_t limit = std::max<std::size_t>(1, needle.size() / 3);
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  std::string best;
  for (const auto& candidate : candidates) {
    const std::size_t distance = edit_distance(needle, lowercase(candidate));
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  if (best_distance > limit || best_distance >= needle.size()) return "";
  return best;
}

}  // namespace exacheck
