#pragma once
// A run directory holds one run, written by one exacheck at a time: `exacheck run` and `exacheck report`
// lock it, and a run never lands on top of an earlier one's files unless asked to replace them.
#include <string>

namespace exacheck {

// Holds RUN_DIR/.exacheck.lock (flock(2), exclusive) for as long as it lives: `exacheck run` for the whole
// run, `exacheck report` while it reads and writes. The file says who holds it (pid, host, since when); it
// stays after the run (removing it would race with the next one). The lock goes with the process, however it
// ends; launched processes never inherit it (close-on-exec).
class run_directory_lock {
 public:
  // Throws usage_error naming the pid and host of the holder when another exacheck holds the lock, and when
  // the lock file cannot be opened (a symlink is never followed).
  explicit run_directory_lock(const std::string& run_dir);
  ~run_directory_lock();
  // Owns a descriptor that holds the lock: not copyable.
  run_directory_lock(const run_directory_lock&) = delete;
  run_directory_lock& operator=(const run_directory_lock&) = delete;

 private:
  int m_fd = -1;
};

// Makes the (locked) `run_dir` ready for a new run. One that already holds a run — a run.json, or a cases/
// that is not empty — is refused with a usage_error that says how to proceed, unless `replace`: then the
// previous run's files (run.json, the reports, compare.md/json, cases/) are removed first. A symlink among
// them is removed as a link, never followed; other files are left alone.
void claim_run_directory(const std::string& run_dir, bool replace);

}  // namespace exacheck
