#include "harness/run_read.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "harness/files.hpp"
#include "harness/json_stream.hpp"

namespace exacheck {
namespace {

// Members of a rank record that neither the analysis nor any report reads (docs/run-json.md "What `exacheck
// report` reads"). "statistics": only a run.json in schema exacheck/run/v1 has them.
constexpr std::array<std::string_view, 6> unreported_rank_members = {"samples",  "statistics", "correctness",
                                                                     "warnings", "skipped",    "backend"};

// nlohmann's SAX events, routed: the rank records' unreported members are dropped as they are lexed (no
// value is built for them), the old analysis goes to a digest (and its "rules" to a document of their own),
// everything else to the document builder.
class report_reader {
 public:
  using json = nlohmann::json;
  explicit report_reader(run_for_report& out)
      : m_out(out), m_document(out.run, true), m_rules(out.analysis_rules, true) {}

  bool null() {
    return scalar([&](auto& builder) { return builder.null(); }, [&] { m_digest.null(); });
  }
  bool boolean(bool value) {
    return scalar([&](auto& builder) { return builder.boolean(value); }, [&] { m_digest.boolean(value); });
  }
  bool number_integer(json::number_integer_t value) {
    return scalar([&](auto& builder) { return builder.number_integer(value); },
                  [&] { m_digest.number(static_cast<double>(value)); });
  }
  bool number_unsigned(json::number_unsigned_t value) {
    return scalar([&](auto& builder) { return builder.number_unsigned(value); },
                  [&] { m_digest.number(static_cast<double>(value)); });
  }
  bool number_float(json::number_float_t value, const json::string_t& text) {
    return scalar([&](auto& builder) { return builder.number_float(value, text); },
                  [&] { m_digest.number(value); });
  }
  bool string(json::string_t& value) {
    return scalar([&](auto& builder) { return builder.string(value); }, [&] { m_digest.string(value); });
  }
  bool binary(json::binary_t& value) { return m_document.binary(value); }  // never in a JSON text

  bool start_object(std::size_t elements) {
    return open(
        true, [&](auto& builder) { return builder.start_object(elements); }, [&] { m_digest.start_object(); });
  }
  bool start_array(std::size_t elements) {
    return open(
        false, [&](auto& builder) { return builder.start_array(elements); }, [&] { m_digest.start_array(); });
  }
  bool end_object() {
    return close([&](auto& builder) { return builder.end_object(); }, [&] { m_digest.end_object(); });
  }
  bool end_array() {
    return close([&](auto& builder) { return builder.end_array(); }, [&] { m_digest.end_array(); });
  }

  bool key(json::string_t& text) {
    if (m_skip_depth > 0) return true;
    if (m_analysis_depth > 0) {
      m_digest.key(text);
      if (m_rules_depth > 0) return m_rules.key(text);
      if (m_analysis_depth == 1 && text == "rules") m_rules_next = true;
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
      m_skip_next = true;
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

  template <class Build, class Digest>
  bool scalar(Build build, Digest digest) {
    if (m_skip_depth > 0) return true;
    if (m_skip_next) {
      m_skip_next = false;
      return true;
    }
    if (m_analysis_next) keep_analysis_key();
    if (m_analysis_depth > 0) {
      digest();
      if (m_rules_next || m_rules_depth > 0) {
        m_rules_next = false;
        return build(m_rules);
      }
      return true;
    }
    return build(m_document);
  }

  template <class Build, class Digest>
  bool open(bool object, Build build, Digest digest) {
    if (m_skip_depth > 0) {
      ++m_skip_depth;
      return true;
    }
    if (m_skip_next) {
      m_skip_next = false;
      m_skip_depth = 1;
      return true;
    }
    if (m_analysis_next) {
      if (object) {
        m_analysis_next = false;
        m_out.had_analysis = true;
        m_analysis_depth = 1;
        digest();
        return true;
      }
      keep_analysis_key();
    }
    if (m_analysis_depth > 0) {
      ++m_analysis_depth;
      digest();
      if (m_rules_next) {
        m_rules_next = false;
        m_rules_depth = 1;
        return build(m_rules);
      }
      if (m_rules_depth > 0) {
        ++m_rules_depth;
        return build(m_rules);
      }
      return true;
    }
    ++m_depth;
    return build(m_document);
  }

  template <class Build, class Digest>
  bool close(Build build, Digest digest) {
    if (m_skip_depth > 0) {
      --m_skip_depth;
      return true;
    }
    if (m_analysis_depth > 0) {
      digest();
      bool built = true;
      if (m_rules_depth > 0) {
        built = build(m_rules);
        --m_rules_depth;
      }
      if (--m_analysis_depth == 0) m_out.analysis_digest = m_digest.digest();
      return built;
    }
    --m_depth;
    return build(m_document);
  }

  run_for_report& m_out;
  builder m_document;
  builder m_rules;
  json_digester m_digest;
  std::size_t m_depth = 0;             // containers of the document open
  std::array<std::string, 8> m_keys;   // the last key of the object at each depth
  bool m_skip_next = false;            // the next value is an unreported rank member
  std::size_t m_skip_depth = 0;        // inside such a value: its containers open
  bool m_analysis_next = false;        // the next value is the run's "analysis"
  std::size_t m_analysis_depth = 0;    // inside it: its containers open
  bool m_rules_next = false;           // the next value is analysis.rules
  std::size_t m_rules_depth = 0;       // inside it: its containers open
};

}  // namespace

run_for_report read_run_for_report(const std::string& path) {
  run_for_report out;
  report_reader reader(out);
  json_stream::sax_parse_file(path, reader);
  return out;
}

}  // namespace exacheck
