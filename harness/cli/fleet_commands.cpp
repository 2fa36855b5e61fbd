#include "harness/cli/fleet_commands.hpp"

#include <utility>

namespace exacheck {

void add_fleet_commands(CLI::App& app, CLI::App& report, CLI::Option& run_dir, fleet_commands& commands) {
  merge_report_options& merge = commands.merge;
  auto* merge_option =
      report
          .add_option(
              "--merge", merge.run_dirs,
              "Merge these runs of one plan (one node per job) into one fleet: one run.json and every "
              "report in --out")
          ->expected(1, -1)
          ->check(CLI::ExistingDirectory)
          ->excludes(&run_dir);
  report.add_option("--out,-o", merge.out_dir, "With --merge: the directory the merged run goes to")
      ->needs(merge_option);
  report
      .add_option(
          "--expected-nodes", merge.expected_nodes,
          "With --merge: the nodes that should have a run, as a Slurm host list (node[001-064]); each "
          "without one is MISSING")
      ->needs(merge_option);
  report
      .add_option("--expected-file", merge.expected_file,
                  "With --merge: a file of the nodes that should have a run, one host (or host list) a line")
      ->needs(merge_option)
      ->check(CLI::ExistingFile);

  commands.drain_command = app.add_subcommand(
      "drain",
      "Print (--apply: run) the scontrol commands that drain the nodes failing in RUN_DIR (or --merge "
      "RUN_DIR…); exit 0 none fails, 1 nodes fail, 3 not applied, 4 over the cap (nothing drained)");
  commands.resume_command = app.add_subcommand(
      "resume",
      "Print (--apply: run) the scontrol commands that return nodes drained by exacheck and passing in "
      "RUN_DIR (or --merge RUN_DIR…) to service; nodes drained by anyone else are never resumed");
  for (auto [command, options] : {std::pair{commands.drain_command, &commands.drain},
                                  std::pair{commands.resume_command, &commands.resume}}) {
    auto* dir_option = command->add_option("run_dir", options->run_dir, "Run directory");
    auto* merge_dirs = command
                           ->add_option("--merge", options->merge.run_dirs,
                                        "Judge these runs of one plan merged into one fleet (report --merge)")
                           ->expected(1, -1)
                           ->check(CLI::ExistingDirectory)
                           ->excludes(dir_option);
    command->add_option("--expected-nodes", options->merge.expected_nodes, "With --merge: as report --merge")
        ->needs(merge_dirs);
    command->add_option("--expected-file", options->merge.expected_file, "With --merge: as report --merge")
        ->needs(merge_dirs)
        ->check(CLI::ExistingFile);
    command->add_flag("--apply", options->apply, "Run the scontrol commands (default: print them)");
  }
  CLI::App& drain = *commands.drain_command;
  drain.add_option(
      "--on", commands.drain.on,
      "Device verdicts that drain a node, comma-separated (default FAIL,INCORRECT; also OUTLIER, "
      "MISSING, ERROR)");
  drain.add_option("--max-nodes", commands.drain.max_nodes, "The most nodes exacheck holds drained at once")
      ->check(CLI::NonNegativeNumber);
  drain
      .add_option(
          "--max-percent", commands.drain.max_percent,
          "… as a percentage of the run's nodes (default 10 when neither cap is given; at least 1 node)")
      ->check(CLI::Range(0.0, 100.0));
}

std::optional<int> run_fleet_command(fleet_commands& commands, bool report_given,
                                     std::optional<double> z_threshold, int argc, char** argv,
                                     const std::string& prom_textfile) {
  if (report_given && !commands.merge.run_dirs.empty()) {
    commands.merge.z_threshold = z_threshold;
    commands.merge.prom_textfile = prom_textfile;
    commands.merge.command_line.assign(argv, argv + argc);
    return report_merged(commands.merge);
  }
  if (*commands.drain_command) return run_drain(commands.drain);
  if (*commands.resume_command) return run_resume(commands.resume);
  return std::nullopt;
}

}  // namespace exacheck
