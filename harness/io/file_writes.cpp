// Atomic writes (harness/io/files.hpp): every file exacheck writes goes through a temporary file created
// exclusively beside it and rename(2).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <ostream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <vector>

#include "harness/io/files.hpp"

namespace exacheck {
namespace {

std::string errno_text(int error) {
  return std::strerror(error);
}

// A buffer that writes to a file descriptor, for the std::ostream of write_stream_atomically (the file is
// created exclusively by descriptor; an std::ofstream can only open it again by name).
class fd_buffer : public std::streambuf {
 public:
  explicit fd_buffer(int fd) : m_fd(fd) { setp(m_buffer.data(), m_buffer.data() + m_buffer.size()); }
  int error() const { return m_error; }

 protected:
  int overflow(int c) override {
    if (!flush()) return traits_type::eof();
    if (c != traits_type::eof()) {
      *pptr() = static_cast<char>(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return flush() ? 0 : -1; }

 private:
  bool flush() {
    const char* data = pbase();
    std::size_t left = static_cast<std::size_t>(pptr() - pbase());
    while (left > 0) {
      const ssize_t n = ::write(m_fd, data, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        m_error = errno;
        return false;
      }
      data += n;
      left -= static_cast<std::size_t>(n);
    }
    setp(m_buffer.data(), m_buffer.data() + m_buffer.size());
    return true;
  }

  int m_fd;
  int m_error = 0;
  std::vector<char> m_buffer = std::vector<char>(std::size_t{1} << 20);
};

// A new file beside `path` for an atomic write: created exclusively (O_CREAT|O_EXCL, so a symbolic link
// planted at its name is never followed) under an unpredictable name (mkostemp), removed unless committed.
class temporary_file {
 public:
  explicit temporary_file(const std::string& path) : m_target(path), m_name(path + ".tmp.XXXXXX") {
    m_fd = ::mkostemp(m_name.data(), O_CLOEXEC);
    if (m_fd < 0) throw std::runtime_error("cannot write " + path + ": " + errno_text(errno));
    ::fchmod(m_fd, 0644);  // mkostemp makes it 0600: reports are for everyone who can read the directory
  }
  temporary_file(const temporary_file&) = delete;
  temporary_file& operator=(const temporary_file&) = delete;
  ~temporary_file() {
    if (m_fd >= 0) ::close(m_fd);
    if (!m_committed) ::unlink(m_name.c_str());
  }
  int fd() const { return m_fd; }

  [[noreturn]] void fail(int error) const {
    throw std::runtime_error("cannot write " + m_name + ": " + errno_text(error));
  }
  // fsync before rename: after a node crash the file is the old one or the whole new one. rename(2) replaces
  // whatever is at the target, a symbolic link included, and never writes through it.
  void commit() {
    if (::fsync(m_fd) != 0 && errno != EINVAL) fail(errno);
    const int closed = ::close(m_fd);
    m_fd = -1;
    if (closed != 0) fail(errno);
    if (::rename(m_name.c_str(), m_target.c_str()) != 0)
      throw std::runtime_error("cannot rename " + m_name + " to " + m_target + ": " + errno_text(errno));
    m_committed = true;
  }

 private:
  std::string m_target, m_name;
  int m_fd = -1;
  bool m_committed = false;
};

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
  temporary_file temporary(path);
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(temporary.fd(), content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) temporary.fail(errno);
    written += static_cast<std::size_t>(n);
  }
  temporary.commit();
}

void write_stream_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  temporary_file temporary(path);
  fd_buffer buffer(temporary.fd());
  std::ostream out(&buffer);
  write(out);  // an exception leaves through ~temporary_file, which removes the file
  out.flush();
  if (!out) temporary.fail(buffer.error() != 0 ? buffer.error() : EIO);
  temporary.commit();
}

std::string json_dump(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

void write_json_atomically(const std::string& path, const nlohmann::json& value, int indent) {
  write_stream_atomically(path, [&](std::ostream& out) {
    // What operator<< does, with bytes that are not UTF-8 replaced (U+FFFD) instead of an exception: a
    // string from a worker's log or a host's environment must never cost the run its run.json.
    nlohmann::detail::serializer<nlohmann::json> serializer(nlohmann::detail::output_adapter<char>(out), ' ',
                                                            nlohmann::json::error_handler_t::replace);
    serializer.dump(value, indent >= 0, false, static_cast<unsigned>(std::max(indent, 0)));
  });
}

}  // namespace exacheck
