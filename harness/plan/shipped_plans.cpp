// Where the plans shipped in configs/plans are, wherever exacheck runs from (harness/plan/shipped_plans.hpp).
#include "harness/plan/shipped_plans.hpp"

#include <fmt/core.h>

#include <filesystem>
#include <vector>

#include "harness/core/errors.hpp"

namespace exacheck {
namespace fs = std::filesystem;

std::string shipped_plan_file(std::string_view file_name, std::string_view command) {
  const fs::path relative = fs::path("configs/plans") / file_name;
  std::vector<fs::path> looked;
  const auto found = [&](const fs::path& candidate) {
    looked.push_back(candidate);
    std::error_code error;
    return fs::is_regular_file(candidate, error);
  };
  std::error_code cwd_error;
  if (found(fs::current_path(cwd_error) / relative)) return relative.string();
  // The binary's real path (a symlink in /usr/local/bin to a build tree counts as the build tree): each
  // folder above it, as build/exacheck finds ../configs; then the installed layout, bin/../share/exacheck.
  std::error_code error;
  const fs::path exe = fs::canonical("/proc/self/exe", error);
  if (!error) {
    for (auto dir = exe.parent_path(); !dir.empty(); dir = dir.parent_path()) {
      if (found(dir / relative)) return (dir / relative).string();
      if (dir == dir.root_path()) break;
    }
    const fs::path installed = exe.parent_path().parent_path() / "share/exacheck" / relative;
    if (found(installed)) return installed.string();
  }
#ifdef EXACHECK_SOURCE_CONFIGS
  // The source tree this binary was built from (a build tree outside the checkout, a copied binary).
  if (found(fs::path(EXACHECK_SOURCE_CONFIGS) / fs::path("plans") / file_name))
    return (fs::path(EXACHECK_SOURCE_CONFIGS) / fs::path("plans") / file_name).string();
#endif
  std::string places;
  for (const auto& place : looked) places += "\n  " + place.string();
  throw usage_error(fmt::format("{}: no default plan ({}) found; give one with --plan. Looked in:{}", command,
                                relative.string(), places));
}

}  // namespace exacheck
