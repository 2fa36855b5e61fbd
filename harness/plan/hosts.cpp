#include "harness/plan/hosts.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "harness/core/errors.hpp"

namespace exacheck {
namespace {

// A whole number from 1 to 1,000,000 (more slots than that on one host is a typo), or 0.
int slot_count(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < 1 ||
      value > 1000000)
    return 0;
  return value;
}

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

}  // namespace

bool is_host_name(std::string_view text) {
  return !text.empty() && text.size() <= 255 && text.front() != '-' &&
         std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '-' || c == '_'; });
}

host_slots parse_host_entry(std::string_view entry) {
  const auto colon = entry.find(':');
  const std::string_view host = entry.substr(0, colon);
  if (!is_host_name(host))
    throw std::invalid_argument(
        fmt::format("{} is not a host name (letters, digits, '.', '-', '_')", quoted_text(entry)));
  if (colon == std::string_view::npos) return {std::string(host), 0};
  const int slots = slot_count(entry.substr(colon + 1));
  if (slots == 0)
    throw std::invalid_argument(
        fmt::format("{}: the slots after ':' must be a whole number from 1 to 1000000", quoted_text(entry)));
  return {std::string(host), slots};
}

std::vector<host_slots> parse_host_list(std::string_view text, std::string_view what) {
  std::vector<host_slots> hosts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = std::min(text.find(',', start), text.size());
    const auto entry = trimmed(text.substr(start, comma - start));
    try {
      hosts.push_back(parse_host_entry(entry));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("{} {}: {}; expected hosts as a,b,c or with slots a:4,b:4",
                                              what, quoted_text(text),
                                              entry.empty() ? "an empty host name" : e.what()));
    }
    start = comma + 1;
  }
  return hosts;
}

std::vector<host_slots> parse_hostfile_text(std::string_view text, const std::string& path) {
  std::vector<host_slots> hosts;
  std::size_t start = 0;
  for (int line_number = 1; start < text.size(); ++line_number) {
    const auto end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    line = trimmed(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    std::istringstream words{std::string(line)};
    std::string host, word;
    words >> host;
    const auto where = [&] { return fmt::format("{}:{}", path, line_number); };
    if (!is_host_name(host))
      throw std::invalid_argument(fmt::format("{}: {} is not a host name (letters, digits, '.', '-', '_')",
                                              where(), quoted_text(host)));
    host_slots entry{host, 0};
    while (words >> word) {
      if (word.starts_with("slots=")) {
        entry.slots = slot_count(std::string_view(word).substr(6));
        if (entry.slots == 0)
          throw std::invalid_argument(fmt::format("{}: {}: slots must be a whole number from 1 to 1000000",
                                                  where(), quoted_text(word)));
      } else if (!word.starts_with("max_slots=") && !word.starts_with("max-slots=")) {
        throw std::invalid_argument(
            fmt::format("{}: unknown word {} after host '{}'; expected 'slots=N' (and optionally "
                        "'max_slots=N')",
                        where(), quoted_text(word), host));
      }
    }
    hosts.push_back(std::move(entry));
  }
  if (hosts.empty()) throw std::invalid_argument(fmt::format("{}: the hostfile names no host", path));
  return hosts;
}

host_set read_hostfile(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_regular_file(path, error))
    throw std::invalid_argument(
        fmt::format("hostfile {} does not exist or is not a file", quoted_text(path)));
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof())
    throw std::invalid_argument(fmt::format("cannot read hostfile {}", quoted_text(path)));
  const std::string absolute = fs::absolute(path).lexically_normal().string();
  return {parse_hostfile_text(text.str(), path), absolute};
}

std::string host_argument(const std::vector<host_slots>& hosts) {
  std::string text;
  for (const auto& h : hosts) {
    if (!text.empty()) text += ',';
    text += fmt::format("{}:{}", h.host, std::max(1, h.slots));
  }
  return text;
}

}  // namespace exacheck
