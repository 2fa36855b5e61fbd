#include "harness/history/run_reader.hpp"

#include <fmt/core.h>

#include <filesystem>

#include "harness/core/errors.hpp"
#include "harness/io/files.hpp"
#include "harness/io/json_stream.hpp"
#include "harness/results/analysis_upgrade.hpp"
#include "harness/results/run_document.hpp"

namespace exacheck::history {
namespace {

// nlohmann's SAX events to its document builder, except the value of the run's "cases", passed over in the
// text (json_stream::skippable_file) and never lexed.
class without_cases {
 public:
  using json = nlohmann::json;
  without_cases(json& out, json_stream::skippable_file& file) : m_file(file), m_document(out, true) {}

  bool null() { return m_drop_next ? (m_drop_next = false, true) : m_document.null(); }
  bool boolean(bool value) { return m_document.boolean(value); }
  bool number_integer(json::number_integer_t value) { return m_document.number_integer(value); }
  bool number_unsigned(json::number_unsigned_t value) { return m_document.number_unsigned(value); }
  bool number_float(json::number_float_t value, const json::string_t& text) {
    return m_document.number_float(value, text);
  }
  bool string(json::string_t& value) { return m_document.string(value); }
  bool binary(json::binary_t& value) { return m_document.binary(value); }
  bool start_object(std::size_t elements) {
    ++m_depth;
    return m_document.start_object(elements);
  }
  bool start_array(std::size_t elements) {
    ++m_depth;
    return m_document.start_array(elements);
  }
  bool end_object() {
    --m_depth;
    return m_document.end_object();
  }
  bool end_array() {
    --m_depth;
    return m_document.end_array();
  }
  bool key(json::string_t& text) {
    if (m_depth == 1 && text == "cases") {
      m_file.skip_member_value(max_json_nesting - 1);
      m_drop_next = true;  // the parser reads null in its place: dropped with its key
      return true;
    }
    return m_document.key(text);
  }
  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& error) {
    throw error;
  }

 private:
  json_stream::skippable_file& m_file;
  nlohmann::detail::json_sax_dom_parser<json> m_document;
  std::size_t m_depth = 0;
  bool m_drop_next = false;
};

nlohmann::json parse_without_cases(const std::string& path) {
  try {
    nlohmann::json out;
    json_stream::skippable_file file(path);
    without_cases reader(out, file);
    json_stream::depth_limited_sax<without_cases> sax(reader);
    json_stream::parse_events(json_stream::skipping_iterator(file), json_stream::skipping_iterator(), &sax);
    return out;
  } catch (const json_stream::skip_failed&) {
  } catch (const json_stream::nested_too_deep&) {
  } catch (const nlohmann::json::exception&) {
  }
  // Not JSON: the whole parse names the error and its place (after a skip the parser's own is not the
  // file's).
  parse_json_file(path);
  throw usage_error(path + ": the file is not valid JSON");
}

}  // namespace

nlohmann::json read_run_for_history(const std::string& run_dir_or_file) {
  namespace fs = std::filesystem;
  std::error_code ignored;
  const std::string path = fs::is_directory(run_dir_or_file, ignored)
                               ? (fs::path(run_dir_or_file) / "run.json").string()
                               : run_dir_or_file;
  if (!fs::exists(fs::symlink_status(path, ignored)))
    throw usage_error(fmt::format("{} does not exist: is '{}' a run directory?", path, run_dir_or_file));
  nlohmann::json run = parse_without_cases(path);
  if (!run.is_object()) throw usage_error(path + ": not a run (not a JSON object)");
  const std::string schema = run.value("schema", "");
  if (schema != run_schema) {
    if (schema != run_schema_v2 && schema != run_schema_v1)
      throw usage_error(fmt::format("{}: schema '{}' is not a run's ({}, or {} or {})", path, schema,
                                    run_schema, run_schema_v2, run_schema_v1));
    run = parse_json_file(path);  // an older file: its cases say how to bring its points to today's form
    upgrade_run_document(run);
    run.erase("cases");
  }
  const auto analysis = run.find("analysis");
  if (analysis == run.end() || !analysis->is_object() || !analysis->contains("metrics"))
    throw usage_error(
        fmt::format("{}: the run has no analysis to take values from (run `exacheck report {}` first)", path,
                    fs::path(path).parent_path().string()));
  upgrade_analysis_v1(*analysis);
  return run;
}

}  // namespace exacheck::history
