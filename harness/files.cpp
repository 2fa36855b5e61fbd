#include "harness/files.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
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

#include "harness/errors.hpp"
#include "harness/json_stream.hpp"

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

// Line and column (1-based) of the first bracket that opens level max_json_nesting + 1 of the JSON text in
// `path`, found again after the parse stopped there (an error path only: the parse does not count bytes).
std::pair<std::size_t, std::size_t> where_too_deep(const std::string& path) {
  json_stream::chunked_file file(path);
  std::size_t line = 1, column = 0, depth = 0;
  bool in_string = false, escaped = false;
  for (json_stream::chunk_iterator it(file), end; it != end; ++it) {
    const char c = *it;
    ++column;
    if (c == '\n') {
      ++line;
      column = 0;
    }
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_json_nesting) break;
    } else if (c == ']' || c == '}') {
      if (depth > 0) --depth;
    }
  }
  return {line, column};
}

// "parse error at line 3, column 7: syntax error while parsing object - ..." → "3:7" and the reason, made one
// line of valid UTF-8 (nlohmann quotes the bytes it read last, whatever they were).
std::string describe_parse_error(const std::string& path, const nlohmann::json::parse_error& error) {
  std::string text = error.what();
  std::string place = path;
  unsigned line = 0, column = 0;
  if (const auto at = text.find(" at line ");
      at != std::string::npos &&
      std::sscanf(text.c_str() + at, " at line %u, column %u", &line, &column) == 2)
    place += ":" + std::to_string(line) + ":" + std::to_string(column);
  else
    place += ": byte " + std::to_string(error.byte);
  if (const auto colon = text.find(": ", text.find(']')); colon != std::string::npos)
    text.erase(0, colon + 2);
  return place + ": the file is not valid JSON: " + printable(text, 200);
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

namespace json_stream {

chunked_file::chunked_file(const std::string& path) : m_path(path), m_fd(open_regular_file(path)) {}

chunked_file::~chunked_file() { ::close(m_fd); }

void chunked_file::next(const char*& begin, const char*& end) {
  for (;;) {
    const ssize_t n = ::read(m_fd, m_buffer.data(), m_buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw file_error(m_path, errno_text(errno));
    begin = n > 0 ? m_buffer.data() : nullptr;
    end = n > 0 ? m_buffer.data() + n : nullptr;
    return;
  }
}

void rethrow_as_usage_error(const std::string& path) {
  try {
    throw;
  } catch (const nested_too_deep&) {
    const auto [line, column] = where_too_deep(path);
    throw usage_error(fmt::format("{}:{}:{}: nested deeper than {} levels of arrays and objects", path, line,
                                  column, max_json_nesting));
  } catch (const nlohmann::json::parse_error& error) {
    throw usage_error(describe_parse_error(path, error));
  } catch (const nlohmann::json::exception& error) {  // out_of_range: a number too large for a double
    throw usage_error(fmt::format("{}: the file is not valid JSON: {}", path, printable(error.what(), 200)));
  }
}

}  // namespace json_stream

nlohmann::json parse_json_file(const std::string& path) {
  nlohmann::json result;
  nlohmann::detail::json_sax_dom_parser<nlohmann::json> builder(result, true);
  json_stream::sax_parse_file(path, builder);
  return result;
}

namespace {

std::uint64_t mix(std::uint64_t seed, std::uint64_t value) {  // splitmix64's finaliser over seed ^ value
  std::uint64_t z = seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// What each kind of event adds to the digest before its content.
enum digest_tag : std::uint64_t {
  start_object_tag = 1,
  end_object_tag,
  start_array_tag,
  end_array_tag,
  key_tag,
  string_tag,
  boolean_tag,
  number_tag,
  null_tag,
};

void feed(json_digester& digester, const nlohmann::json& value) {
  using t = nlohmann::json::value_t;
  switch (value.type()) {
    case t::object:
      digester.start_object();
      for (const auto& [key, member] : value.items()) {
        digester.key(key);
        feed(digester, member);
      }
      digester.end_object();
      return;
    case t::array:
      digester.start_array();
      for (const auto& element : value) feed(digester, element);
      digester.end_array();
      return;
    case t::string:
      digester.string(value.get_ref<const std::string&>());
      return;
    case t::boolean:
      digester.boolean(value.get<bool>());
      return;
    case t::number_integer:
    case t::number_unsigned:
    case t::number_float:
      digester.number(value.get<double>());
      return;
    case t::binary:  // never in a JSON text
      digester.string(value.dump());
      return;
    case t::null:
    case t::discarded:
      break;
  }
  digester.null();
}

}  // namespace

void json_digester::start_object() { m_state = mix(m_state, start_object_tag); }
void json_digester::end_object() { m_state = mix(m_state, end_object_tag); }
void json_digester::start_array() { m_state = mix(m_state, start_array_tag); }
void json_digester::end_array() { m_state = mix(m_state, end_array_tag); }
void json_digester::key(std::string_view text) {
  m_state = mix(mix(m_state, key_tag), std::hash<std::string_view>{}(text));
}
void json_digester::string(std::string_view text) {
  m_state = mix(mix(m_state, string_tag), std::hash<std::string_view>{}(text));
}
void json_digester::boolean(bool value) { m_state = mix(mix(m_state, boolean_tag), value ? 1 : 0); }
void json_digester::number(double value) {
  // As nlohmann's == compares numbers of different kinds: by their double value (+0.0 for -0.0).
  const double number = value + 0.0;
  std::uint64_t bits = 0;
  std::memcpy(&bits, &number, sizeof bits);
  m_state = mix(mix(m_state, number_tag), bits);
}
void json_digester::null() { m_state = mix(m_state, null_tag); }

std::uint64_t json_digest(const nlohmann::json& value) {
  json_digester digester;
  feed(digester, value);
  return digester.digest();
}

}  // namespace exacheck
