#pragma once
// The text of each page of a PDF as Chromium (Skia) prints it, for tests of what a printed report.html says
// on every page: objects in the clear, content and CMap streams Flate-compressed, text shown with Tj/TJ in
// fonts whose /ToUnicode CMap maps glyph codes back to characters. Not a general PDF reader (no object
// streams, no encryption, no other filters): enough to ask "does page 17 say SYNTHETIC?" and "is this word
// whole?". Text runs that the PDF positions apart (a new line, a new cell) are separated by a line break, so
// a word split across two lines reads as two pieces.
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

namespace exacheck::test {

namespace pdf_detail {

struct object {
  std::string dictionary;  // the text before "stream", or the whole body
  std::string stream;      // inflated when /FlateDecode, else as stored; empty when none
};

inline std::string inflated(const std::string& data) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) throw std::runtime_error("inflateInit failed");
  std::string out;
  char buffer[65536];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int status = Z_OK;
  while (status == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    status = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
  }
  inflateEnd(&z);
  if (status != Z_STREAM_END) throw std::runtime_error("a Flate stream of the PDF does not inflate");
  return out;
}

inline std::optional<int> reference_after(const std::string& dictionary, const std::string& key) {
  std::smatch match;
  if (std::regex_search(dictionary, match, std::regex(key + R"(\s+(\d+)\s+0\s+R)")))
    return std::stoi(match[1]);
  return std::nullopt;
}

inline std::map<int, object> objects_of(const std::string& pdf) {
  std::map<int, object> objects;
  const std::regex header(R"((\d+)\s+0\s+obj\b)");
  for (auto it = std::sregex_iterator(pdf.begin(), pdf.end(), header); it != std::sregex_iterator(); ++it) {
    const std::size_t begin = static_cast<std::size_t>(it->position() + it->length());
    const std::size_t end = pdf.find("endobj", begin);
    if (end == std::string::npos) break;
    object o;
    const std::size_t stream_at = pdf.find("stream", begin);
    if (stream_at != std::string::npos && stream_at < end) {
      o.dictionary = pdf.substr(begin, stream_at - begin);
      std::size_t data = stream_at + 6;
      if (pdf[data] == '\r') ++data;
      if (pdf[data] == '\n') ++data;
      std::size_t length = pdf.find("endstream", data) - data;
      std::smatch match;
      if (std::regex_search(o.dictionary, match, std::regex(R"(/Length\s+(\d+)(\s+0\s+R)?)")) &&
          !match[2].matched)
        length = std::stoul(match[1]);
      o.stream = pdf.substr(data, length);
      if (o.dictionary.find("/FlateDecode") != std::string::npos) o.stream = inflated(o.stream);
    } else {
      o.dictionary = pdf.substr(begin, end - begin);
    }
    objects[std::stoi((*it)[1])] = std::move(o);
  }
  return objects;
}

inline std::string utf8_of(std::uint32_t code) {
  std::string out;
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
  return out;
}

// UTF-16BE in hex ("00530059") as UTF-8.
inline std::string utf8_of_utf16_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 4 <= hex.size(); i += 4) {
    std::uint32_t unit = std::stoul(hex.substr(i, 4), nullptr, 16);
    if (unit >= 0xD800 && unit < 0xDC00 && i + 8 <= hex.size()) {
      const std::uint32_t low = std::stoul(hex.substr(i + 4, 4), nullptr, 16);
      unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
      i += 4;
    }
    out += utf8_of(unit);
  }
  return out;
}

// A font's ToUnicode CMap: glyph code -> text, and how many bytes a code has.
struct cmap {
  std::map<std::uint32_t, std::string> text;
  std::size_t code_bytes = 2;
};

