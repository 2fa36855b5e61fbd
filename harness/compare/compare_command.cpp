// `exacheck compare` and `exacheck export-reference`: loading both sides, writing compare.md/compare.json and
// reference files, printing, exit codes.
#include <fmt/core.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "harness/compare/compare.hpp"
#include "harness/compare/reference_file.hpp"
#include "harness/core/errors.hpp"
#include "harness/io/files.hpp"
#include "harness/results/run_document.hpp"
#include "reports/analysis/format.hpp"
#include "reports/render/compare_render.hpp"

namespace exacheck {
namespace {

namespace fs = std::filesystem;

struct loaded_run {
  std::string dir;   // the run directory
  std::string file;  // its run.json
  nlohmann::json run;
};

// A run directory, or a run.json itself. `what` names the argument in messages ("RUN_DIR", "--baseline").
loaded_run load_run(const std::string& path, const std::string& what) {
  std::error_code error;
  if (!fs::exists(path, error)) throw usage_error(fmt::format("{} '{}' does not exist", what, path));
  loaded_run loaded;
  const bool directory = fs::is_directory(path, error);
  loaded.dir = directory ? path : fs::path(path).parent_path().string();
  if (loaded.dir.empty()) loaded.dir = ".";
  loaded.file = directory ? (fs::path(path) / "run.json").string() : path;
  if (!fs::exists(fs::symlink_status(loaded.file, error)))
    throw usage_error(fmt::format("{} '{}' has no run.json: is it a run directory?", what, path));
  // A regular file only (never a FIFO, device or symbolic link), nested no deeper than run.json can be.
  loaded.run = parse_json_file(loaded.file);
  // A run of an older exacheck (a baseline kept for months) is read as one of this version.
  upgrade_run_document(loaded.run);
  const auto schema = loaded.run.is_object() ? loaded.run.find("schema") : loaded.run.end();
  if (schema == loaded.run.end() || !schema->is_string() ||
      schema->get_ref<const std::string&>() != run_schema)
    throw usage_error(fmt::format("{}: not an exacheck run (schema {}, {} or {} expected)", loaded.file,
                                  run_schema, run_schema_v2, run_schema_v1));
  if (const auto problem = run_document_problem(loaded.run))
    throw usage_error(fmt::format("{}: {}", loaded.file, *problem));
  return loaded;
}

std::string text_at(const nlohmann::json& run, const char* object, const char* key) {
  const auto outer = run.find(object);
  if (outer == run.end() || !outer->is_object()) return "";
  const auto inner = outer->find(key);
  return inner != outer->end() && inner->is_string() ? inner->get<std::string>() : "";
}

nlohmann::json run_info(const loaded_run& loaded) {
  return {{"kind", "run"},
          {"path", fs::absolute(loaded.dir).lexically_normal().string()},
          {"plan", text_at(loaded.run, "plan", "name")},
          {"system", text_at(loaded.run, "system", "name")},
          {"started_at", text_at(loaded.run, "provenance", "started_at")},
          {"exacheck_version", text_at(loaded.run, "provenance", "exacheck_version")},
          {"synthetic", loaded.run.value("synthetic", false)}};
}

nlohmann::json reference_info(const reference_file& reference) {
  return {{"kind", "reference"},
          {"path", fs::absolute(reference.path).lexically_normal().string()},
          {"organisation", reference.organisation},
          {"contact", reference.contact},
          {"date", reference.date},
          {"system", reference.system},
          {"notes", reference.notes}};
}

// The entry of the generated text that `line` falls in ("" when none): its lines start at "- " after
// "entries:" (reference_file_yaml's layout).
std::string entry_at_line(const std::string& text, const reference_file& reference, int line) {
  std::istringstream lines(text);
  std::string content;
  bool in_entries = false;
  int number = 0, entry = -1;
  while (std::getline(lines, content) && ++number <= line) {
    if (content.rfind("entries:", 0) == 0) in_entries = true;
    const auto first = content.find_first_not_of(' ');
    if (in_entries && first != std::string::npos && content.compare(first, 2, "- ") == 0) ++entry;
  }
  if (entry < 0 || static_cast<std::size_t>(entry) >= reference.entries.size()) return "";
  const reference_entry& e = reference.entries[static_cast<std::size_t>(entry)];
  return fmt::format("{} {} {} [{}]", e.benchmark, reports::params_text(e.where), e.metric, e.unit);
}

// What is written must load as a reference file, or it is not written at all: a file its own loader refuses
// helps no one, and one left at --out would pass for a good one. So the text goes to a temporary file beside
// --out, is loaded from there, and only then renamed into place; an existing file at --out stays as it was.
reference_file write_loadable_reference(const reference_file& reference, const std::string& out_file,
                                        const std::string& run_file) {
  const std::string text = reference_file_yaml(reference);
  const fs::path out(out_file);
  std::error_code error;
  if (!out.parent_path().empty()) fs::create_directories(out.parent_path(), error);
  if (error)
    throw usage_error(fmt::format("--out '{}': cannot create its directory: {}", out_file, error.message()));
  const fs::path temporary =
      out.parent_path() / fmt::format(".{}.export.{}", out.filename().string(), ::getpid());
  write_file_atomically(temporary.string(), text);
  try {
    reference_file loaded = load_reference_file(temporary.string());
    fs::rename(temporary, out);
    return loaded;
  } catch (const validation_error& e) {
    fs::remove(temporary, error);
    std::string problems;
    for (validation_issue issue : e.issues()) {
      // The temporary file is gone: its line numbers would point nowhere, the entry they fall in does not.
      const std::string entry = entry_at_line(text, reference, issue.where.line);
      issue.where = {};
      problems += "\n  " + (entry.empty() ? "" : entry + ": ") + issue.to_string();
    }
    throw std::runtime_error(fmt::format(
        "export-reference: the reference file made from {} would not load, so nothing was written to {}:{}",
        run_file, out_file, problems));
  } catch (...) {
    fs::remove(temporary, error);
    throw;
  }
}

}  // namespace

int run_compare(const compare_options& options) {
  const double tolerance_pct = parse_tolerance_pct(options.tolerance);
  const loaded_run current = load_run(options.run_dir, "RUN_DIR");
  const std::vector<comparable_metric> current_metrics = comparable_metrics_of_run(current.run);

  std::error_code error;
  if (!fs::exists(options.baseline, error))
    throw usage_error(fmt::format("--baseline '{}' does not exist", options.baseline));
  nlohmann::json comparison;
  if (!fs::is_directory(options.baseline, error) && looks_like_reference_file(options.baseline)) {
    const reference_file reference = load_reference_file(options.baseline);
    comparison = compare_metrics(current_metrics, comparable_metrics_of_reference(reference), tolerance_pct,
                                 false, options.allow_missing, run_info(current), reference_info(reference));
  } else {
    const loaded_run baseline = load_run(options.baseline, "--baseline");
    comparison = compare_metrics(current_metrics, comparable_metrics_of_run(baseline.run), tolerance_pct,
                                 true, options.allow_missing, run_info(current), run_info(baseline));
  }

  const std::string out_dir = options.out_dir.empty() ? current.dir : options.out_dir;
  fs::create_directories(out_dir, error);
  if (error) throw usage_error(fmt::format("--out '{}': cannot create it: {}", out_dir, error.message()));
  std::ostringstream markdown;
  reports::render_compare_markdown(comparison, markdown);
  const std::string md_path = (fs::path(out_dir) / "compare.md").string();
  const std::string json_path = (fs::path(out_dir) / "compare.json").string();
  write_file_atomically(json_path, json_dump(comparison, 2) + "\n");
  write_file_atomically(md_path, markdown.str());

  reports::print_compare_summary(comparison, std::cout);
  std::cout << md_path << "\n" << json_path << "\n";
  return comparison.value("exit_code", 0);
}

int run_export_reference(const export_reference_options& options) {
  if (options.organisation.empty())
    throw usage_error("--who must name the organisation that publishes these numbers");
  const loaded_run run = load_run(options.run_dir, "RUN_DIR");
  const reference_file reference =
      reference_from_run(run.run, options.organisation, options.contact, options.notes);
  if (reference.entries.empty())
    throw usage_error(fmt::format("{} has no valid measured value to export", run.file));
  const reference_file written = write_loadable_reference(reference, options.out_file, run.file);
  fmt::print("{} entries from {} ({} {}) written to {}\n", written.entries.size(), run.file,
             written.system.value("name", ""), written.date, options.out_file);
  return 0;
}

}  // namespace exacheck
