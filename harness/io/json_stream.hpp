#pragma once
// Reading a JSON file with nlohmann's SAX parser straight from the file: what parse_json_file
// (harness/io/files.hpp) and `exacheck report`'s reader of run.json (harness/results/run_read.hpp) share. The text goes
// through a 1 MiB buffer (run.json of a machine of thousands of GPUs is tens of MB and is never held whole),
// nesting is bounded (max_json_nesting), and every error is a usage_error with path:line:column. Internal to
// those two readers: everything else calls parse_json_file.
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <vector>

#include "harness/io/files.hpp"

namespace exacheck::json_stream {

// The file read in chunks, for nlohmann's iterator input: the lexer takes one character at a time, and an
// std::istream costs a virtual call per character (measured 20% slower than parsing a string).
class chunked_file {
 public:
  explicit chunked_file(const std::string& path);  // open_regular_file: a regular file only
  chunked_file(const chunked_file&) = delete;
  chunked_file& operator=(const chunked_file&) = delete;
  ~chunked_file();
  // The next chunk as [begin, end); both null at the end of the file.
  void next(const char*& begin, const char*& end);

 private:
  std::string m_path;
  int m_fd;
  std::vector<char> m_buffer = std::vector<char>(std::size_t{1} << 20);
};

class skipping_iterator;

// The file read in chunks as chunked_file, with one more ability for a SAX handler that reads only part of a
// document: skip_member_value() passes over the value of the member whose key the parser has just reported,
// in the raw text, so that the lexer never sees it (nlohmann's lexer costs ~7 ns per byte; at 2,100 GPUs the
// rank records' samples and correctness are half of run.json).
class skippable_file {
 public:
  explicit skippable_file(const std::string& path) : m_file(path) {}
  // Called from a handler's key(): the lexer has read the key's closing quote and nothing after it. Passes
  // over the ':' and the value that follows (its strings closed, its brackets matched and nested at most
  // `depth_left` levels; between them only characters of numbers, literals, ',' ':' and spaces) and makes the
  // parser read `:null` in its place. With `fnv1a`, folds the value's bytes into that FNV-1a state. Throws
  // skip_failed where the text is not a member's value, and nested_too_deep: the caller parses the file
  // whole to name the error.
  void skip_member_value(std::size_t depth_left, std::uint64_t* fnv1a = nullptr);

 private:
  friend class skipping_iterator;
  // The next range to read, as chunked_file::next: after a skip, the rest of the chunk where it ended.
  void next(const char*& begin, const char*& end);
  int take();  // the next byte (-1 at the end of the file), read by the skipper past what the parser is shown
  int peek();

  chunked_file m_file;
  // The iterator the parser advances (the one nlohmann's input adapter holds): every skipping_iterator
  // over this file registers itself when constructed, copied or moved, and nlohmann builds its adapter's
  // by moving the one it is given, then only increments it. Were it ever a stale copy, a skip would be
  // lost, not wrong: the value would reach the handler, which drops it (test_files.cpp checks it is not).
  skipping_iterator* m_live = nullptr;
  const char* m_resume_position = nullptr;  // after ":null", the parser reads the file again from here
  const char* m_resume_end = nullptr;
  bool m_resume = false;
  std::vector<char> m_brackets;  // the skipped value's open brackets, innermost last
};

struct skip_failed {};

// An input iterator over a skippable_file (the default-constructed one is the end). Its position is its own,
// so that the lexer's per-character get (compare with the end, read, advance) is three inline pointer
// operations and a call reads the next chunk once per MiB; the file moves the live one's when the handler
// skips a value.
class skipping_iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = char;

  skipping_iterator() = default;
  explicit skipping_iterator(skippable_file& file) : m_file(&file) {
    m_file->m_live = this;
    m_file->next(m_position, m_end);
  }
  skipping_iterator(const skipping_iterator& other) { *this = other; }
  skipping_iterator& operator=(const skipping_iterator& other) {
    m_file = other.m_file;
    m_position = other.m_position;
    m_end = other.m_end;
    if (m_file != nullptr) m_file->m_live = this;
    return *this;
  }
  char operator*() const { return *m_position; }
  skipping_iterator& operator++() {
    if (++m_position == m_end) m_file->next(m_position, m_end);
    return *this;
  }
  skipping_iterator operator++(int) {
    skipping_iterator before = *this;
    ++*this;
    m_file->m_live = this;
    return before;
  }
  bool operator==(const skipping_iterator& other) const {
    return (m_position == nullptr) == (other.m_position == nullptr);
  }
  bool operator!=(const skipping_iterator& other) const { return !(*this == other); }

