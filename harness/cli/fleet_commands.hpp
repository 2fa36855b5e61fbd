#pragma once
// The command line of the nightly fleet (docs/drain.md): `report --merge`'s options on the report command,
// and the `drain` and `resume` commands. Their work is harness/controller's (merge_command, drain_command).
#include <CLI/CLI.hpp>
#include <optional>

#include "harness/controller/drain_command.hpp"
#include "harness/controller/merge_command.hpp"

namespace exacheck {

struct fleet_commands {
  merge_report_options merge;  // report --merge …
  drain_options drain, resume;
  CLI::App* drain_command = nullptr;
  CLI::App* resume_command = nullptr;
};

// Adds --merge, --out, --expected-nodes, --expected-file to `report` (whose RUN_DIR, `run_dir`, they exclude)
// and the drain and resume commands to `app`.
void add_fleet_commands(CLI::App& app, CLI::App& report, CLI::Option& run_dir, fleet_commands& commands);

// Runs `report --merge` (when --merge was given to report), drain or resume; nullopt when the command line
// asked for none of them. `z_threshold` and `prom_textfile` are report's.
std::optional<int> run_fleet_command(fleet_commands& commands, bool report_given,
                                     std::optional<double> z_threshold, int argc, char** argv,
                                     const std::string& prom_textfile = "");

}  // namespace exacheck
