#include "harness/controller/merge_command.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "harness/controller/allocation.hpp"
#include "harness/controller/prom_textfile.hpp"
#include "harness/controller/run_directory.hpp"
#include "harness/core/errors.hpp"
#include "harness/io/files.hpp"
#include "harness/plan/hosts.hpp"
#include "harness/results/outcome.hpp"
#include "harness/results/run_document.hpp"
#include "harness/results/run_merge.hpp"
#include "reports/analysis/aggregate.hpp"
#include "reports/render/render.hpp"

namespace exacheck {
namespace {

namespace fs = std::filesystem;

// --expected-file: one host or Slurm host list per line ("node017", "gpu[001-064]"), '#' comments.
std::vector<std::string> read_expected_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw usage_error(fmt::format("--expected-file {}: cannot be read", path));
  std::vector<std::string> hosts;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    std::string word;
    while (words >> word)
      for (auto& host : expand_hostlist(word, fmt::format("{}:{}", path, number))) {
        if (!is_host_name(host))
          throw usage_error(fmt::format("{}:{}: '{}' is not a host name", path, number, host));
        hosts.push_back(std::move(host));
      }
  }
  if (hosts.empty()) throw usage_error(fmt::format("--expected-file {}: names no host", path));
  return hosts;
}

// The expected hosts, each once, in the order given.
std::vector<std::string> expected_hosts(const merge_report_options& options, std::string& from) {
  std::vector<std::string> all;
  if (options.expected_nodes) {
    all = expand_hostlist(*options.expected_nodes, "--expected-nodes");
    from = "--expected-nodes " + *options.expected_nodes;
  }
  if (options.expected_file) {
    for (auto& h : read_expected_file(*options.expected_file)) all.push_back(std::move(h));
    from += (from.empty() ? "" : " ") + std::string("--expected-file ") + *options.expected_file;
  }
  std::vector<std::string> once;
  std::set<std::string> seen;
  for (auto& h : all)
    if (seen.insert(h).second) once.push_back(std::move(h));
  return once;
}

// Refuses an --out that is one of the runs, or that holds a run of its own (not an earlier merge).
void check_out_dir(const merge_report_options& options) {
  std::error_code ignored;
  const auto out = fs::weakly_canonical(options.out_dir, ignored);
  for (const auto& dir : options.run_dirs)
    if (fs::weakly_canonical(dir, ignored) == out)
      throw usage_error(fmt::format(
          "--out {} is one of the runs to merge: give the merge a directory of its own", options.out_dir));
  const std::string existing = options.out_dir + "/run.json";
  if (!fs::exists(existing, ignored)) return;
  const nlohmann::json run = read_run_document(options.out_dir);
  const auto provenance = run.find("provenance");
  if (provenance == run.end() || !provenance->is_object() || !provenance->contains("merged"))
    throw usage_error(
        fmt::format("--out {} holds a run of its own ({}), not a merge: give the merge another directory",
                    options.out_dir, existing));
}

}  // namespace

nlohmann::json read_run_document(const std::string& run_dir) {
  const std::string path = run_dir + "/run.json";
  std::error_code missing;
  if (!fs::exists(fs::symlink_status(path, missing)))
    throw usage_error(fmt::format("{} does not exist: is '{}' a run directory?", path, run_dir));
  nlohmann::json run;
  try {
    run = parse_json_file(path);
  } catch (const std::exception& e) {
    throw usage_error(fmt::format("{}: {}", path, e.what()));
  }
  upgrade_run_document(run);
  const std::string schema = run.is_object() && run.contains("schema") && run["schema"].is_string()
                                 ? run["schema"].get<std::string>()
                                 : std::string();
  if (schema != run_schema)
    throw usage_error(fmt::format("{}: schema {} is not {}", path, quoted_text(schema), run_schema));
  if (const auto problem = run_document_problem(run))
    throw usage_error(fmt::format("{}: {}", path, *problem));
  return run;
}

nlohmann::json merged_analysed_run(const merge_report_options& options) {
  if (options.run_dirs.empty()) throw usage_error("--merge needs at least one run directory");
  merge_options merge;
  merge.expected_hosts = expected_hosts(options, merge.expected_from);
  merge.command_line = options.command_line;
  std::vector<merge_input> inputs;
  for (const auto& dir : options.run_dirs) inputs.push_back({dir, read_run_document(dir)});
  // The rules the runs were analysed with (their plan's `outliers:`): the same plan, so the first run's.
  reports::outlier_rules rules;
  try {
    const auto& first = inputs.front().run;
    if (first.contains("analysis") && first["analysis"].is_object() && first["analysis"].contains("rules"))
      rules = reports::rules_from_json(first["analysis"]["rules"]);
  } catch (const std::invalid_argument& e) {
    throw usage_error(fmt::format("{}/run.json: {}", inputs.front().run_dir, e.what()));
  }
  if (options.z_threshold) rules.z_threshold = *options.z_threshold;
  nlohmann::json merged;
  try {
    merged = merge_runs(inputs, merge);
  } catch (const std::invalid_argument& e) {
    throw usage_error(e.what());
  }
  inputs.clear();
  reports::analyse_run(merged, rules);
  return merged;
}

int report_merged(const merge_report_options& options) {
  if (options.out_dir.empty()) throw usage_error("report --merge needs --out DIR: where the merged run goes");
  check_out_dir(options);
  if (!options.prom_textfile.empty()) check_prom_textfile(options.prom_textfile);
  nlohmann::json run = merged_analysed_run(options);
  std::error_code error;
  fs::create_directories(options.out_dir, error);
  if (error)
    throw usage_error(fmt::format("--out {}: cannot be created: {}", options.out_dir, error.message()));
  const run_directory_lock lock(options.out_dir);
  store_devices_once(run);
  write_json_atomically(options.out_dir + "/run.json", run);

  // What was merged: the nodes without a run first (MISSING), then each run.
  const auto& merged = run["provenance"]["merged"];
  for (const auto& host : merged["without_run"])
    fmt::print("MISSING  {}: expected ({}), no run reported it\n", host.get<std::string>(),
               merged["expected_from"].is_string() ? merged["expected_from"].get<std::string>() : "");
  for (const auto& r : merged["runs"]) {
    const std::string hosts = fmt::format("{}", fmt::join(r["hosts"], ","));
    if (!r["superseded_by"].is_null())
      fmt::print("superseded  {} ({}): a newer run of the same node(s) is merged: {}\n",
                 r["id"].get<std::string>(), hosts, r["superseded_by"].get<std::string>());
    else
      fmt::print("merged  {} ({}): {}{}\n", r["id"].get<std::string>(), hosts,
                 r["verdict"].is_string() ? r["verdict"].get<std::string>() : "no verdict",
                 r["complete"] == true ? "" : ", not complete");
  }
  std::fflush(stdout);
  reports::render_console_verdict(run, std::cout);
  std::cout.flush();
  fmt::print("{}/run.json\n", options.out_dir);
  for (const auto& written : reports::render_all(run, options.out_dir)) fmt::print("{}\n", written);
  int code = run["exit_code"].get<int>();
  // The merged fleet's metrics at the operator's stable path (one file for the whole fleet).
  if (!options.prom_textfile.empty())
    code = publish_prom_textfile(options.out_dir + "/metrics.prom", options.prom_textfile, code);
  fmt::print("exit code {}\n", code);
  return code;
}

}  // namespace exacheck
