#include "harness/files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
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

namespace exacheck {
namespace {

// The file read in chunks, for nlohmann's iterator input: the lexer takes one character at a time, and an
// std::istream costs a virtual call per character (measured 20% slower than parsing a string).
class chunked_file {
 public:
  explicit chunked_file(const std::string& path)
      : m_path(path), m_fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (m_fd < 0) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  }
  chunked_file(const chunked_file&) = delete;
  chunked_file& operator=(const chunked_file&) = delete;
  ~chunked_file() { ::close(m_fd); }

  // The next chunk as [begin, end); both null at the end of the file.
  void next(const char*& begin, const char*& end) {
    for (;;) {
      const ssize_t n = ::read(m_fd, m_buffer.data(), m_buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::runtime_error("cannot read " + m_path + ": " + std::strerror(errno));
      begin = n > 0 ? m_buffer.data() : nullptr;
      end = n > 0 ? m_buffer.data() + n : nullptr;
      return;
    }
  }

 private:
  std::string m_path;
  int m_fd;
  std::vector<char> m_buffer = std::vector<char>(std::size_t{1} << 20);
};

// An input iterator over a chunked_file; the default-constructed one is the end. The position is held in the
// iterator itself, so that the lexer's per-character get (compare with the end, read, advance) is three
// inline pointer operations; a call reads the next chunk once per MiB. Single pass: only the copy that
// nlohmann's input adapter keeps is advanced.
class chunk_iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = char;

  chunk_iterator() = default;
  explicit chunk_iterator(chunked_file& file) : m_file(&file) { m_file->next(m_position, m_end); }
  char operator*() const { return *m_position; }
  chunk_iterator& operator++() {
    if (++m_position == m_end) m_file->next(m_position, m_end);
    return *this;
  }
  chunk_iterator operator++(int) {
    chunk_iterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const chunk_iterator& other) const {
    return (m_position == nullptr) == (other.m_position == nullptr);
  }
  bool operator!=(const chunk_iterator& other) const { return !(*this == other); }

 private:
  chunked_file* m_file = nullptr;
  const char* m_position = nullptr;  // null: at the end
  const char* m_end = nullptr;
};

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::filesystem::path target(path);
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write " + temporary + ": " + std::strerror(errno));
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      ::close(fd);
      ::unlink(temporary.c_str());
      throw std::runtime_error("cannot write " + temporary + ": " + std::strerror(saved));
    }
    written += static_cast<std::size_t>(n);
  }
  // fsync before rename: after a node crash the file is the old one or the whole new one.
  ::fsync(fd);
  ::close(fd);
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temporary.c_str());
    throw std::runtime_error("cannot rename " + temporary + " to " + path + ": " + std::strerror(saved));
  }
}

void write_stream_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + temporary + ": " + std::strerror(errno));
    try {
      write(out);
    } catch (...) {
      out.close();
      ::unlink(temporary.c_str());
      throw;
    }
    out.flush();
    if (!out) {
      const int saved = errno;
      ::unlink(temporary.c_str());
      throw std::runtime_error("cannot write " + temporary + ": " + std::strerror(saved));
    }
  }
  // fsync before rename, as write_file_atomically does.
  const int fd = ::open(temporary.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temporary.c_str());
    throw std::runtime_error("cannot rename " + temporary + " to " + path + ": " + std::strerror(saved));
  }
}

void write_json_atomically(const std::string& path, const nlohmann::json& value, int indent) {
  write_stream_atomically(path, [&](std::ostream& out) {
    if (indent >= 0)
      out << std::setw(indent) << value;
    else
      out << value;
  });
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  // Straight into a string of the file's size: run.json of a big machine is hundreds of MB, and a
  // stringstream would hold it twice (its buffer, then the copy str() returns).
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (!error) {
    std::string content(size, '\0');
    in.read(content.data(), static_cast<std::streamsize>(size));
    content.resize(static_cast<std::size_t>(in.gcount()));
    if (in.gcount() == static_cast<std::streamsize>(size) && in.peek() == std::char_traits<char>::eof())
      return content;
    in.clear();
    in.seekg(0);  // it changed while being read (or is not a regular file): read it as a stream
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

nlohmann::json parse_json_file(const std::string& path, const nlohmann::json::parser_callback_t& callback) {
  chunked_file file(path);
  return nlohmann::json::parse(chunk_iterator(file), chunk_iterator(), callback);
}

namespace {

std::uint64_t mix(std::uint64_t seed, std::uint64_t value) {  // splitmix64's finaliser over seed ^ value
  std::uint64_t z = seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::uint64_t json_digest(const nlohmann::json& value) {
  using t = nlohmann::json::value_t;
  switch (value.type()) {
    case t::object: {
      std::uint64_t h = mix(1, value.size());
      for (const auto& [key, member] : value.items()) {
        h = mix(h, std::hash<std::string>{}(key));
        h = mix(h, json_digest(member));
      }
      return h;
    }
    case t::array: {
      std::uint64_t h = mix(2, value.size());
      for (const auto& element : value) h = mix(h, json_digest(element));
      return h;
    }
    case t::string:
      return mix(3, std::hash<std::string>{}(value.get_ref<const std::string&>()));
    case t::boolean:
      return mix(4, value.get<bool>() ? 1 : 0);
    case t::number_integer:
    case t::number_unsigned:
    case t::number_float: {
      // As nlohmann's == compares numbers of different kinds: by their double value (+0.0 for -0.0).
      const double number = value.get<double>() + 0.0;
      std::uint64_t bits = 0;
      std::memcpy(&bits, &number, sizeof bits);
      return mix(5, bits);
    }
    case t::binary:
      return mix(6, std::hash<nlohmann::json>{}(value));
    case t::null:
    case t::discarded:
      break;
  }
  return mix(7, 0);
}

nlohmann::json::parser_callback_t without_unreported_rank_fields() {
  // The keys on the way down (depth 1: run's members, 3: a case's, 5: a point's, 7: a rank record's) tell a
  // rank record's members from any other (the plan, the analysis); only keys at depth <= 5 are kept.
  auto path = std::make_shared<std::array<std::string, 6>>();
  return [path](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (event != nlohmann::json::parse_event_t::key) return true;
    if (depth <= 5) {
      (*path)[static_cast<std::size_t>(depth)] = parsed.get_ref<const std::string&>();
      return true;
    }
    if (depth != 7) return true;
    const auto& key = parsed.get_ref<const std::string&>();
    // "statistics": only a v1 run.json has them (upgrade_run_document drops them).
    static const std::array<std::string_view, 6> unreported = {"samples",  "statistics", "correctness",
                                                               "warnings", "skipped",    "backend"};
    if (std::find(unreported.begin(), unreported.end(), key) == unreported.end()) return true;
    return !((*path)[1] == "cases" && (*path)[3] == "results" && (*path)[5] == "ranks");
  };
}

}  // namespace exacheck
