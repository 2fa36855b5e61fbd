#pragma once
// A headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: the browser reads
// commands from fd 3 and writes answers and events to fd 4, one JSON message per NUL-terminated chunk). The
// protocol, not the browser's log, tells what went wrong on a page: script exceptions
// (Runtime.exceptionThrown), console errors (Runtime.consoleAPICalled, Log.entryAdded: failed loads and CSP
// refusals land there), failed loads (Network.loadingFailed) and every request the page made
// (Network.requestWillBeSent), so that a check for "loads nothing and logs no error" can fail. Used by
// tests/browser/.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace exacheck::test {

// The browser to use: $EXACHECK_CHROMIUM, else the first of chromium, chromium-browser, google-chrome on
// PATH.
inline std::optional<std::string> find_chromium() {
  if (const char* chosen = std::getenv("EXACHECK_CHROMIUM"); chosen && *chosen) return std::string(chosen);
  const char* path = std::getenv("PATH");
  if (!path) return std::nullopt;
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    std::string dirs = path;
    for (std::size_t from = 0; from <= dirs.size();) {
      const std::size_t to = std::min(dirs.find(':', from), dirs.size());
      const auto candidate = std::filesystem::path(dirs.substr(from, to - from)) / name;
      if (!candidate.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
      from = to + 1;
    }
  }
  return std::nullopt;
}

inline std::string base64_decoded(const std::string& text) {
  std::string bytes;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : text) {
    int value;
    if (c >= 'A' && c <= 'Z')
      value = c - 'A';
    else if (c >= 'a' && c <= 'z')
      value = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      value = c - '0' + 52;
    else if (c == '+')
      value = 62;
    else if (c == '/')
      value = 63;
    else
      continue;  // '=' padding and line breaks
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return bytes;
}

class headless_chromium {
 public:
  // Starts the browser with its own profile in `profile_dir`; its stdout and stderr go to `log_file`.
  headless_chromium(const std::string& binary, const std::filesystem::path& profile_dir,
                    const std::filesystem::path& log_file) {
    int to_browser[2], from_browser[2];
    if (::pipe(to_browser) != 0 || ::pipe(from_browser) != 0) throw std::runtime_error("pipe() failed");
    const std::string profile = "--user-data-dir=" + profile_dir.string();
    m_pid = ::fork();
    if (m_pid < 0) throw std::runtime_error("fork() failed");
    if (m_pid == 0) {
      const int log = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (log >= 0) {
        ::dup2(log, 1);
        ::dup2(log, 2);
      }
      // fds 3 and 4 may be one of the pipe ends themselves: move them out of the way first.
      const int in = ::dup(to_browser[0]), out = ::dup(from_browser[1]);
      ::dup2(in, 3);
      ::dup2(out, 4);
      for (int fd = 5; fd < 1024; ++fd) ::close(fd);
      const char* argv[] = {binary.c_str(),
                            "--headless",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--remote-debugging-pipe",
                            "--no-first-run",
                            "--no-default-browser-check",
                            "--disable-extensions",
                            "--disable-background-networking",
                            "--hide-scrollbars",
                            profile.c_str(),
                            "about:blank",
                            nullptr};
      ::execv(binary.c_str(), const_cast<char* const*>(argv));
      ::_exit(127);
    }
    ::close(to_browser[0]);
    ::close(from_browser[1]);
    m_write = to_browser[1];
    m_read = from_browser[0];
  }
  headless_chromium(const headless_chromium&) = delete;  // owns a process and two pipe ends
  headless_chromium& operator=(const headless_chromium&) = delete;

  ~headless_chromium() {
    try {
      send("Browser.close", nlohmann::json::object(), "");
    } catch (...) {
    }
    ::close(m_write);
    for (int i = 0; i < 50; ++i) {  // up to 5 s for a clean exit, then kill it
      if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
        ::close(m_read);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
    ::close(m_read);
  }

  // Sends a command and waits for its answer; events that arrive meanwhile are kept in events().
  nlohmann::json call(const std::string& method, const nlohmann::json& params = nlohmann::json::object(),
                      const std::string& session = "", double timeout_s = 60) {
    const int id = send(method, params, session);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                               std::chrono::duration<double>(timeout_s));
    for (;;) {
      const nlohmann::json message = next_message(deadline, method);
      if (message.value("id", -1) != id) continue;
      if (message.contains("error")) throw std::runtime_error(method + " failed: " + message["error"].dump());
      return message.value("result", nlohmann::json::object());
    }
  }

  // Waits for an event of `method` (already received ones count).
  nlohmann::json wait_for_event(const std::string& method, double timeout_s = 60) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                               std::chrono::duration<double>(timeout_s));
    for (std::size_t seen = 0;;) {
      for (; seen < m_events.size(); ++seen)
        if (m_events[seen].value("method", "") == method) return m_events[seen];
      next_message(deadline, method);
    }
  }

  const std::vector<nlohmann::json>& events() const { return m_events; }

 private:
  int send(const std::string& method, const nlohmann::json& params, const std::string& session) {
    nlohmann::json message = {{"id", ++m_last_id}, {"method", method}, {"params", params}};
    if (!session.empty()) message["sessionId"] = session;
    const std::string text = message.dump() + std::string(1, '\0');
    for (std::size_t written = 0; written < text.size();) {
      const ssize_t n = ::write(m_write, text.data() + written, text.size() - written);
      if (n <= 0) throw std::runtime_error("the browser closed its command pipe (did it start?)");
      written += static_cast<std::size_t>(n);
    }
    return m_last_id;
  }

  nlohmann::json next_message(std::chrono::steady_clock::time_point deadline,
                              const std::string& waiting_for) {
    for (;;) {
      const auto end = m_buffer.find('\0');
      if (end != std::string::npos) {
        nlohmann::json message = nlohmann::json::parse(m_buffer.substr(0, end));
        m_buffer.erase(0, end + 1);
        if (message.contains("method")) m_events.push_back(message);
        return message;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        throw std::runtime_error("timed out waiting for " + waiting_for + " from the browser");
      pollfd fd{m_read, POLLIN, 0};
      if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[65536];
      const ssize_t n = ::read(m_read, chunk, sizeof chunk);
      if (n <= 0) throw std::runtime_error("the browser exited while waiting for " + waiting_for);
      m_buffer.append(chunk, static_cast<std::size_t>(n));
    }
  }

  pid_t m_pid = -1;
  int m_write = -1, m_read = -1;
  int m_last_id = 0;
  std::string m_buffer;
  std::vector<nlohmann::json> m_events;
};

}  // namespace exacheck::test
