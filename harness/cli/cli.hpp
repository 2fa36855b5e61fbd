#pragma once

namespace exacheck {
// The `exacheck` command line (CLI11): run, validate, list, info, report, worker. Returns the exit code.
int cli_main(int argc, char** argv);
}  // namespace exacheck