inline cmap cmap_of(const std::string& source) {
  cmap result;
  const std::regex pair(R"(<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>)");
  const std::regex range(R"(<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\]))");
  for (std::size_t at = source.find("beginbfchar"); at != std::string::npos;
       at = source.find("beginbfchar", at + 1)) {
    const std::string block = source.substr(at, source.find("endbfchar", at) - at);
    for (auto it = std::sregex_iterator(block.begin(), block.end(), pair); it != std::sregex_iterator();
         ++it) {
      result.code_bytes = (*it)[1].length() / 2;
      result.text[std::stoul((*it)[1], nullptr, 16)] = utf8_of_utf16_hex((*it)[2]);
    }
  }
  for (std::size_t at = source.find("beginbfrange"); at != std::string::npos;
       at = source.find("beginbfrange", at + 1)) {
    const std::string block = source.substr(at, source.find("endbfrange", at) - at);
    for (auto it = std::sregex_iterator(block.begin(), block.end(), range); it != std::sregex_iterator();
         ++it) {
      result.code_bytes = (*it)[1].length() / 2;
      const std::uint32_t low = std::stoul((*it)[1], nullptr, 16), high = std::stoul((*it)[2], nullptr, 16);
      const std::string target = (*it)[3];
      if (target[0] == '<') {
        const std::string hex = target.substr(1, target.size() - 2);
        const std::uint32_t first = std::stoul(hex.substr(hex.size() - 4), nullptr, 16);
        const std::string prefix = hex.substr(0, hex.size() - 4);
        for (std::uint32_t code = low; code <= high; ++code) {
          char last[5];
          std::snprintf(last, sizeof last, "%04X", first + (code - low));
          result.text[code] = utf8_of_utf16_hex(prefix + last);
        }
      } else {
        std::uint32_t code = low;
        const std::regex each(R"(<([0-9A-Fa-f]+)>)");
        for (auto e = std::sregex_iterator(target.begin(), target.end(), each); e != std::sregex_iterator();
             ++e)
          result.text[code++] = utf8_of_utf16_hex((*e)[1]);
      }
    }
  }
  return result;
}

inline std::string shown_text(const std::string& hex, const cmap* font) {
  std::string out;
  const std::size_t digits = 2 * (font ? font->code_bytes : 1);
  for (std::size_t i = 0; i + digits <= hex.size(); i += digits) {
    const std::uint32_t code = std::stoul(hex.substr(i, digits), nullptr, 16);
    if (!font) {
      out += static_cast<char>(code);
      continue;
    }
    const auto found = font->text.find(code);
    out += found == font->text.end() ? "\xEF\xBF\xBD" : found->second;
  }
  return out;
}

}  // namespace pdf_detail

