#pragma once
// `exacheck history add|show|drift|prune` (docs/history.md): registered on the command line by
// add_history_commands, run by run_history_command when one of them was given.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

namespace exacheck {

struct history_command_options {
  std::string database;  // --db; "" → history::default_database_path()
  std::vector<std::string> run_dirs;
  std::optional<int> keep_days;
  std::string gpu, host, metric;
  int nights = 7, recent = 3, show_nights = 30;
  double threshold_pct = 2.0;
  bool all_series = false;  // drift --all
  CLI::App *history = nullptr, *add = nullptr, *show = nullptr, *drift = nullptr, *prune = nullptr;
};

// Registers `history` and its subcommands on `app`; `options` receives what they are given and must
// outlive the parse.
void add_history_commands(CLI::App& app, history_command_options& options);
// The exit code of the history subcommand given (docs/history.md "Exit codes"), or nullopt when none was.
std::optional<int> run_history_command(const history_command_options& options);

}  // namespace exacheck
