#include "harness/controller/run_directory.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness/core/errors.hpp"
#include "harness/results/provenance.hpp"
#include "reports/render/render.hpp"

namespace exacheck {
namespace fs = std::filesystem;

namespace {
constexpr const char* lock_file_name = ".exacheck.lock";

// Who holds the lock, from its file: "pid 4711 on host node001 (since 2026-11-24T08:00:00Z)".
std::string holder_of(int fd) {
  char text[1024];
  const ssize_t got = ::pread(fd, text, sizeof text - 1, 0);
  if (got <= 0) return "another exacheck (it has not written its pid yet)";
  try {
    const auto holder = nlohmann::json::parse(std::string(text, static_cast<std::size_t>(got)));
    return fmt::format("exacheck pid {} on host {} (since {})", holder.at("pid").dump(),
                       holder.at("host").get<std::string>(), holder.value("since", "?"));
  } catch (const std::exception&) {
    return "another exacheck (its lock file does not say which)";
  }
}
}  // namespace

run_directory_lock::run_directory_lock(const std::string& run_dir) {
  const std::string path = (fs::path(run_dir) / lock_file_name).string();
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (m_fd < 0)
    throw usage_error(
        fmt::format("cannot lock run directory {}: {}: {}", run_dir, path, std::strerror(errno)));
  if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    const std::string holder = error == EWOULDBLOCK ? holder_of(m_fd) : "";
    ::close(m_fd);
    if (error != EWOULDBLOCK)
      throw usage_error(
          fmt::format("cannot lock run directory {}: {}: {}", run_dir, path, std::strerror(error)));
    throw usage_error(
        fmt::format("run directory {} is in use by {}; wait for it to end, or choose another "
                    "directory (lock file {})",
                    run_dir, holder, path));
  }
  const std::string holder =
      nlohmann::json{{"pid", ::getpid()}, {"host", host_name()}, {"since", utc_timestamp_now()}}.dump() +
      "\n";
  // Best effort: the lock holds without its text; the text only names the holder to whoever is refused.
  if (::ftruncate(m_fd, 0) == 0) {
    [[maybe_unused]] const auto written = ::pwrite(m_fd, holder.data(), holder.size(), 0);
  }
}

run_directory_lock::~run_directory_lock() {
  ::close(m_fd);  // releases the lock
}

void claim_run_directory(const std::string& run_dir, bool replace) {
  const fs::path dir(run_dir);
  std::error_code error;
  std::string holds;
  if (fs::symlink_status(dir / "run.json", error).type() != fs::file_type::not_found) holds = "a run.json";
  const auto cases = fs::symlink_status(dir / "cases", error).type();
  if (cases != fs::file_type::not_found &&
      (cases != fs::file_type::directory || !fs::is_empty(dir / "cases", error)))  // unreadable: not empty
    holds += holds.empty() ? "case results (cases/)" : " and case results (cases/)";
  if (holds.empty()) return;
  if (!replace)
    throw usage_error(
        fmt::format("run directory {} already holds a run ({}): choose a new --out directory, "
                    "or add --replace to remove that run's files first",
                    run_dir, holds));
  std::vector<std::string> names = reports::report_file_names();
  names.insert(names.end(), {"run.json", "compare.md", "compare.json"});
  try {
    for (const auto& name : names) fs::remove(dir / name);  // a symlink: the link, never its target
    fs::remove_all(dir / "cases");                          // symlinks inside: the links, never followed
  } catch (const fs::filesystem_error& e) {
    throw usage_error(
        fmt::format("--replace: cannot remove the previous run's files in {}: {}", run_dir, e.what()));
  }
  fmt::print("exacheck: --replace: removed the previous run's files from {}\n", run_dir);
}

}  // namespace exacheck
