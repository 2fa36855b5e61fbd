#include "harness/io/files.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "harness/core/errors.hpp"

namespace exacheck {
namespace {

std::string errno_text(int error) {
  return std::strerror(error);
}

// What a file that is not a regular one is, for messages.
std::string kind_of_file(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISREG(mode)) return "a regular file";
  return "not a regular file";
}

}  // namespace

int open_regular_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, for ever.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    const int error = errno;
    if (error == ELOOP) throw file_error(path, "it is a symbolic link (never followed)");
    throw file_error(path, errno_text(error));
  }
  struct stat status {};
  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    const std::string kind = kind_of_file(status.st_mode);
    ::close(fd);
    throw file_error(path, "it is " + kind + ", not a regular file");
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

void create_directories_inside(const std::string& base, const std::string& relative) {
  std::filesystem::path path(base);
  for (const auto& component : std::filesystem::path(relative)) {
    if (component.empty() || component == "." || component == "..")
      throw std::runtime_error("cannot create " + (path / relative).string() + ": '" + component.string() +
                               "' is not a directory name");
    path /= component;
    if (::mkdir(path.c_str(), 0755) == 0) continue;
    const int error = errno;
    struct stat status {};
    if (error == EEXIST && ::lstat(path.c_str(), &status) == 0) {
      if (S_ISDIR(status.st_mode)) continue;
      throw std::runtime_error("cannot create " + path.string() + ": it exists as " +
                               (S_ISLNK(status.st_mode) ? std::string("a symbolic link (never followed)")
                                                        : kind_of_file(status.st_mode)));
    }
    throw std::runtime_error("cannot create " + path.string() + ": " + errno_text(error));
  }
}

std::string read_file(const std::string& path) {
  const int fd = open_regular_file(path);
  // Straight into a string of the file's size: run.json of a big machine is hundreds of MB, and a
  // stringstream would hold it twice (its buffer, then the copy str() returns).
  struct stat status {};
  ::fstat(fd, &status);
  std::string content;
  content.reserve(static_cast<std::size_t>(status.st_size));
  std::array<char, 1 << 16> chunk;
  for (;;) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      throw file_error(path, errno_text(error));
    }
    if (n == 0) break;
    content.append(chunk.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return content;
}

std::string tail_of_file(const std::string& path, std::size_t max_lines) {
  std::ifstream in(path);
  if (!in) return "";
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(std::move(line));
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

}  // namespace exacheck
