#pragma once
// The plans shipped in configs/plans (acceptance.yaml for `simulate`, node-check.yaml for `node-check`),
// found wherever exacheck runs from: a Slurm prolog runs in /, a nightly job in its own directory.
#include <string>
#include <string_view>

namespace exacheck {

// configs/plans/<file_name>: from the working directory, then from each folder above the binary's real path
// (build/exacheck → ../configs), then the installed share/exacheck/configs beside bin/, then the source tree
// the binary was built from. usage_error "<command>: no default plan …" naming every place looked when none
// has it.
std::string shipped_plan_file(std::string_view file_name, std::string_view command);

}  // namespace exacheck
