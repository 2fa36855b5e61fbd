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

// The file read in chunks, for nlohmann's iterator input: the lexer takes one character at a time, and an
// std::istream costs a virtual call per character (measured 20% slower than parsing a string).
class chunked_file {
 public:
  explicit chunked_file(const std::string& path) : m_path(path), m_fd(open_regular_file(path)) {}
  chunked_file(const chunked_file&) = delete;
  chunked_file& operator=(const chunked_file&) = delete;
  ~chunked_file() { ::close(m_fd); }

  // The next chunk as [begin, end); both null at the end of the file.
  void next(const char*& begin, const char*& end) {
    for (;;) {
      const ssize_t n = ::read(m_fd, m_buffer.data(), m_buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw file_error(m_path, errno_text(errno));
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

// Thrown by depth_limited_sax, turned into a usage_error with the place by parse_json_file.
struct nested_too_deep {};

// nlohmann's DOM builders (with or without a parse callback) behind a SAX front that refuses nesting deeper
// than max_json_nesting: the parse itself is iterative, but copying, comparing, serialising and destroying a
// document recurse once per level, and run.json of 200,000 nested brackets overflowed the stack.
template <class Builder>
class depth_limited_sax {
 public:
  using json = nlohmann::json;
  explicit depth_limited_sax(Builder& builder) : m_builder(builder) {}

  bool null() { return m_builder.null(); }
  bool boolean(bool value) { return m_builder.boolean(value); }
  bool number_integer(json::number_integer_t value) { return m_builder.number_integer(value); }
  bool number_unsigned(json::number_unsigned_t value) { return m_builder.number_unsigned(value); }
  bool number_float(json::number_float_t value, const json::string_t& text) {
    return m_builder.number_float(value, text);
  }
  bool string(json::string_t& value) { return m_builder.string(value); }
  bool binary(json::binary_t& value) { return m_builder.binary(value); }
  bool start_object(std::size_t elements) {
    deeper();
    return m_builder.start_object(elements);
  }
  bool key(json::string_t& value) { return m_builder.key(value); }
  bool end_object() {
    --m_depth;
    return m_builder.end_object();
  }
  bool start_array(std::size_t elements) {
    deeper();
    return m_builder.start_array(elements);
  }
  bool end_array() {
    --m_depth;
    return m_builder.end_array();
  }
  // A template as the builders' is: they throw `error` by its static type (parse_error, out_of_range).
  template <class Exception>
  bool parse_error(std::size_t position, const std::string& last_token, const Exception& error) {
    return m_builder.parse_error(position, last_token, error);
  }

 private:
  void deeper() {
    if (++m_depth > max_json_nesting) throw nested_too_deep{};
  }

  Builder& m_builder;
  std::size_t m_depth = 0;
};

// Line and column (1-based) of the first bracket that opens level max_json_nesting + 1 of the JSON text in
// `path`, found again after the parse stopped there (an error path only: the parse does not count bytes).
std::pair<std::size_t, std::size_t> where_too_deep(const std::string& path) {
  chunked_file file(path);
  std::size_t line = 1, column = 0, depth = 0;
  bool in_string = false, escaped = false;
  for (chunk_iterator it(file), end; it != end; ++it) {
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

nlohmann::json parse_json_file(const std::string& path, const nlohmann::json::parser_callback_t& callback) {
  chunked_file file(path);
  nlohmann::json result;
  try {
    if (callback) {
      nlohmann::detail::json_sax_dom_callback_parser<nlohmann::json> builder(result, callback, true);
      depth_limited_sax sax(builder);
      nlohmann::json::sax_parse(chunk_iterator(file), chunk_iterator(), &sax);
    } else {
      nlohmann::detail::json_sax_dom_parser<nlohmann::json> builder(result, true);
      depth_limited_sax sax(builder);
      nlohmann::json::sax_parse(chunk_iterator(file), chunk_iterator(), &sax);
    }
  } catch (const nested_too_deep&) {
    const auto [line, column] = where_too_deep(path);
    throw usage_error(fmt::format("{}:{}:{}: nested deeper than {} levels of arrays and objects", path, line,
                                  column, max_json_nesting));
  } catch (const nlohmann::json::parse_error& error) {
    throw usage_error(describe_parse_error(path, error));
  } catch (const nlohmann::json::exception& error) {  // out_of_range: a number too large for a double
    throw usage_error(fmt::format("{}: the file is not valid JSON: {}", path, printable(error.what(), 200)));
  }
  return result;
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
