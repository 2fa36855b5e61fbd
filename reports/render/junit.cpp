// junit.xml: one <testsuite> per case, one <testcase> per check, so that CI systems (Jenkins, GitLab) list
// every failing metric by name. FAIL/INCORRECT/OUTLIER are <failure>, ERROR/TIMEOUT are <error>, SKIPPED is
// <skipped>; PASS and RECORDED pass. A run that did not finish goes red too: a case that never finished
// (summary.unfinished_cases) has an <error> testcase "run" when no check of its own is one, and a last
// <testsuite name="run"> holds an <error> testcase saying why the run is not complete. Rendered from run.json
// alone.
#include <fmt/core.h>

#include <limits>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "reports/analysis/format.hpp"
#include "reports/render/device_text.hpp"
#include "reports/render/render.hpp"
#include "reports/render/run_summary.hpp"

namespace exacheck::reports {
namespace {

using nlohmann::json;

struct check_counts {
  int tests = 0, failures = 0, errors = 0, skipped = 0;

  void add(const json& check) {
    const std::string outcome = text_field(check, "outcome");
    ++tests;
    if (is_failed_check(outcome)) ++failures;
    if (is_incomplete_check(outcome)) ++errors;
    if (outcome == "SKIPPED") ++skipped;
  }
  std::string attributes() const {
    return fmt::format("tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\"", tests, failures, errors,
                       skipped);
  }
};

std::string seconds_attribute(const std::optional<double>& seconds) {
  return fmt::format("{:.3f}", seconds.value_or(0.0));
}

std::string seconds_attribute(const json& seconds) {
  return seconds_attribute(seconds.is_number() ? std::optional(seconds.get<double>()) : std::nullopt);
}

// <properties> with the non-empty ones of `properties`, at `indent`.
void write_properties(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& properties,
                      const std::string& indent) {
  bool any = false;
  for (const auto& [name, value] : properties) {
    if (value.empty()) continue;
    if (!any) out << indent << "<properties>\n";
    any = true;
    out << fmt::format("{}  <property name=\"{}\" value=\"{}\"/>\n", indent, xml_attribute(name),
                       xml_attribute(value));
  }
  if (any) out << indent << "</properties>\n";
}

std::string testcase_name(const json& check) {
  const std::string params = params_text(field(check, "params"));
  const std::string metric = text_field(check, "metric");
  return params.empty() ? metric : metric + " " + params;
}

// What a failing check's <failure>/<error> says: who failed it first (the devices the analysis attributes it
// to, each with its own reason, or "not tied to one device"), then, for a check tied to none, why.
std::string failure_text(const json& check, std::size_t devices_listed) {
  const std::string reason = text_field(check, "reason");
  const std::string culprits = check_culprits(check, devices_listed);
  if (culprits.empty()) return reason;
  return count_in(field(check, "device_count")).value_or(0) > 0 ? culprits : culprits + ": " + reason;
}

void write_testcase(std::ostream& out, const json& test_case, const json& check) {
  const json& reference = field(check, "reference");
  const std::string outcome = text_field(check, "outcome");
  const std::string reason = text_field(check, "reason");
  const std::string message = failure_text(check, 5);
  const std::string body = failure_text(check, std::numeric_limits<std::size_t>::max());  // all listed
  out << fmt::format("    <testcase classname=\"{}\" name=\"{}\">\n",
                     xml_attribute(text_field(test_case, "benchmark")), xml_attribute(testcase_name(check)));
  write_properties(out,
                   {{"outcome", outcome},
                    {"value", exact_number(field(check, "value"))},
                    {"unit", text_field(check, "unit")},
                    {"statistic", text_field(check, "statistic")},
                    {"better", text_field(check, "better")},
                    {"aggregation", text_field(check, "aggregation")},
                    {"reference", exact_number(field(reference, "value"))},
                    {"reference_unit", text_field(reference, "unit")},
                    {"lower_bound", exact_number(field(reference, "lower_bound"))},
                    {"upper_bound", exact_number(field(reference, "upper_bound"))},
                    {"reference_source", text_field(reference, "source")},
                    {"delta_pct", exact_number(field(check, "delta_pct"))},
                    {"worst_rank", text_field(check, "worst_rank")},
                    {"worst_host", text_field(check, "worst_host")},
                    {"gpu", text_field(check, "gpu")},
                    {"uuid", text_field(check, "uuid")},
                    {"devices_failing", text_field(check, "device_count")},
                    {"ranks_measured", text_field(check, "ranks_measured")},
                    {"ranks_expected", text_field(check, "ranks_expected")},
                    {"reason", reason}},
                   "      ");
  if (is_failed_check(outcome))
    out << fmt::format("      <failure message=\"{}\" type=\"{}\">{}</failure>\n", xml_attribute(message),
                       xml_attribute(outcome), xml_text(body));
  if (is_incomplete_check(outcome)) {
    out << fmt::format("      <error message=\"{}\" type=\"{}\">{}</error>\n", xml_attribute(message),
                       xml_attribute(outcome), xml_text(body));
    const std::string log_tail = text_field(test_case, "log_tail");
    if (!log_tail.empty()) out << fmt::format("      <system-out>{}</system-out>\n", xml_text(log_tail));
  }
  if (outcome == "SKIPPED") out << fmt::format("      <skipped message=\"{}\"/>\n", xml_attribute(reason));
  out << "    </testcase>\n";
}

// The ids of summary.unfinished_cases.
std::set<std::string> unfinished_ids(const run_summary& summary) {
  std::set<std::string> ids;
  for (const auto& c : summary.unfinished_cases) ids.insert(c.id);
  return ids;
}

// Whether a case gets the "never finished" <error> testcase: it never finished and no check of its own is an
// <error> already (an interrupted case has its ERROR check).
bool needs_unfinished_testcase(const json& test_case, const std::set<std::string>& unfinished) {
  if (!unfinished.contains(text_field(test_case, "id"))) return false;
  for (const auto& check : list_field(test_case, "checks"))
    if (is_incomplete_check(text_field(check, "outcome"))) return false;
  return true;
}

// A case the run never launched because it stopped first (status not_run: its allocation gone) is skipped,
// not one error more: the run's own <error> says why it stopped, once.
bool was_not_run(const json& test_case) {
  return text_field(test_case, "status") == "not_run";
}

void write_unfinished_testcase(std::ostream& out, const json& test_case) {
  const std::string message = text_field(test_case, "message");
  if (was_not_run(test_case)) {
    out << fmt::format("    <testcase classname=\"{}\" name=\"run\">\n",
                       xml_attribute(text_field(test_case, "benchmark")));
    out << fmt::format("      <skipped message=\"{}\"/>\n", xml_attribute(message));
    out << "    </testcase>\n";
    return;
  }
  const std::string reason =
      fmt::format("never finished (status {}): the run ended before this case was recorded{}",
                  text_field(test_case, "status"), message.empty() ? "" : "; " + message);
  out << fmt::format("    <testcase classname=\"{}\" name=\"run\">\n",
                     xml_attribute(text_field(test_case, "benchmark")));
  out << fmt::format("      <error message=\"{}\" type=\"INCOMPLETE\">{}</error>\n", xml_attribute(reason),
                     xml_text(reason));
  out << "    </testcase>\n";
}

// Why a run that is not complete is not: for the run-level <error> testcase.
std::string incomplete_run_reason(const run_summary& summary) {
  const std::size_t unfinished = summary.unfinished_cases.size();
  const std::string cases = fmt::format("{} case(s) never finished", unfinished);
  if (summary.interrupted) return "the run was interrupted: " + cases;
  if (!summary.stopped_reason.empty()) return "the run stopped: " + summary.stopped_reason + ": " + cases;
  if (unfinished > 0) return "the run did not finish: " + cases;
  return "every case was recorded, but the run stopped before its final analysis and save (exacheck report "
         "RUN_DIR completes them)";
}

void write_run_testsuite(std::ostream& out, const run_summary& summary) {
  const std::string reason = incomplete_run_reason(summary);
  const std::string& verdict = summary.verdict;
  out << "  <testsuite name=\"run\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0.000\">\n";
  out << "    <testcase classname=\"exacheck\" name=\"run complete\">\n";
  out << fmt::format("      <error message=\"{}\" type=\"{}\">{}</error>\n", xml_attribute(reason),
                     xml_attribute(verdict.empty() ? "INCOMPLETE" : verdict), xml_text(reason));
  out << "    </testcase>\n  </testsuite>\n";
}

void write_testsuite(std::ostream& out, const json& test_case, const std::set<std::string>& unfinished) {
  check_counts counts;
  bool has_error_testcase = false;
  for (const auto& check : list_field(test_case, "checks")) {
    counts.add(check);
    has_error_testcase = has_error_testcase || is_incomplete_check(text_field(check, "outcome"));
  }
  const bool never_finished = needs_unfinished_testcase(test_case, unfinished);
  if (never_finished) {
    ++counts.tests;
    ++(was_not_run(test_case) ? counts.skipped : counts.errors);
    has_error_testcase = true;
  }
  out << fmt::format("  <testsuite name=\"{}\" {} time=\"{}\">\n", xml_attribute(text_field(test_case, "id")),
                     counts.attributes(), seconds_attribute(field(test_case, "elapsed_s")));
  write_properties(out,
                   {{"case", text_field(test_case, "name")},
                    {"benchmark", text_field(test_case, "benchmark")},
                    {"params", params_text(field(test_case, "params"))},
                    {"ranks", text_field(test_case, "ranks")},
                    {"launcher", text_field(test_case, "launcher")},
                    {"backend", text_field(test_case, "backend")},
                    {"status", text_field(test_case, "status")},
                    {"outcome", text_field(test_case, "outcome")},
                    {"message", text_field(test_case, "message")}},
                   "    ");
  for (const auto& check : list_field(test_case, "checks")) write_testcase(out, test_case, check);
  if (never_finished) write_unfinished_testcase(out, test_case);
  // A log tail with no ERROR/TIMEOUT testcase to carry it still reaches the reader, at the suite level.
  const std::string log_tail = text_field(test_case, "log_tail");
  if (!log_tail.empty() && !has_error_testcase)
    out << fmt::format("    <system-out>{}</system-out>\n", xml_text(log_tail));
  out << "  </testsuite>\n";
}

}  // namespace

void render_junit(const json& run, std::ostream& out) {
  const run_summary summary = summarise_run(run);
  check_counts totals;
  const std::set<std::string> unfinished = unfinished_ids(summary);
  for (const auto& test_case : list_field(run, "cases")) {
    for (const auto& check : list_field(test_case, "checks")) totals.add(check);
    if (needs_unfinished_testcase(test_case, unfinished)) {
      ++totals.tests;
      ++(was_not_run(test_case) ? totals.skipped : totals.errors);
    }
  }
  const bool incomplete = summary.not_complete;
  if (incomplete) {
    ++totals.tests;
    ++totals.errors;
  }
  const std::string& plan = summary.plan_name;
  // A simulated run (exacheck simulate) says so in the name every CI system shows.
  const std::string name =
      (plan.empty() ? "exacheck" : "exacheck " + plan) + (summary.synthetic ? " (SYNTHETIC)" : "");
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << fmt::format("<testsuites name=\"{}\" {} time=\"{}\">\n", xml_attribute(name), totals.attributes(),
                     seconds_attribute(summary.timing.total_s));
  for (const auto& test_case : list_field(run, "cases")) write_testsuite(out, test_case, unfinished);
  if (incomplete) write_run_testsuite(out, summary);
  out << "</testsuites>\n";
}

}  // namespace exacheck::reports
