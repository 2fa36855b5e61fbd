#include "harness/results/signal_names.hpp"

#include <fmt/core.h>

#include <array>
#include <csignal>

namespace exacheck {
namespace {

struct named_signal {
  int number;
  const char* name;
  const char* description;  // glibc 2.36 strsignal(3), which srun prints for a signalled task
};

constexpr std::array<named_signal, 31> signals{{
    {SIGHUP, "SIGHUP", "Hangup"},
    {SIGINT, "SIGINT", "Interrupt"},
    {SIGQUIT, "SIGQUIT", "Quit"},
    {SIGILL, "SIGILL", "Illegal instruction"},
    {SIGTRAP, "SIGTRAP", "Trace/breakpoint trap"},
    {SIGABRT, "SIGABRT", "Aborted"},
    {SIGBUS, "SIGBUS", "Bus error"},
    {SIGFPE, "SIGFPE", "Floating point exception"},
    {SIGKILL, "SIGKILL", "Killed"},
    {SIGUSR1, "SIGUSR1", "User defined signal 1"},
    {SIGSEGV, "SIGSEGV", "Segmentation fault"},
    {SIGUSR2, "SIGUSR2", "User defined signal 2"},
    {SIGPIPE, "SIGPIPE", "Broken pipe"},
    {SIGALRM, "SIGALRM", "Alarm clock"},
    {SIGTERM, "SIGTERM", "Terminated"},
    {SIGSTKFLT, "SIGSTKFLT", "Stack fault"},
    {SIGCHLD, "SIGCHLD", "Child exited"},
    {SIGCONT, "SIGCONT", "Continued"},
    {SIGSTOP, "SIGSTOP", "Stopped (signal)"},
    {SIGTSTP, "SIGTSTP", "Stopped"},
    {SIGTTIN, "SIGTTIN", "Stopped (tty input)"},
    {SIGTTOU, "SIGTTOU", "Stopped (tty output)"},
    {SIGURG, "SIGURG", "Urgent I/O condition"},
    {SIGXCPU, "SIGXCPU", "CPU time limit exceeded"},
    {SIGXFSZ, "SIGXFSZ", "File size limit exceeded"},
    {SIGVTALRM, "SIGVTALRM", "Virtual timer expired"},
    {SIGPROF, "SIGPROF", "Profiling timer expired"},
    {SIGWINCH, "SIGWINCH", "Window changed"},
    {SIGIO, "SIGIO", "I/O possible"},
    {SIGPWR, "SIGPWR", "Power failure"},
    {SIGSYS, "SIGSYS", "Bad system call"},
}};

const named_signal* find(int number) {
  for (const auto& s : signals)
    if (s.number == number) return &s;
  return nullptr;
}

}  // namespace

std::string signal_name(int signal_number) {
  const auto* s = find(signal_number);
  return s ? s->name : fmt::format("signal {}", signal_number);
}

std::string signal_description(int signal_number) {
  const auto* s = find(signal_number);
  return s ? s->description : "";
}

std::string describe_signal_by_name(int signal_number) {
  const auto* s = find(signal_number);
  return s ? fmt::format("{} ({})", s->name, s->description) : fmt::format("signal {}", signal_number);
}

std::optional<int> signal_from_description(std::string_view text) {
  constexpr std::string_view core_dumped = " (core dumped)";
  if (text.ends_with(core_dumped)) text.remove_suffix(core_dumped.size());
  for (const auto& s : signals)
    if (text == s.description) return s.number;
  return std::nullopt;
}

std::optional<int> signal_of_exit_status(int exit_status) {
  if (exit_status > 128 && exit_status < 128 + 32) return exit_status - 128;
  return std::nullopt;
}

}  // namespace exacheck
