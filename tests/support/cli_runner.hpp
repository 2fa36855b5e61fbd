#pragma once
// Runs the exacheck binary from tests: argv exec'd directly, output captured, exit code returned.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace exacheck::testing {

struct cli_result {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
  pid_t pid = -1;      // of the exacheck process, which has ended
};

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::filesystem::path fresh_temp_dir(const std::string& name) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("exacheck-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// `while_running` is called every 50 ms with the child's pid until it ends (e.g. to send it SIGINT).
inline cli_result run_cli(const std::vector<std::string>& args, const std::filesystem::path& output_file,
                          const std::function<void(pid_t)>& while_running = {}) {
  // The build's binary, or EXACHECK_BINARY from the environment: test programs carried to another machine
  // (scripts/device-check.sh) run the exacheck that was carried with them.
  const char* chosen = std::getenv("EXACHECK_BINARY");
  std::vector<std::string> argv{chosen && *chosen ? std::string(chosen) : std::string(EXACHECK_BINARY)};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (while_running) while_running(pid);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  cli_result result;
  result.pid = pid;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.output = slurp(output_file);
  return result;
}

inline nlohmann::json read_json(const std::filesystem::path& path) {
  return nlohmann::json::parse(slurp(path));
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

// The case of run.json named `name` (throws when there is none).
inline const nlohmann::json& case_named(const nlohmann::json& run, const std::string& name) {
  for (const auto& c : run["cases"])
    if (c["name"] == name) return c;
  throw std::runtime_error("no case " + name);
}

// The directory of the case whose name is `name` under RUN_DIR/cases ("" until it exists).
inline std::filesystem::path case_dir(const std::filesystem::path& cases, const std::string& name) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(cases, error))
    if (entry.path().filename().string().rfind(name + "-", 0) == 0) return entry.path();
  return {};
}

}  // namespace exacheck::testing
