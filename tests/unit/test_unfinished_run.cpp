// A run that did not finish is never green: update_summary (the one place verdict and exit code are derived)
// and every report rendered from such a run.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "../support/prometheus_text.hpp"
#include "harness/results/run_document.hpp"
#include "reports/render/render.hpp"

namespace {

using nlohmann::json;

json check(const std::string& metric, const std::string& outcome) {
  return {{"metric", metric}, {"params", {{"loop", 1000}}}, {"outcome", outcome}, {"reason", ""}};
}

json recorded_case(const std::string& name, const std::string& outcome) {
  return {{"id", name + "-1a2b3c4d"}, {"name", name},       {"benchmark", "selftest"},
          {"status", "completed"},    {"outcome", outcome}, {"checks", {check("loop_rate", outcome)}}};
}

// A case as the controller writes it before it runs.
json pending_case(const std::string& name) {
  return {{"id", name + "-5e6f7a8b"}, {"name", name},  {"benchmark", "selftest"}, {"status", "pending"},
          {"outcome", nullptr},       {"message", ""}, {"checks", json::array()}};
}

json run_of(json cases) {
  return {{"schema", exacheck::run_schema},
          {"plan", {{"name", "nightly"}}},
          {"provenance", json::object()},
          {"timing", json::object()},
          {"cases", std::move(cases)}};
}

template <typename Render>
std::string rendered(const json& run, Render render) {
  std::ostringstream out;
  render(run, out);
  return out.str();
}

}  // namespace

TEST(unfinished_run, pending_case_makes_the_run_incomplete_with_exit_3_even_when_the_rest_passed) {
  json run = run_of({recorded_case("first", "PASS"), pending_case("hang"), pending_case("last")});
  exacheck::update_summary(run, false, false);
  EXPECT_EQ(run["verdict"], "INCOMPLETE");
  EXPECT_EQ(run["exit_code"], 3);
  EXPECT_EQ(run["complete"], false);
  ASSERT_EQ(run["summary"]["unfinished_cases"].size(), 2u);
  EXPECT_EQ(run["summary"]["unfinished_cases"][0],
            json({{"id", "hang-5e6f7a8b"}, {"name", "hang"}, {"status", "pending"}}));
  EXPECT_EQ(run["summary"]["unfinished_cases"][1]["name"], "last");
  // Not even the caller saying "complete" makes a run with an unfinished case complete.
  exacheck::update_summary(run, false, true);
  EXPECT_EQ(run["verdict"], "INCOMPLETE");
  EXPECT_EQ(run["exit_code"], 3);
  EXPECT_EQ(run["complete"], false);
}

TEST(unfinished_run, every_case_recorded_is_still_incomplete_until_the_final_save) {
  json run = run_of({recorded_case("first", "PASS"), recorded_case("last", "PASS")});
  exacheck::update_summary(run, false, false);
  EXPECT_EQ(run["verdict"], "INCOMPLETE");
  EXPECT_EQ(run["exit_code"], 3);
  EXPECT_TRUE(run["summary"]["unfinished_cases"].empty());
  exacheck::update_summary(run, false, true);
  EXPECT_EQ(run["verdict"], "PASS");
  EXPECT_EQ(run["exit_code"], 0);
  EXPECT_EQ(run["complete"], true);
}

TEST(unfinished_run, a_check_that_already_failed_is_the_verdict_with_exit_1) {
  json run = run_of({recorded_case("first", "PASS"), recorded_case("slow", "FAIL"), pending_case("last")});
  exacheck::update_summary(run, false, false);
  EXPECT_EQ(run["verdict"], "FAIL");
  EXPECT_EQ(run["exit_code"], 1);
  EXPECT_EQ(run["complete"], false);
  EXPECT_EQ(run["summary"]["unfinished_cases"].size(), 1u);
}

TEST(unfinished_run, interrupted_stays_interrupted_130_and_lists_the_cases_not_run) {
  json skipped = pending_case("last");
  skipped["status"] = "skipped";
  skipped["outcome"] = "SKIPPED";
  json run = run_of({recorded_case("first", "PASS"), skipped});
  exacheck::update_summary(run, true, false);
  EXPECT_EQ(run["verdict"], "INTERRUPTED");
  EXPECT_EQ(run["exit_code"], 130);
  ASSERT_EQ(run["summary"]["unfinished_cases"].size(), 1u);
  EXPECT_EQ(run["summary"]["unfinished_cases"][0]["status"], "skipped");
}

TEST(unfinished_run, a_case_without_a_known_status_never_counts_as_finished) {
  json odd = recorded_case("odd", "PASS");
  odd.erase("status");
  json run = run_of({odd});
  exacheck::update_summary(run, false, true);
  EXPECT_EQ(run["verdict"], "INCOMPLETE");
  EXPECT_EQ(run["exit_code"], 3);
}

