#include "harness/results/run_read.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "harness/core/errors.hpp"
#include "harness/core/stable_hash.hpp"
#include "harness/io/files.hpp"
#include "harness/io/json_stream.hpp"

namespace exacheck {
namespace {

// Members of a rank record that neither the analysis nor any report reads (docs/run-json.md "What `exacheck
// report` reads"). "statistics": only a run.json in schema exacheck/run/v1 has them.
constexpr std::array<std::string_view, 6> unreported_rank_members = {"samples",  "statistics", "correctness",
                                                                     "warnings", "skipped",    "backend"};

// FNV-1a over bytes (as skippable_file::skip_member_value folds them): what analysis_text_digest and the
// reader fold each member's key and text into.
struct text_digest {
  std::uint64_t state = fnv1a_64_offset_basis;
  void add(char c) { state = fnv1a_64_step(state, static_cast<unsigned char>(c)); }
  void add(std::string_view text) {
    for (const char c : text) add(c);
  }
};

// nlohmann's SAX events, routed: the rank records' unreported members and the old analysis's members are
// passed over in the text (the analysis's into a digest), its "rules" go to a document of their own,
// everything else to the document builder.
class report_reader {
 public:
  using json = nlohmann::json;
  report_reader(run_for_report& out, json_stream::skippable_file& file)
      : m_out(out), m_file(file), m_document(out.run, true), m_rules(out.analysis_rules, true) {}

  bool null() {
    return scalar([&](auto& builder) { return builder.null(); });
  }
  bool boolean(bool value) {
    return scalar([&](auto& builder) { return builder.boolean(value); });
  }
  bool number_integer(json::number_integer_t value) {
    return scalar([&](auto& builder) { return builder.number_integer(value); });
  }
  bool number_unsigned(json::number_unsigned_t value) {
    return scalar([&](auto& builder) { return builder.number_unsigned(value); });
  }
  bool number_float(json::number_float_t value, const json::string_t& text) {
    return scalar([&](auto& builder) { return builder.number_float(value, text); });
  }
  bool string(json::string_t& value) {
    return scalar([&](auto& builder) { return builder.string(value); });
  }
  bool binary(json::binary_t& value) { return m_document.binary(value); }  // never in a JSON text

  bool start_object(std::size_t elements) {
    return open(true, [&](auto& builder) { return builder.start_object(elements); });
  }
  bool start_array(std::size_t elements) {
    return open(false, [&](auto& builder) { return builder.start_array(elements); });
  }
  bool end_object() {
    return close([&](auto& builder) { return builder.end_object(); });
  }
  bool end_array() {
    return close([&](auto& builder) { return builder.end_array(); });
  }

  bool key(json::string_t& text) {
    if (m_in_rules > 0) return m_rules.key(text);
    if (m_in_analysis) {  // a member of the analysis itself: the rules are built, the rest digested
      if (text == "rules") {
        m_rules_next = true;
        return true;
      }
      m_digest.add(text);
      m_digest.add('\0');
      m_file.skip_member_value(max_json_nesting - 2, &m_digest.state);
      m_digest.add('\0');
      m_drop_next = true;
      return true;
    }
    // A key of the object at m_depth: 1 is the run's, 3 a case's, 5 a point's, 7 a rank record's.
    if (m_depth < m_keys.size()) m_keys[m_depth] = text;
    if (m_depth == 1 && text == "analysis") {
      m_analysis_next = true;  // an object is digested; anything else is built (and refused later)
      return true;
    }
    if (m_depth == 7 && m_keys[1] == "cases" && m_keys[3] == "results" && m_keys[5] == "ranks" &&
        std::find(unreported_rank_members.begin(), unreported_rank_members.end(), text) !=
            unreported_rank_members.end()) {
      m_file.skip_member_value(max_json_nesting - m_depth);
      m_drop_next = true;
      return true;
    }
    return m_document.key(text);
  }

  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& error) {
    throw error;
  }

 private:
  using builder = nlohmann::detail::json_sax_dom_parser<json>;

  // "analysis" was the last key and the value that follows is not an object: built like any other.
  void keep_analysis_key() {
    m_analysis_next = false;
    std::string key = "analysis";
    m_document.key(key);
  }

  template <class Build>
  bool scalar(Build build) {
    if (m_drop_next) {  // the null the parser read in place of a value passed over
      m_drop_next = false;
      return true;
    }
    if (m_analysis_next) keep_analysis_key();
    if (m_rules_next || m_in_rules > 0) {
      m_rules_next = false;
      return build(m_rules);
    }
    return build(m_document);
  }

  template <class Build>
  bool open(bool object, Build build) {
    if (m_analysis_next) {
      m_analysis_next = false;
      if (object) {
        m_in_analysis = true;
        m_out.had_analysis = true;
        return true;
      }
      keep_analysis_key();
    }
    if (m_rules_next || m_in_rules > 0) {
      m_rules_next = false;
      ++m_in_rules;
      return build(m_rules);
    }
    ++m_depth;
    return build(m_document);
  }

  template <class Build>
  bool close(Build build) {
    if (m_in_rules > 0) {
      --m_in_rules;
      return build(m_rules);
    }
    if (m_in_analysis) {  // the analysis object itself: only its rules had containers, closed above
      m_in_analysis = false;
      m_out.analysis_digest = m_digest.state;
      return true;
    }
    --m_depth;
    return build(m_document);
  }

  run_for_report& m_out;
  json_stream::skippable_file& m_file;
  builder m_document;
  builder m_rules;
  text_digest m_digest;
  std::size_t m_depth = 0;            // containers of the document open
  std::array<std::string, 8> m_keys;  // the last key of the object at each depth
  bool m_drop_next = false;           // the next value is the null read in place of one passed over
  bool m_analysis_next = false;       // the next value is the run's "analysis"
  bool m_in_analysis = false;         // inside it (at its own level: everything deeper is passed over)
  bool m_rules_next = false;          // the next value is analysis.rules
  std::size_t m_in_rules = 0;         // inside it: its containers open
};

}  // namespace

run_for_report read_run_for_report(const std::string& path) {
  try {
    run_for_report out;
    json_stream::skippable_file file(path);
    report_reader reader(out, file);
    json_stream::depth_limited_sax<report_reader> sax(reader);
    json_stream::parse_events(json_stream::skipping_iterator(file), json_stream::skipping_iterator(), &sax);
    return out;
  } catch (const json_stream::skip_failed&) {
  } catch (const json_stream::nested_too_deep&) {
  } catch (const nlohmann::json::exception&) {
  }
  // Not JSON, or nested too deep. After a value passed over, the parser's line and column are not the
  // file's: the whole parse names the error and its place.
  parse_json_file(path);
  throw usage_error(path + ": the file is not valid JSON");  // what the skipper refuses, the parser does too
}

std::uint64_t analysis_text_digest(const nlohmann::json& analysis) {
  text_digest digest;
  if (!analysis.is_object()) return digest.state;
  for (const auto& [key, value] : analysis.items()) {
    if (key == "rules") continue;
    digest.add(key);
    digest.add('\0');
    digest.add(json_dump(value, -1));  // as write_json_atomically writes run.json
    digest.add('\0');
  }
  return digest.state;
}

}  // namespace exacheck
