#pragma once
// Did-you-mean for the command line (CLI11 has none): which option someone meant by one it does not know.
#include <string>
#include <vector>

namespace exacheck {

// The option of `options` ("--ranks", "-o", …) that a misspelt `word` ("--rank", "--out-dir=runs/x") most
// likely meant, or "" when none is close: by edit distance over the names without their dashes (as
// did_you_mean), else the option whose name `word` extends or shortens by whole words ("--out-dir" →
// "--out", "--dry" → "--dry-run"): a longer or shorter name for a known option.
std::string did_you_mean_option(const std::string& word, const std::vector<std::string>& options);

}  // namespace exacheck
