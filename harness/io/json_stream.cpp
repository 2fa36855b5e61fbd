// Reading JSON files through nlohmann's SAX parser straight from the file (harness/io/json_stream.hpp), and
// parse_json_file on top of it.
#include "harness/io/json_stream.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "harness/core/errors.hpp"
#include "harness/core/stable_hash.hpp"

namespace exacheck {
namespace {

std::string errno_text(int error) {
  return std::strerror(error);
}

// Line and column (1-based) of the first bracket that opens level max_json_nesting + 1 of the JSON text in
// `path`, found again after the parse stopped there (an error path only: the parse does not count bytes).
std::pair<std::size_t, std::size_t> where_too_deep(const std::string& path) {
  json_stream::skippable_file file(path);
  std::size_t line = 1, column = 0, depth = 0;
  bool in_string = false, escaped = false;
  for (json_stream::skipping_iterator it(file), end; it != end; ++it) {
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

namespace json_stream {

chunked_file::chunked_file(const std::string& path) : m_path(path), m_fd(open_regular_file(path)) {}

chunked_file::~chunked_file() {
  ::close(m_fd);
}

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

void skippable_file::next(const char*& begin, const char*& end) {
  if (m_resume) {
    m_resume = false;
    begin = m_resume_position;
    end = m_resume_end;
    if (begin != end) return;
  }
  m_file.next(begin, end);
}

int skippable_file::take() {
  skipping_iterator& at = *m_live;
  if (at.m_position == nullptr) return -1;
  const char c = *at.m_position;
  ++at;
  return static_cast<unsigned char>(c);
}

int skippable_file::peek() {
  const skipping_iterator& at = *m_live;
  return at.m_position == nullptr ? -1 : static_cast<unsigned char>(*at.m_position);
}

void skippable_file::skip_member_value(std::size_t depth_left, std::uint64_t* fnv1a) {
  const auto is_space = [](int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (is_space(peek())) take();
  if (take() != ':') throw skip_failed{};
  while (is_space(peek())) take();
  // The value's bytes from here, each folded into the digest when there is one.
  const auto next = [&] {
    const int c = take();
    if (fnv1a != nullptr && c >= 0) *fnv1a = fnv1a_64_step(*fnv1a, static_cast<unsigned char>(c));
    return c;
  };
  const auto string_rest = [&] {  // after the opening quote
    for (int c = next(); c != '"'; c = next()) {
      if (c < 0x20) throw skip_failed{};  // the end of the file (-1) or a control character
      if (c == '\\' && next() < 0x20) throw skip_failed{};
    }
  };
  // A number or a literal, from its first character: its characters must make one (the value of a number is
  // not taken, nor its exact grammar: digits, sign, point and exponent in any order pass).
  const auto scalar_rest = [&](int first) {
    char text[8] = {static_cast<char>(first)};
    std::size_t length = 1;
    const bool number = first == '-' || (first >= '0' && first <= '9');
    for (int c = peek();; c = peek()) {
      const bool in_number =
          (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
      const bool in_literal = c >= 'a' && c <= 'z';
      if (number ? !in_number : !in_literal) break;
      if (!number && length == sizeof text) throw skip_failed{};
      if (!number) text[length] = static_cast<char>(c);
      ++length;
      next();
    }
    if (!number) {
      const std::string_view literal(text, length);
      if (literal != "true" && literal != "false" && literal != "null") throw skip_failed{};
    }
  };
  // What the text must hold next: the grammar of a JSON value, enough to refuse what the parser refuses
  // (a missing or doubled comma, a key that is not a string, brackets that do not match).
  enum class expect { value, value_or_close, key, key_or_close, colon, comma_or_close };
  expect want = expect::value;
  m_brackets.clear();
  for (;;) {
    int c = next();
    while (is_space(c)) c = next();
    bool closed = false;
    switch (want) {
      case expect::value:
      case expect::value_or_close:
        if (c == ']' && want == expect::value_or_close) {
          closed = true;
        } else if (c == '"') {
          string_rest();
          want = expect::comma_or_close;
        } else if (c == '[' || c == '{') {
          if (m_brackets.size() >= depth_left) throw nested_too_deep{};
          m_brackets.push_back(c == '[' ? ']' : '}');
          want = c == '[' ? expect::value_or_close : expect::key_or_close;
        } else if (c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n') {
          scalar_rest(c);
          want = expect::comma_or_close;
        } else {
          throw skip_failed{};
        }
        break;
      case expect::key:
      case expect::key_or_close:
        if (c == '}' && want == expect::key_or_close) {
          closed = true;
        } else if (c == '"') {
          string_rest();
          want = expect::colon;
        } else {
          throw skip_failed{};
        }
        break;
      case expect::colon:
        if (c != ':') throw skip_failed{};
        want = expect::value;
        break;
      case expect::comma_or_close:
        if (c == ',' && !m_brackets.empty()) {
          want = m_brackets.back() == '}' ? expect::key : expect::value;
        } else if ((c == ']' || c == '}') && !m_brackets.empty()) {
          closed = true;
        } else {
          throw skip_failed{};
        }
        break;
    }
    if (closed) {
      if (m_brackets.empty() || m_brackets.back() != c) throw skip_failed{};
      m_brackets.pop_back();
      want = expect::comma_or_close;
    }
    if (m_brackets.empty() && want == expect::comma_or_close) break;  // the whole value
  }
  // The parser reads ":null" next, then the file from where the value ended.
  static constexpr char null_member[] = ":null";
  skipping_iterator& at = *m_live;
  m_resume_position = at.m_position;
  m_resume_end = at.m_end;
  m_resume = at.m_position != nullptr;
  at.m_position = null_member;
  at.m_end = null_member + sizeof null_member - 1;
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

}  // namespace exacheck