 private:
  friend class skippable_file;
  skippable_file* m_file = nullptr;
  const char* m_position = nullptr;  // null: at the end
  const char* m_end = nullptr;
};

// Thrown by depth_limited_sax, turned into a usage_error with the place by sax_parse_file.
struct nested_too_deep {};

// A SAX handler (nlohmann's interface) behind a front that refuses nesting deeper than max_json_nesting: the
// parse itself is iterative, but copying, comparing, serialising and destroying a document recurse once per
// level, and run.json of 200,000 nested brackets overflowed the stack. A syntax error is thrown, as
// nlohmann's DOM builders throw it.
template <class Handler>
class depth_limited_sax {
 public:
  using json = nlohmann::json;
  explicit depth_limited_sax(Handler& handler) : m_handler(handler) {}

  [[gnu::noinline]] bool null() { return m_handler.null(); }
  [[gnu::noinline]] bool boolean(bool value) { return m_handler.boolean(value); }
  [[gnu::noinline]] bool number_integer(json::number_integer_t value) {
    return m_handler.number_integer(value);
  }
  [[gnu::noinline]] bool number_unsigned(json::number_unsigned_t value) {
    return m_handler.number_unsigned(value);
  }
  [[gnu::noinline]] bool number_float(json::number_float_t value, const json::string_t& text) {
    return m_handler.number_float(value, text);
  }
  [[gnu::noinline]] bool string(json::string_t& value) { return m_handler.string(value); }
  [[gnu::noinline]] bool binary(json::binary_t& value) { return m_handler.binary(value); }
  [[gnu::noinline]] bool start_object(std::size_t elements) {
    deeper();
    return m_handler.start_object(elements);
  }
  [[gnu::noinline]] bool key(json::string_t& value) { return m_handler.key(value); }
  [[gnu::noinline]] bool end_object() {
    --m_depth;
    return m_handler.end_object();
  }
  [[gnu::noinline]] bool start_array(std::size_t elements) {
    deeper();
    return m_handler.start_array(elements);
  }
  [[gnu::noinline]] bool end_array() {
    --m_depth;
    return m_handler.end_array();
  }
  // A template as nlohmann's builders' is: the error is thrown by its static type (parse_error,
  // out_of_range).
  template <class Exception>
  [[gnu::noinline]] bool parse_error(std::size_t, const std::string&, const Exception& error) {
    throw error;
  }

 private:
  void deeper() {
    if (++m_depth > max_json_nesting) throw nested_too_deep{};
  }

  Handler& m_handler;
  std::size_t m_depth = 0;
};

// Called from a catch block of sax_parse_file: rethrows what the parse threw as a usage_error naming the path
// (and line:column for a syntax error or a nesting too deep); anything else as it was.
[[noreturn]] void rethrow_as_usage_error(const std::string& path);

// nlohmann's parse of [first, last) into `sax`. `flatten`: the lexer's per-character functions (get, the
// token buffer's push_back) are otherwise calls that GCC does not inline; inlined, run.json lexes about 25%
// faster. Only the lexer and parser: flattening the builders' code too made a file take minutes to compile.
template <class Sax>
__attribute__((flatten)) bool parse_events(skipping_iterator first, skipping_iterator last, Sax* sax) {
  return nlohmann::json::sax_parse(first, last, sax);
}

// Feeds the JSON text of the file at `path` to `handler` (nlohmann's SAX interface).
template <class Handler>
void sax_parse_file(const std::string& path, Handler& handler) {
  try {
    skippable_file file(path);  // nothing is skipped unless a handler asks
    depth_limited_sax<Handler> sax(handler);
    parse_events(skipping_iterator(file), skipping_iterator(), &sax);
  } catch (...) {
    rethrow_as_usage_error(path);
  }
}

}  // namespace exacheck::json_stream

// The lexer over skipping_iterator (only the files read above) converts a number's text with std::from_chars
// instead of std::strtod: glibc's strtod takes a multi-precision path for the 17 significant digits every
// double in run.json is written with, a third of the time to lex a file of numbers; from_chars is correctly
// rounded as strtod is (the same double), several times faster. Text it does not take whole (a locale's
// decimal comma, a value out of range) goes to strtod as before, which sets what the lexer checks.

template <>
__attribute__((nonnull(2))) inline void nlohmann::detail::lexer<
    nlohmann::json, nlohmann::detail::iterator_input_adapter<exacheck::json_stream::skipping_iterator>>::
    strtof(double& f, const char* str, char** endptr) noexcept {
  const char* end = str + std::strlen(str);
  const auto [stop, error] = std::from_chars(str, end, f);
  if (error == std::errc() && stop == end) {
    *endptr = const_cast<char*>(stop);
    return;
  }
  f = std::strtod(str, endptr);
}
