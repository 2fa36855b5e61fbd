#include "harness/core/errors.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace exacheck {

std::string source_location::to_string() const {
  if (line <= 0) return file;
  std::string text = file.empty() ? std::string("<input>") : file;
  text += ":" + std::to_string(line);
  if (column > 0) text += ":" + std::to_string(column);
  return text;
}

std::string validation_issue::to_string() const {
  std::string text = where.to_string();
  if (!text.empty()) text += ": ";
  text += message;
  if (!expected.empty()) text += "; expected " + expected;
  if (!suggestion.empty()) text += "; did you mean '" + suggestion + "'?";
  return text;
}

namespace {

// One line per issue: editors and CI logs turn "file:line:column: ..." lines into links.
std::string describe(const std::vector<validation_issue>& issues) {
  std::string text;
  for (const auto& issue : issues) {
    if (!text.empty()) text += '\n';
    text += issue.to_string();
  }
  return text.empty() ? std::string("validation failed") : text;
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Optimal string alignment distance (Levenshtein plus adjacent transpositions: "dtpye" is one typo from
// "dtype"), or `band + 1` when it is above `band`. Only the cells within `band` of the diagonal are computed
// (a path that leaves the band costs more than `band`), in three rolling rows: O(|a|·band) time, O(|b|)
// memory.
std::size_t edit_distance(const std::string& a, const std::string& b, std::size_t band) {
  const std::size_t over = band + 1;
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > band) return over;
  const std::size_t columns = b.size() + 1;
  std::vector<std::size_t> before(columns, over), previous(columns, over), current(columns, over);
  for (std::size_t j = 0; j < columns && j <= band; ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    const std::size_t first = i > band ? i - band : 1;
    const std::size_t last = std::min(b.size(), i + band);
    // The cells this row reads outside its band: left of it (column 0 is the distance from the empty
    // prefix) and, for the next row, right of it.
    current[first - 1] = first == 1 && i <= band ? i : over;
    if (last + 1 < columns) current[last + 1] = over;
    std::size_t row_minimum = current[first - 1];
    for (std::size_t j = first; j <= last; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      std::size_t d = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d = std::min(d, before[j - 2] + 1);
      current[j] = std::min(d, over);
      row_minimum = std::min(row_minimum, current[j]);
    }
    if (row_minimum > band) return over;  // every path through this row already costs too much
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return std::min(previous[b.size()], over);
}

// The length of the well-formed UTF-8 sequence that starts text[at], or 0 when there is none (RFC 3629,
// table 3-7 of the Unicode standard).
std::size_t utf8_sequence_length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xbf;  // the allowed range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;   // overlong
    if (lead == 0xed) high = 0x9f;  // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;   // overlong
    if (lead == 0xf4) high = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  if (byte(at + 1) < low || byte(at + 1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i)
    if (byte(at + i) < 0x80 || byte(at + i) > 0xbf) return 0;
  return length;
}

}  // namespace

validation_error::validation_error(std::vector<validation_issue> issues)
    : std::runtime_error(describe(issues)), m_issues(std::move(issues)) {}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  if (word.empty() || word.size() > max_suggestion_chars) return "";
  const std::string needle = lowercase(word);
  // About one typo per three characters is still recognisable; a distance as long as the word itself means
  // every character differs, which is no suggestion at all ("x" is not a typo of "m").
  const std::size_t limit = std::max<std::size_t>(1, needle.size() / 3);
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  std::string best;
  for (const auto& candidate : candidates) {
    if (candidate.size() > needle.size() + limit || candidate.size() + limit < needle.size()) continue;
    const std::size_t distance = edit_distance(needle, lowercase(candidate), limit);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  if (best_distance > limit || best_distance >= needle.size()) return "";
  return best;
}

namespace {

// `text` escaped as printable() says; returns whether it was cut.
bool append_printable(std::string& shown, std::string_view text, std::size_t max_chars) {
  std::size_t characters = 0, at = 0;
  for (; at < text.size() && characters < max_chars; ++characters) {
    const auto c = static_cast<unsigned char>(text[at]);
    const std::size_t length = utf8_sequence_length(text, at);
    if (c == '\n') {
      shown += "\\n";
    } else if (c == '\t') {
      shown += "\\t";
    } else if (length == 0 || c < 0x20 || c == 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      shown += "\\x";
      shown += hex[c >> 4];
      shown += hex[c & 0xf];
    } else {
      shown.append(text.substr(at, length));
    }
    at += std::max<std::size_t>(length, 1);
  }
  return at < text.size();
}

}  // namespace

std::string printable(std::string_view text, std::size_t max_chars) {
  std::string shown;
  if (append_printable(shown, text, max_chars)) shown += "…";
  return shown;
}

std::string quoted_text(std::string_view text, std::size_t max_chars) {
  std::string shown = "'";
  if (append_printable(shown, text, max_chars))
    return shown + "…' (" + std::to_string(text.size()) + " bytes)";
  return shown + "'";
}

std::optional<std::size_t> first_invalid_utf8(std::string_view text) {
  for (std::size_t at = 0; at < text.size();) {
    // ASCII runs, most of any file, a byte at a time without decoding.
    if (static_cast<unsigned char>(text[at]) < 0x80) {
      ++at;
      continue;
    }
    const std::size_t length = utf8_sequence_length(text, at);
    if (length == 0) return at;
    at += length;
  }
  return std::nullopt;
}

}  // namespace exacheck
