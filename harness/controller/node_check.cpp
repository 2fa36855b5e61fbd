// `exacheck node-check` (harness/controller/node_check.hpp, docs/operations.md).
#include "harness/controller/node_check.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "harness/controller/controller.hpp"
#include "harness/controller/gpu_preflight.hpp"
#include "harness/core/errors.hpp"
#include "harness/io/files.hpp"
#include "harness/plan/shipped_plans.hpp"
#include "harness/results/outcome.hpp"
#include "harness/results/provenance.hpp"
#include "reports/render/health_line.hpp"

extern char** environ;

namespace exacheck {
namespace fs = std::filesystem;
namespace {

// This process's stdout and stderr sent to `log_file` while it lives (the run's progress, the workers'
// output), put back after: a Slurm hook must print nothing on success.
class quiet_output {
 public:
  explicit quiet_output(const std::string& log_file) {
    std::fflush(stdout);
    std::fflush(stderr);
    const int log = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log < 0) throw std::runtime_error(fmt::format("cannot write {}: {}", log_file, std::strerror(errno)));
    m_out = ::dup(1);
    m_err = ::dup(2);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::close(log);
  }
  quiet_output(const quiet_output&) = delete;  // owns the saved descriptors
  quiet_output& operator=(const quiet_output&) = delete;
  ~quiet_output() {
    std::cout.flush();
    std::fflush(stdout);
    std::fflush(stderr);
    if (m_out >= 0) ::dup2(m_out, 1), ::close(m_out);
    if (m_err >= 0) ::dup2(m_err, 2), ::close(m_err);
  }

 private:
  int m_out = -1, m_err = -1;
};

bool starts_with(const char* text, const char* prefix) {
  return std::strncmp(text, prefix, std::strlen(prefix)) == 0;
}

// The `latest` link beside the node's runs, replaced atomically (a new link, then rename(2)).
void point_latest_at(const fs::path& run_dir) {
  const fs::path link = run_dir.parent_path() / "latest";
  const fs::path temporary = run_dir.parent_path() / fmt::format(".latest.{}", ::getpid());
  std::error_code ignored;
  fs::remove(temporary, ignored);
  fs::create_directory_symlink(run_dir.filename(), temporary, ignored);
  if (!ignored) fs::rename(temporary, link, ignored);
  if (ignored) fs::remove(temporary, ignored);  // a missing `latest` loses nothing: the runs are all there
}

}  // namespace

std::vector<std::string> forget_the_job_around_us() {
  std::vector<std::string> names;
  for (char** entry = environ; entry && *entry; ++entry)
    if (starts_with(*entry, "SLURM_") || starts_with(*entry, "PMIX_") || starts_with(*entry, "PMI_")) {
      const char* equals = std::strchr(*entry, '=');
      names.emplace_back(*entry, equals ? static_cast<std::size_t>(equals - *entry) : std::strlen(*entry));
    }
  for (const auto& name : names) ::unsetenv(name.c_str());
  return names;
}

std::string node_check_run_dir(const std::string& out_root, const std::string& host,
                               const std::string& utc_timestamp) {
  std::string stamp = utc_timestamp;  // 2026-11-24T08:00:00Z → 20261124T080000Z
  std::erase(stamp, '-');
  std::erase(stamp, ':');
  const fs::path base = fs::path(out_root) / host / stamp;
  fs::path dir = base;
  std::error_code ignored;
  for (int n = 2; fs::exists(fs::symlink_status(dir, ignored)); ++n)
    dir = fs::path(base.string() + fmt::format("-{}", n));
  return dir.string();
}

int run_node_check(const node_check_options& options) {
  const std::string host = host_name();
  std::string run_dir = fs::path(options.out_root) / host;
  int code = exit_code::usage_error;
  std::string failure;
  try {
    forget_the_job_around_us();
    run_options run;
    run.plan_file =
        options.plan_file.empty() ? shipped_plan_file("node-check.yaml", "node-check") : options.plan_file;
    run.system_file = options.system_file;
    run.backend = options.backend;
    run.launcher = "mpirun";  // on this node: never srun, which would start a step of the job around us
    run.ranks = options.ranks;
    if (!run.ranks && (!options.backend || *options.backend != "cpu")) {
      // One rank per GPU of the node, so that every GPU is checked; the plan's own count where none shows.
      if (const int gpus = controller_visible_gpus(); gpus > 0) run.ranks = gpus;
    }
    run.prom_textfile = options.prom_textfile;
    run.command_line = options.command_line;
    run_dir = node_check_run_dir(options.out_root, host, utc_timestamp_now());
    run.out_dir = run_dir;
    fs::create_directories(run_dir);
    {
      const quiet_output quiet(run_dir + "/node-check.log");
      code = run_plan(run);
    }
    point_latest_at(run_dir);
  } catch (const validation_error& e) {
    failure = fmt::format("{} plan: {}", host, e.what());
  } catch (const std::exception& e) {
    failure = fmt::format("{} {}", host, e.what());
  }
  if (failure.empty() && code == exit_code::all_passed) return code;
  std::string line;
  std::error_code ignored;
  if (failure.empty() && fs::exists(run_dir + "/run.json", ignored)) {
    try {
      const nlohmann::json run = parse_json_file(run_dir + "/run.json");
      if (run.value("exit_code", -1) == exit_code::all_passed)
        // The checks passed; what failed came after them (--prom-textfile could not be written).
        failure = fmt::format(
            "{} checks passed, but the run's results could not be published (exit code {}): "
            "see node-check.log",
            host, code);
      else
        line = reports::health_check_failure(run, run_dir);
    } catch (const std::exception& e) {
      failure = fmt::format("{} run.json unreadable: {}", host, e.what());
    }
  }
  if (line.empty())
    line = reports::health_check_line(
        failure.empty() ? fmt::format("{} run ended with exit code {} and no run.json", host, code) : failure,
        run_dir);
  fmt::print("{}\n", line);
  std::fflush(stdout);
  return code == exit_code::all_passed ? exit_code::incomplete : code;
}

}  // namespace exacheck