TEST(unfinished_run_reports, markdown_and_html_say_incomplete_and_name_every_case_that_never_finished) {
  json run = run_of({recorded_case("first", "PASS"), pending_case("hang"), pending_case("last")});
  exacheck::update_summary(run, false, false);
  const std::string md = rendered(run, exacheck::reports::render_markdown);
  EXPECT_NE(md.find("**Verdict: INCOMPLETE**"), std::string::npos) << md;
  EXPECT_NE(md.find("Exit code 3:"), std::string::npos) << md;
  const auto listed = md.find("**2 case(s) never finished:**");
  ASSERT_NE(listed, std::string::npos) << md;
  EXPECT_NE(md.find("- hang `hang-5e6f7a8b` (pending)", listed), std::string::npos) << md;
  EXPECT_NE(md.find("- last `last-5e6f7a8b` (pending)", listed), std::string::npos) << md;
  EXPECT_LT(listed, md.find("## Failing checks"));  // right under the verdict

  const std::string html = rendered(run, exacheck::reports::render_html);
  EXPECT_NE(html.find("<div class=\"verdict o-INCOMPLETE\">Verdict: INCOMPLETE</div>"), std::string::npos);
  EXPECT_NE(html.find("2 case(s) never finished"), std::string::npos);
  EXPECT_NE(html.find("<li>hang <code>hang-5e6f7a8b</code> (pending)</li>"), std::string::npos);
}

TEST(unfinished_run_reports, markdown_says_when_every_case_was_recorded_but_the_run_was_not_finished) {
  json run = run_of({recorded_case("first", "PASS")});
  exacheck::update_summary(run, false, false);
  const std::string md = rendered(run, exacheck::reports::render_markdown);
  EXPECT_NE(md.find("**Verdict: INCOMPLETE**"), std::string::npos) << md;
  EXPECT_NE(md.find("stopped before its final analysis and save"), std::string::npos) << md;
}

TEST(unfinished_run_reports, junit_has_an_error_testcase_for_every_case_that_never_finished) {
  json run = run_of({recorded_case("first", "PASS"), pending_case("hang"), pending_case("last")});
  exacheck::update_summary(run, false, false);
  const std::string xml = rendered(run, exacheck::reports::render_junit);
  // 1 check + 2 unfinished cases + the run itself; 3 errors: a CI system goes red.
  EXPECT_NE(xml.find("<testsuites name=\"exacheck nightly\" tests=\"4\" failures=\"0\" errors=\"3\""),
            std::string::npos)
      << xml;
  const auto hang = xml.find("<testsuite name=\"hang-5e6f7a8b\" tests=\"1\" failures=\"0\" errors=\"1\"");
  ASSERT_NE(hang, std::string::npos) << xml;
  EXPECT_NE(xml.find("<error message=\"never finished (status pending)", hang), std::string::npos) << xml;
  EXPECT_NE(xml.find("<testsuite name=\"last-5e6f7a8b\" tests=\"1\" failures=\"0\" errors=\"1\""),
            std::string::npos);
  EXPECT_NE(xml.find("<testcase classname=\"exacheck\" name=\"run complete\">"), std::string::npos);
  EXPECT_NE(xml.find("type=\"INCOMPLETE\">the run did not finish: 2 case(s) never finished</error>"),
            std::string::npos)
      << xml;
}

TEST(unfinished_run_reports, junit_of_a_complete_run_has_no_run_level_testcase) {
  json run = run_of({recorded_case("first", "PASS")});
  exacheck::update_summary(run, false, true);
  const std::string xml = rendered(run, exacheck::reports::render_junit);
  EXPECT_EQ(xml.find("run complete"), std::string::npos) << xml;
  EXPECT_EQ(xml.find("<error"), std::string::npos) << xml;
}

TEST(unfinished_run_reports, prometheus_run_series_say_not_passed_and_not_complete) {
  json run = run_of({recorded_case("first", "PASS"), pending_case("hang")});
  exacheck::update_summary(run, false, false);
  const auto file =
      exacheck::testing::parse_prometheus_text(rendered(run, exacheck::reports::render_prometheus));
  ASSERT_EQ(file.find("exacheck_run_exit_code").size(), 1u);
  EXPECT_EQ(file.find("exacheck_run_exit_code")[0].value, 3);
  ASSERT_EQ(file.find("exacheck_run_complete").size(), 1u);
  EXPECT_EQ(file.find("exacheck_run_complete")[0].value, 0);
  ASSERT_EQ(file.find("exacheck_run_unfinished_cases").size(), 1u);
  EXPECT_EQ(file.find("exacheck_run_unfinished_cases")[0].value, 1);
}