// The text of each page, in page order (the order of the page objects in the file, which is Chromium's).
inline std::vector<std::string> pdf_page_texts(const std::string& pdf) {
  using namespace pdf_detail;
  const auto objects = objects_of(pdf);
  std::map<int, cmap> cmaps;  // by font object
  const auto font_cmap = [&](int font) -> const cmap* {
    if (const auto cached = cmaps.find(font); cached != cmaps.end()) return &cached->second;
    const auto o = objects.find(font);
    if (o == objects.end()) return nullptr;
    const auto to_unicode = reference_after(o->second.dictionary, "/ToUnicode");
    if (!to_unicode || !objects.count(*to_unicode)) return nullptr;
    return &(cmaps[font] = cmap_of(objects.at(*to_unicode).stream));
  };
  // Pages in reading order: the page tree from the catalogue (/Root → /Pages → /Kids, depth first).
  std::vector<int> page_order;
  std::smatch root;
  const std::string trailer =
      pdf.substr(pdf.rfind("trailer") == std::string::npos ? 0 : pdf.rfind("trailer"));
  if (const auto catalogue = reference_after(trailer, "/Root"); catalogue && objects.count(*catalogue)) {
    std::vector<int> stack;
    if (const auto tree = reference_after(objects.at(*catalogue).dictionary, "/Pages"))
      stack.push_back(*tree);
    std::vector<int> seen;
    const std::function<void(int)> walk = [&](int node) {
      if (!objects.count(node) || std::find(seen.begin(), seen.end(), node) != seen.end()) return;
      seen.push_back(node);
      const std::string& dictionary = objects.at(node).dictionary;
      if (dictionary.find("/Type /Pages") == std::string::npos) {
        page_order.push_back(node);
        return;
      }
      std::smatch kids;
      if (!std::regex_search(dictionary, kids, std::regex(R"(/Kids\s*\[([^\]]*)\])"))) return;
      const std::string list = kids[1];
      const std::regex each(R"((\d+)\s+0\s+R)");
      for (auto it = std::sregex_iterator(list.begin(), list.end(), each); it != std::sregex_iterator(); ++it)
        walk(std::stoi((*it)[1]));
    };
    for (const int tree : stack) walk(tree);
  }
  if (page_order.empty())  // no catalogue found: the page objects in file order
    for (const auto& [number, o] : objects)
      if (o.dictionary.find("/Type /Page") != std::string::npos &&
          o.dictionary.find("/Type /Pages") == std::string::npos)
        page_order.push_back(number);
  std::vector<std::string> pages;
  const std::regex token(
      R"(<([0-9A-Fa-f]*)>|\[|\]|/([A-Za-z0-9_.+-]+)|([A-Za-z*']+)|(-?[0-9.]+)|\((?:\\.|[^\\)])*\))");
  for (const int number : page_order) {
    const std::string& d = objects.at(number).dictionary;
    std::map<std::string, int> fonts;  // resource name -> font object
    const std::regex font_entry(R"(/([A-Za-z0-9_.+-]+)\s+(\d+)\s+0\s+R)");
    std::string resources = d;
    if (const auto indirect = reference_after(d, "/Resources"); indirect && objects.count(*indirect))
      resources = objects.at(*indirect).dictionary;
    if (const auto at = resources.find("/Font"); at != std::string::npos) {
      const std::string block = resources.substr(at, resources.find(">>", at) - at);
      for (auto it = std::sregex_iterator(block.begin(), block.end(), font_entry);
           it != std::sregex_iterator(); ++it)
        fonts[(*it)[1]] = std::stoi((*it)[2]);
    }
    std::string content;
    const std::regex contents_ref(R"(/Contents\s+(?:(\d+)\s+0\s+R|\[([^\]]*)\]))");
    std::smatch match;
    if (std::regex_search(d, match, contents_ref)) {
      const std::string list = match[1].matched ? match[1].str() + " 0 R" : match[2].str();
      const std::regex each(R"((\d+)\s+0\s+R)");
      for (auto it = std::sregex_iterator(list.begin(), list.end(), each); it != std::sregex_iterator(); ++it)
        if (const auto o = objects.find(std::stoi((*it)[1])); o != objects.end())
          content += o->second.stream + "\n";
    }
    std::string text, pending_name;
    const cmap* font = nullptr;
    std::vector<double> operands;
    double line_y = 0;
    const auto new_line = [&] {
      if (!text.empty() && text.back() != '\n') text += '\n';
    };
    for (auto it = std::sregex_iterator(content.begin(), content.end(), token); it != std::sregex_iterator();
         ++it) {
      const auto& m = *it;
      if (m[1].matched) {
        text += shown_text(m[1], font);
      } else if (m[2].matched) {
        pending_name = m[2];
      } else if (m[4].matched) {
        operands.push_back(std::stod(m[4]));
      } else if (m[3].matched) {
        // Glyph runs of one line are often placed one by one (Td, Tm): only a move to another line (a new
        // baseline) breaks the text, so that a word on one line reads whole and a word split over two does
        // not.
        const std::string op = m[3];
        if (op == "Tf") font = fonts.count(pending_name) ? font_cmap(fonts[pending_name]) : nullptr;
        if ((op == "Td" || op == "TD") && operands.size() >= 2 &&
            std::abs(operands[operands.size() - 1]) > 0.5)
          new_line();
        if (op == "Tm" && operands.size() >= 6) {
          if (std::abs(operands.back() - line_y) > 0.5) new_line();
          line_y = operands.back();
        }
        if (op == "T*" || op == "'") new_line();
        operands.clear();
      }
    }
    pages.push_back(std::move(text));
  }
  return pages;
}

}  // namespace exacheck::test
