#pragma once
// A fake `mpirun` (or `srun`) for e2e tests: while a fake_launcher lives, the launcher found on PATH (by this
// process and the exacheck it starts) is a script in a temporary directory that runs
// tests/support/fake_worker.cpp, which writes a crafted result.json — correct (`ok`) or with the fault the
// scenario names (see fake_worker.cpp: missing_rank, missing_last_host (the ranks of the last host of
// mpirun's
// --host send nothing), duplicate_rank, extra_rank, foreign_case, wrong_token, no_token, nan_value,
// impossible_value, no_points, no_checks, unverified_rank) — to the --result path of the worker command it is
// given; or fails as a launcher does (rank_segv, hang_rank, launch_failure, launch_failure_once,
// allocation_gone, slurm_ends_job[_silently]: the ranks' progress files and srun's own messages, as
// Slurm 22.05 prints them).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace exacheck::testing {

class fake_launcher {
 public:
  explicit fake_launcher(const std::string& scenario, const std::string& launcher = "mpirun")
      : m_dir(std::filesystem::temp_directory_path() /
              ("exacheck-fake-launcher-" + scenario + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(m_dir);
    std::filesystem::create_directories(m_dir);
    const auto script = m_dir / launcher;
    std::ofstream(script) << "#!/bin/sh\nexec '" << EXACHECK_FAKE_WORKER << "' '" << scenario << "' "
                          << launcher << " \"$@\"\n";
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    const char* path = std::getenv("PATH");
    m_saved_path = path ? path : "";
    ::setenv("PATH", (m_dir.string() + ":" + m_saved_path).c_str(), 1);
  }
  ~fake_launcher() {
    ::setenv("PATH", m_saved_path.c_str(), 1);
    std::error_code ignored;
    std::filesystem::remove_all(m_dir, ignored);
  }
  // Another program on the same PATH, e.g. a fake `scontrol`: a shell script of `body`.
  void add_program(const std::string& name, const std::string& body) const {
    const auto script = m_dir / name;
    std::ofstream(script) << "#!/bin/sh\n" << body << "\n";
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  }
  // Changes PATH for the whole process: one at a time, never copied.
  fake_launcher(const fake_launcher&) = delete;
  fake_launcher& operator=(const fake_launcher&) = delete;

 private:
  std::filesystem::path m_dir;
  std::string m_saved_path;
};

}  // namespace exacheck::testing
