#pragma once
// Typed errors. Plan and system files: file:line:column, what was expected, and a did-you-mean.
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace exacheck {

struct source_location {
  std::string file;
  int line = 0;                   // 1-based; 0 when unknown
  int column = 0;                 // 1-based; 0 when unknown
  std::string to_string() const;  // "plan.yaml:12:5" (or just the file)
};

// One problem found while loading or validating a plan, system or reference file.
struct validation_issue {
  source_location where;
  std::string message;     // "unknown key 'parms' in case 'gemm'"
  std::string expected;    // "one of: name, benchmark, params, tags, ranks, timeout, repeats, ..."
  std::string suggestion;  // "params" (did-you-mean), empty when none is close
  std::string to_string()
      const;  // "plan.yaml:12:5: unknown key 'parms' ...; expected ...; did you mean 'params'?"
};

// Thrown with every issue found (validation does not stop at the first). Exit code 2.
class validation_error : public std::runtime_error {
 public:
  explicit validation_error(std::vector<validation_issue> issues);
  const std::vector<validation_issue>& issues() const { return m_issues; }

 private:
  std::vector<validation_issue> m_issues;
};

// Usage errors (bad command line, missing run directory, unavailable backend). Exit code 2.
class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The closest candidate to `word` by edit distance, or "" when none is close enough to suggest. Bounded: a
// word longer than max_suggestion_chars gets no suggestion (no keyword is that long), a candidate whose
// length differs from the word's by more than the typos allowed is skipped, and the distance is computed in a
// band of that width, so a 1 MB misspelt value costs time linear in its length and no more memory than the
// word.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);
inline constexpr std::size_t max_suggestion_chars = 128;

// User text inside a message: between single quotes, control characters and bytes that are not UTF-8 escaped
// (\n, \x01: one issue stays one line, and a message is valid UTF-8 whatever the file held), and cut after
// `max_chars` characters with "…" and the full length, so that a 1 MB value does not make a 1 MB message.
std::string quoted_text(std::string_view text, std::size_t max_chars = 64);
// The same without the quotes and the length: for text that is not the user's own words (a parser's message
// quoting what it read).
std::string printable(std::string_view text, std::size_t max_chars);

// The byte offset of the first byte of `text` that is not part of a well-formed UTF-8 sequence (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or nullopt when all of it is UTF-8.
std::optional<std::size_t> first_invalid_utf8(std::string_view text);

}  // namespace exacheck
