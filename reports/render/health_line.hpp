#pragma once
// The one line `exacheck node-check` prints when a node fails, in the form LBNL NHC prints its failures
// ("ERROR:  nhc:  Health check failed:  …"), so that the tools that read NHC's line (Slurm's drain reason,
// log scrapers, the operator's eye) read exacheck's the same way (docs/operations.md).
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace exacheck::reports {

inline constexpr std::string_view health_check_prefix = "ERROR:  exacheck:  Health check failed:  ";

// "<host> <device> <check>: <value vs reference> (run <dir>)" for a run that did not pass: the first device
// needing attention (the analysis' order: worst first) and its first reason, with how many more reasons and
// devices there are; else the first failing check tied to no device; else the run's verdict and exit code.
// Never more than one line (newlines in messages become spaces).
std::string health_check_failure(const nlohmann::json& run, const std::string& run_dir);

// health_check_prefix + `what` + " (run <run_dir>)", on one line: for a failure with no run.json to read (a
// plan that does not load, a directory that cannot be written).
std::string health_check_line(const std::string& what, const std::string& run_dir);

}  // namespace exacheck::reports
