#pragma once
// The controller reads its environment (Slurm's SLURM_*, Open MPI's OMPI_*, test hooks) through a lookup, so
// that every rule that depends on it is testable with a made-up environment.
#include <functional>
#include <optional>
#include <string>

namespace exacheck {

// An environment variable's value, nullopt when unset (the process's own: process_environment).
using environment_lookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> process_environment(const std::string& name);

}  // namespace exacheck
