#pragma once
// Typed errors. Plan and system files: file:line:column, what was expected, and a did-you-mean.
#include <stdexcept>
#include <string>
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

// The closest candidate to `word` by edit distance, or "" when none is close enough to suggest.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace exacheck
