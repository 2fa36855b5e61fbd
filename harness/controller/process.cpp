#include "harness/controller/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "harness/controller/guardian.hpp"
#include "harness/core/clock.hpp"

namespace exacheck {
namespace {
std::atomic<bool> g_interrupted{false};
std::atomic<int> g_interrupt_signal{0};

void on_interrupt(int signal_number) {
  g_interrupt_signal.store(signal_number);
  g_interrupted.store(true);
}

// Waits for `pid` for at most `seconds`; true when it was reaped.
bool wait_for(pid_t pid, int& status, double seconds) {
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return true;
    if (done < 0 && errno != EINTR) return true;
    if (seconds_since(start) >= seconds) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// The launcher first (mpirun stops its ranks when it is told to), then whatever is left of its session: Open
// MPI puts each rank in a process group of its own, but every one stays in the launcher's session.
void stop_group(pid_t pid, int& status, double grace_s) {
  ::kill(-pid, SIGTERM);
  if (!wait_for(pid, status, grace_s)) {
    signal_session(pid, SIGKILL);
    ::kill(-pid, SIGKILL);
    wait_for(pid, status, 10.0);
  }
  // Ranks that outlived the launcher (it was killed first) go too.
  signal_session(pid, SIGKILL);
}
}  // namespace

const std::atomic<bool>& install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  // A closed terminal or ssh session (SIGHUP) is one more way to be told to stop, not a reason to lose the
  // run.
  ::sigaction(SIGHUP, &action, nullptr);
  return g_interrupted;
}

int last_interrupt_signal() {
  return g_interrupt_signal.load();
}

std::string interrupt_signal_name() {
  switch (g_interrupt_signal.load()) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "signal " + std::to_string(g_interrupt_signal.load());
  }
}

void leave_hung_up_terminal() {
  const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_fd < 0) return;
  for (const int fd : {STDOUT_FILENO, STDERR_FILENO}) {
    // A hung-up terminal answers EIO, to isatty as to write; a file or pipe keeps what follows.
    errno = 0;
    if (::isatty(fd) || errno == EIO) ::dup2(null_fd, fd);
  }
  ::close(null_fd);
}

process_result run_process(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& environment, const std::string& log_path,
                           double timeout_s, const std::atomic<bool>* interrupt,
                           const std::function<void(double elapsed_s)>& on_wait, double grace_s,
                           case_guardian* guardian) {
  process_result result;
  const auto start = std::chrono::steady_clock::now();
  int exec_error_pipe[2];
  if (::pipe2(exec_error_pipe, O_CLOEXEC) != 0) {
    result.how = process_result::ending::failed_to_start;
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    if (!environment.contains(entry.substr(0, entry.find('=')))) env_strings.push_back(entry);
  }
  for (const auto& [key, value] : environment) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  // O_NOFOLLOW: a symbolic link planted at the log's name never sends the worker's output elsewhere.
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (log_fd < 0) {
    result.how = process_result::ending::failed_to_start;
    result.error = "cannot open log " + log_path + ": " + std::strerror(errno);
    ::close(exec_error_pipe[0]);
    ::close(exec_error_pipe[1]);
    return result;
  }

  const pid_t controller = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // The launcher hears of the controller's death at once (SIGTERM: mpirun then stops its ranks); the
    // guardian stops whatever is left of the session.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != controller) ::_exit(127);  // the controller died before prctl
    // A session of its own, which every rank the launcher starts stays in (harness/controller/guardian.hpp);
    // it is a process group of its own too, so a time-out or Ctrl-C can signal the launcher's group.
    ::setsid();
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    ::execvpe(args[0], args.data(), envp.data());
    const int error = errno;
    [[maybe_unused]] auto ignored = ::write(exec_error_pipe[1], &error, sizeof error);
    ::_exit(127);
  }
  ::close(log_fd);
  ::close(exec_error_pipe[1]);
  if (pid < 0) {
    result.how = process_result::ending::failed_to_start;
    result.error = std::string("fork: ") + std::strerror(errno);
    ::close(exec_error_pipe[0]);
    return result;
  }
  // Told before the exec is known to have worked: a controller killed from here on leaves no launch behind.
  // (No setpgid here as before: setsid fails in a process group leader. The launcher is signalled only after
  // the read below, by which time it has exec'd, so in its own session.)
  if (guardian) guardian->watch(pid);
  struct unwatch {
    case_guardian* guardian;
    ~unwatch() {
      if (guardian) guardian->watch(0);
    }
  } unwatch_when_done{guardian};
  int exec_error = 0;
  const ssize_t got = ::read(exec_error_pipe[0], &exec_error, sizeof exec_error);
  ::close(exec_error_pipe[0]);
  int status = 0;
  if (got == static_cast<ssize_t>(sizeof exec_error)) {
    ::waitpid(pid, &status, 0);
    result.how = process_result::ending::failed_to_start;
    result.error = argv[0] + ": " + std::strerror(exec_error);
    result.elapsed_s = seconds_since(start);
    return result;
  }

  while (true) {
    if (wait_for(pid, status, 0.05)) break;
    if (on_wait) on_wait(seconds_since(start));
    if (interrupt && interrupt->load()) {
      stop_group(pid, status, grace_s);
      result.how = process_result::ending::interrupted;
      result.elapsed_s = seconds_since(start);
      return result;
    }
    if (seconds_since(start) >= timeout_s) {
      stop_group(pid, status, grace_s);
      result.how = process_result::ending::timed_out;
      result.elapsed_s = seconds_since(start);
      return result;
    }
  }
  // The launcher is gone; anything it left behind in its group or session is an orphaned rank.
  ::kill(-pid, SIGKILL);
  signal_session(pid, SIGKILL);
  result.elapsed_s = seconds_since(start);
  if (WIFEXITED(status)) {
    result.how = process_result::ending::exited;
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.how = process_result::ending::signaled;
    result.signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace exacheck
