#include "harness/controller/guardian.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace exacheck {
namespace {

// What follows runs in the guardian, a forked child of a process that may hold other threads: system calls
// and plain loops only — no allocation, no locks, no stdio.

// The record getdents64(2) fills (glibc declares none for the raw system call).
struct directory_entry {
  std::uint64_t inode;
  std::int64_t offset;
  unsigned short length;
  unsigned char type;
  char name[1];
};

bool all_digits(const char* text) {
  if (*text == '\0') return false;
  for (; *text; ++text)
    if (*text < '0' || *text > '9') return false;
  return true;
}

// The state letter and session of the process named `pid_text` (digits), from /proc/<pid>/stat; false when
// it is gone or unreadable.
bool read_state_and_session(const char* pid_text, char& state, long& session) {
  char path[48] = "/proc/";
  std::size_t length = 6;
  for (const char* p = pid_text; *p && length < 32; ++p) path[length++] = *p;
  for (const char* p = "/stat"; *p; ++p) path[length++] = *p;
  path[length] = '\0';
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char text[1024];
  ssize_t got;
  do got = ::read(fd, text, sizeof text - 1);
  while (got < 0 && errno == EINTR);
  ::close(fd);
  if (got <= 0) return false;
  // "pid (comm) state ppid pgrp session …": comm may hold spaces and parentheses, so fields count from the
  // last ')'.
  ssize_t at = got - 1;
  while (at >= 0 && text[at] != ')') --at;
  if (at < 0) return false;
  const char* p = text + at + 1;
  const char* end = text + got;
  while (p < end && *p == ' ') ++p;
  if (p >= end) return false;
  state = *p++;
  long value = 0;
  for (int field = 0; field < 3; ++field) {  // ppid, pgrp, session
    while (p < end && *p == ' ') ++p;
    bool negative = false;
    if (p < end && *p == '-') {
      negative = true;
      ++p;
    }
    value = 0;
    while (p < end && *p >= '0' && *p <= '9') value = value * 10 + (*p++ - '0');
    if (negative) value = -value;
  }
  session = value;
  return true;
}

void sleep_s(double seconds) {
  timespec wait{static_cast<time_t>(seconds),
                static_cast<long>((seconds - static_cast<time_t>(seconds)) * 1e9)};
  while (::nanosleep(&wait, &wait) != 0 && errno == EINTR) {
  }
}

// Closes every descriptor from `first` on.
void close_from(int first) {
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, first, ~0U, 0) == 0) return;
#endif
  long last = 65536;  // kernels before 5.9: one close(2) per possible descriptor
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    last = static_cast<long>(limit.rlim_cur < (1u << 20) ? limit.rlim_cur : (1u << 20));
  for (long fd = first; fd < last; ++fd) ::close(static_cast<int>(fd));
}

[[noreturn]] void run_guardian(int socket, double grace_s) {
  // Its own process group: `kill -KILL -<controller's group>` leaves the guardian to clean up after it.
  ::setpgid(0, 0);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  for (const int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU})
    ::sigaction(signal_number, &ignore, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Nothing of the controller's stays open here: not its terminal or output pipe (a reader waiting for their
  // end would wait for the guardian), not the run directory's lock, not the write end of anything.
  const int kept = ::fcntl(socket, F_DUPFD, 3);
  const int null_fd = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3 && null_fd >= 0; ++fd) ::dup2(null_fd, fd);
  if (kept != 3) ::dup2(kept, 3);
  close_from(4);

  pid_t session = 0;
  for (;;) {
    std::int32_t value = 0;
    const ssize_t got = ::recv(3, &value, sizeof value, MSG_WAITALL);
    if (got == static_cast<ssize_t>(sizeof value)) {
      session = value;
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    break;  // the end of the socket: the controller ended, told or not
  }
  stop_session(session, grace_s);
  ::_exit(0);
}

}  // namespace

int signal_session(pid_t session, int signal_number) {
  if (session <= 0) return 0;
  const int directory = ::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory < 0) return 0;
  int count = 0;
  alignas(8) char buffer[8192];
  for (;;) {
    const long got = ::syscall(SYS_getdents64, directory, buffer, sizeof buffer);
    if (got <= 0) break;
    for (long at = 0; at < got;) {
      const auto* entry = reinterpret_cast<const directory_entry*>(buffer + at);
      at += entry->length;
      if (!all_digits(entry->name)) continue;
      char state = 0;
      long process_session = 0;
      if (!read_state_and_session(entry->name, state, process_session)) continue;
      if (process_session != session || state == 'Z' || state == 'X') continue;  // zombies are gone already
      long pid = 0;
      for (const char* p = entry->name; *p; ++p) pid = pid * 10 + (*p - '0');
      if (signal_number == 0 || ::kill(static_cast<pid_t>(pid), signal_number) == 0) ++count;
    }
  }
  ::close(directory);
  return count;
}

void stop_session(pid_t session, double grace_s) {
  if (signal_session(session, SIGTERM) == 0) return;
  for (double waited = 0; waited < grace_s && signal_session(session, 0) > 0; waited += 0.05) sleep_s(0.05);
  // A process may fork while it is being killed: again until none is left (a process stuck in the kernel
  // may never go; five seconds is enough to tell).
  for (int round = 0; round < 100 && signal_session(session, SIGKILL) > 0; ++round) sleep_s(0.05);
}

case_guardian::case_guardian(double grace_s) {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0)
    throw std::runtime_error(std::string("cannot start the guardian of launched processes: socketpair: ") +
                             std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    ::close(ends[0]);
    ::close(ends[1]);
    throw std::runtime_error(std::string("cannot start the guardian of launched processes: fork: ") +
                             std::strerror(error));
  }
  if (pid == 0) {
    ::close(ends[1]);  // or the end of the socket never comes
    run_guardian(ends[0], grace_s);
  }
  ::close(ends[0]);
  m_pid = pid;
  m_socket = ends[1];  // close-on-exec: no launched process holds it, or the guardian would outwait them
}

case_guardian::~case_guardian() {
  ::close(m_socket);
  int status = 0;
  while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
  }
}

void case_guardian::watch(pid_t session) {
  const std::int32_t value = session;
  // MSG_NOSIGNAL: a guardian that is gone is no reason for the controller to die of SIGPIPE.
  while (::send(m_socket, &value, sizeof value, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

}  // namespace exacheck
