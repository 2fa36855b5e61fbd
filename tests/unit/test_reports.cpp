// Renderers of run.json (reports/): golden files are the spec of each format; targeted tests pin the rules a
// reader relies on (verdict first, escaping, counts, tolerance of missing keys).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "harness/io/files.hpp"
#include "reports/analysis/format.hpp"
#include "reports/render/render.hpp"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;
namespace reports = exacheck::reports;

const fs::path golden_dir = fs::path(EXACHECK_TEST_DATA_DIR) / "golden";

json small_run() {
  return json::parse(exacheck::read_file((golden_dir / "run_small.json").string()));
}

std::string markdown_of(const json& run) {
  std::ostringstream out;
  reports::render_markdown(run, out);
  return out.str();
}
std::string junit_of(const json& run) {
  std::ostringstream out;
  reports::render_junit(run, out);
  return out.str();
}
std::string csv_of(const json& run) {
  std::ostringstream out;
  reports::render_csv(run, out);
  return out.str();
}

// EXACHECK_UPDATE_GOLDEN=1 rewrites the golden files from the renderers instead of comparing with them. Use
// it after an intended format change, then read the diff line by line before keeping it: the goldens are the
// spec.
void expect_matches_golden(const std::string& rendered, const std::string& golden_name) {
  const fs::path golden = golden_dir / golden_name;
  const char* update = std::getenv("EXACHECK_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    exacheck::write_file_atomically(golden.string(), rendered);
    std::cout << "rewrote " << golden << "\n";
    return;
  }
  EXPECT_EQ(rendered, exacheck::read_file(golden.string()))
      << "differs from " << golden << " (EXACHECK_UPDATE_GOLDEN=1 rewrites it)";
}

int count_of(const std::string& text, const std::string& needle) {
  int count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size()))
    ++count;
  return count;
}

// A run with one case and one check whose text fields all hold `text`.
json run_with_text_everywhere(const std::string& text) {
  json check = {{"metric", "busbw"},    {"params", {{"note", text}}}, {"value", 1.5},      {"unit", "GB/s"},
                {"reference", nullptr}, {"delta_pct", nullptr},       {"outcome", "FAIL"}, {"reason", text}};
  json test_case = {{"id", "case-" + text}, {"name", text},      {"benchmark", "allreduce"},
                    {"status", "error"},    {"outcome", "FAIL"}, {"message", text},
                    {"log_tail", text},     {"checks", {check}}};
  return {{"schema", "exacheck/run/v2"}, {"verdict", "FAIL"}, {"exit_code", 1}, {"cases", {test_case}}};
}

// ---- golden files ----

TEST(reports_golden, markdown_matches_golden) {
  expect_matches_golden(markdown_of(small_run()), "report_small.md");
}
TEST(reports_golden, junit_matches_golden) {
  expect_matches_golden(junit_of(small_run()), "junit_small.xml");
}
TEST(reports_golden, csv_matches_golden) {
  expect_matches_golden(csv_of(small_run()), "results_small.csv");
}

TEST(reports_golden, same_run_renders_the_same_bytes_after_a_json_round_trip) {
  const json run = small_run();
  const json reparsed = json::parse(run.dump());
  EXPECT_EQ(markdown_of(run), markdown_of(reparsed));
  EXPECT_EQ(junit_of(run), junit_of(reparsed));
  EXPECT_EQ(csv_of(run), csv_of(reparsed));
}

// ---- markdown ----

TEST(markdown_report, leads_with_verdict_exit_code_and_the_devices_needing_attention_before_any_result) {
  const std::string md = markdown_of(small_run());
  const auto verdict = md.find("**Verdict: INCORRECT**");
  const auto exit_code = md.find("Exit code 1:");
  const auto devices = md.find("## Devices needing attention");
  const auto totals = md.find("## System totals");
  const auto tables = md.find("## Results by benchmark");
  ASSERT_NE(verdict, std::string::npos);
  ASSERT_NE(exit_code, std::string::npos);
  ASSERT_NE(devices, std::string::npos);
  ASSERT_NE(tables, std::string::npos);
  EXPECT_LT(verdict, md.find("\n|"));  // before the first table of any kind
  EXPECT_LT(exit_code, devices);
  EXPECT_LT(devices, totals);
  EXPECT_LT(totals, tables);
  EXPECT_EQ(md.find("## Failing checks"),
            std::string::npos);  // every one is under its device, or tied to none
}

TEST(markdown_report, names_each_device_and_lists_every_failing_check_under_it_or_as_tied_to_none) {
  const std::string md = markdown_of(small_run());
  const std::string devices =
      md.substr(md.find("## Devices needing attention"), md.find("## System totals") - md.find("## Devices"));
  EXPECT_NE(
      devices.find("1 of 2 CPU rank(s) need attention, on 1 of 2 node(s); 3 failing check(s) not tied to one "
                   "device."),
      std::string::npos)
      << devices;
  EXPECT_NE(devices.find("| node001 | CPU 0 | — | — | INCORRECT | membw correctness "), std::string::npos)
      << devices;
  const auto device = devices.find("### node001 CPU 0: INCORRECT");
  const auto not_tied = devices.find("### Not tied to one device");
  ASSERT_NE(device, std::string::npos);
  ASSERT_NE(not_tied, std::string::npos);
  EXPECT_NE(devices.find("| INCORRECT | membw-8e4f2b19 |", device), std::string::npos);
  const std::string untied = devices.substr(not_tied);
  EXPECT_NE(untied.find("| FAIL | allreduce-5b21d0c4 | dtype=fp32 bytes=1048576 | busbw | 3.2 GB/s | slowest "
                        "rank 1 on node002, 1.04× the median rank |"),
            std::string::npos)
      << untied;
  EXPECT_NE(untied.find("| ERROR | flops-c0d1e2f3 |"), std::string::npos);
  EXPECT_NE(untied.find("| TIMEOUT | alltoall-a4b5c6d7 |"), std::string::npos);
  EXPECT_EQ(devices.find("| PASS |"), std::string::npos);
  EXPECT_EQ(devices.find("| SKIPPED |"), std::string::npos);
}

TEST(markdown_report, a_run_without_device_verdicts_lists_every_failing_check) {
  json run = small_run();
  run["analysis"].erase("device_verdicts");  // as an older exacheck wrote it
  const std::string md = markdown_of(run);
  EXPECT_EQ(md.find("## Devices needing attention"), std::string::npos);
  const std::string failing =
      md.substr(md.find("## Failing checks"), md.find("## System totals") - md.find("## Failing checks"));
  EXPECT_NE(failing.find("| allreduce-5b21d0c4 | dtype=fp32 bytes=1048576 | busbw |"), std::string::npos)
      << failing;
  EXPECT_NE(failing.find("| membw-8e4f2b19 |"), std::string::npos);
  EXPECT_NE(failing.find("| INCORRECT |"), std::string::npos);
  EXPECT_NE(failing.find("| flops-c0d1e2f3 |"), std::string::npos);
  EXPECT_NE(failing.find("| TIMEOUT |"), std::string::npos);
  EXPECT_EQ(failing.find("| PASS |"), std::string::npos);
  EXPECT_EQ(failing.find("| SKIPPED |"), std::string::npos);
  run["cases"] = json::array({run["cases"][0]});
  EXPECT_NE(markdown_of(run).find("## Failing checks\n\nNone.\n"), std::string::npos);
}

TEST(markdown_report, says_none_when_no_device_needs_attention) {
  json run = small_run();
  run["analysis"]["device_verdicts"] = {
      {"summary",
       {{"gpus", 2}, {"gpus_needing_attention", 0}, {"nodes", 2}, {"nodes_needing_attention", 0}}}};
  EXPECT_NE(
      markdown_of(run).find("## Devices needing attention\n\nNone: all 2 CPU rank(s) on 2 node(s) passed every "
                            "check that concerns them.\n\n## System totals"),
      std::string::npos)
      << markdown_of(run);
}

TEST(markdown_report, marks_a_synthetic_run_in_its_title) {
  json run = small_run();
  run["synthetic"] = true;
  EXPECT_EQ(markdown_of(run).rfind("# exacheck report: nightly-small — SYNTHETIC on epyc-7763-1s\n", 0), 0u);
}

TEST(markdown_report, missing_reference_and_delta_read_as_a_dash) {
  const std::string md = markdown_of(run_with_text_everywhere("x"));
  EXPECT_NE(md.find("| case-x | note=x | busbw | 1.5 GB/s | — | — | FAIL | — | x |"), std::string::npos)
      << md;
}

TEST(markdown_report, pipes_in_values_stay_inside_their_cell_and_log_tails_are_fenced) {
  const std::string md = markdown_of(run_with_text_everywhere("a|b\n```c"));
  EXPECT_NE(md.find("a\\|b<br>```c"), std::string::npos) << md;
  EXPECT_NE(md.find("````\na|b\n```c\n````\n"), std::string::npos) << md;  // fence longer than the ``` inside
}

// report.md quoted an argument holding a line break as it was: pasted into a shell, the line after the break
// ran as a command of its own. It quotes as report.html does (reports/analysis/format.hpp command_line_text).
TEST(markdown_report, a_command_line_argument_with_a_line_break_is_quoted_for_the_shell) {
  json run = small_run();
  run["provenance"]["command_line"] = {"exacheck", "run", "plan.yaml", "--notes", "rack4\nrm"};
  const std::string md = markdown_of(run);
  EXPECT_NE(md.find("- command line: `exacheck run plan.yaml --notes 'rack4\nrm'`\n"), std::string::npos)
      << md;
}

// ---- junit ----

TEST(junit_report, escapes_xml_special_characters_in_names_attributes_and_text) {
  const std::string xml = junit_of(run_with_text_everywhere("<&\"'>"));
  EXPECT_EQ(xml.find("<&\"'>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<testsuite name=\"case-&lt;&amp;&quot;&apos;&gt;\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure message=\"&lt;&amp;&quot;&apos;&gt;\" type=\"FAIL\">"), std::string::npos)
      << xml;
}

TEST(junit_report, newlines_survive_in_attributes_and_control_characters_are_replaced) {
  EXPECT_EQ(reports::xml_attribute("a\nb\tc"), "a&#10;b&#9;c");
  EXPECT_EQ(reports::xml_text("a\nb"), "a\nb");
  EXPECT_EQ(reports::xml_text("\x1b[31mred"), "\xEF\xBF\xBD[31mred");
}

TEST(junit_report, failure_messages_name_the_devices_first_or_say_tied_to_none) {
  const std::string xml = junit_of(small_run());
  EXPECT_NE(xml.find("<failure message=\"node001 CPU 0: triad: a[1048576] = 4.5"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure message=\"not tied to one device; slowest rank 1 on node002, 1.04× the median "
                     "rank: 3.2 GB/s &lt; 9 GB/s"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<error message=\"not tied to one device: the worker was killed by signal 11"),
            std::string::npos);
  // A check that names five or more devices lists five, and counts the rest.
  json run = small_run();
  json& check = run["cases"][1]["checks"].back();
  check["device_count"] = 7;
  check["devices"] = json::array();
  for (int g = 0; g < 7; ++g)
    check["devices"].push_back({{"host", "node00" + std::to_string(g)},
                                {"gpu", g},
                                {"uuid", "GPU-" + std::to_string(g)},
                                {"reason", "slow"}});
  const std::string seven = junit_of(run);
  EXPECT_NE(
      seven.find("message=\"node000 GPU 0 (GPU-0): slow; node001 GPU 1 (GPU-1): slow; node002 GPU 2 (GPU-2): "
                 "slow; node003 GPU 3 (GPU-3): slow; node004 GPU 4 (GPU-4): slow; and 2 more\""),
      std::string::npos)
      << seven;
  EXPECT_NE(seven.find("node006 GPU 6 (GPU-6): slow</failure>"), std::string::npos);  // the body has them all
}

TEST(junit_report, counts_failures_errors_and_skips_per_case_and_in_total) {
  const std::string xml = junit_of(small_run());
  EXPECT_NE(xml.find("<testsuites name=\"exacheck nightly-small\" tests=\"18\" failures=\"2\" errors=\"2\" "
                     "skipped=\"1\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("name=\"gemm-3f9c1a7e\" tests=\"5\" failures=\"0\" errors=\"0\" skipped=\"1\""),
            std::string::npos);
  EXPECT_NE(xml.find("name=\"allreduce-5b21d0c4\" tests=\"8\" failures=\"1\" errors=\"0\" skipped=\"0\""),
            std::string::npos);
  EXPECT_NE(xml.find("name=\"flops-c0d1e2f3\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\""),
            std::string::npos);
  EXPECT_EQ(count_of(xml, "<testcase "), 18);
  EXPECT_EQ(count_of(xml, "<failure "), 2);
  EXPECT_EQ(count_of(xml, "<error "), 2);
  EXPECT_EQ(count_of(xml, "<skipped "), 1);
  EXPECT_EQ(count_of(xml, "<system-out>"), 2);  // the crashed and the timed-out case's log tails
}

// ---- csv ----

TEST(csv_report, quotes_fields_with_commas_quotes_and_newlines_as_rfc_4180_says) {
  EXPECT_EQ(reports::csv_field("plain"), "plain");
  EXPECT_EQ(reports::csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(reports::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(reports::csv_field("two\nlines"), "\"two\nlines\"");
  const std::string csv = csv_of(run_with_text_everywhere("a,\"b\""));
  EXPECT_NE(csv.find("\"case-a,\"\"b\"\"\",\"a,\"\"b\"\"\",allreduce,\"note=a,\"\"b\"\"\""),
            std::string::npos)
      << csv;
}

TEST(csv_report, has_one_row_per_metric_per_rank_and_the_check_delta_on_the_judged_rank_only) {
  const std::string csv = csv_of(small_run());
  EXPECT_EQ(csv.rfind("case_id,case_name,benchmark,params,rank,host,gpu,uuid,metric,value,unit,", 0), 0u);
  const std::string point = "gemm-3f9c1a7e,gemm,gemm,dtype=fp64;m=2048;n=2048;k=2048;transa=n;transb=n,";
  EXPECT_EQ(count_of(csv, point), 3);  // two ranks' tflops and the correctness check
  // A CPU rank has no GPU index or UUID.
  EXPECT_NE(csv.find(point + "0,node001,,,tflops,1.69762,TFLOP/s,median,higher,1.6,TFLOP/s,1.52,,,PASS,\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(
      csv.find(point +
               "1,node002,,,tflops,1.64087,TFLOP/s,median,higher,1.6,TFLOP/s,1.52,,2.5543749999999976,PASS,"
               "1.641 TFLOP/s within bounds"),
      std::string::npos)
      << csv;
}

// Two nodes of two GPUs; `scope` of the point. Rank r on node (1 + r / 2), GPU r % 2, value 10 + r.
json two_node_run(const std::string& scope) {
  json ranks = json::array();
  for (int r = 0; r < 4; ++r)
    ranks.push_back({{"rank", r},
                     {"host", "node" + std::to_string(1 + r / 2)},
                     {"local_rank", r % 2},
                     {"device", {{"kind", "gpu"}, {"index", r % 2}, {"uuid", "GPU-" + std::to_string(r)}}},
                     {"values", {{"p2p_bandwidth", scope == "node" ? 10 + r / 2 : 10 + r}}}});
  const json point = {{"params", {{"direction", "p2p"}}},
                      {"scope", scope},
                      {"metrics", {{{"name", "p2p_bandwidth"}, {"unit", "GB/s"}}}},
                      {"ranks", ranks}};
  return {
      {"cases", {{{"id", "copybw-1"}, {"name", "copybw"}, {"benchmark", "copybw"}, {"results", {point}}}}}};
}

TEST(csv_report, a_rank_row_names_its_gpu_index_and_uuid) {
  const std::string csv = csv_of(two_node_run("rank"));
  EXPECT_NE(csv.find("copybw-1,copybw,copybw,direction=p2p,3,node2,1,GPU-3,p2p_bandwidth,13,GB/s,"),
            std::string::npos)
      << csv;
  EXPECT_EQ(count_of(csv, "p2p_bandwidth,"), 4);
}

TEST(csv_report, a_node_scoped_value_is_one_row_per_node_not_repeated_per_rank) {
  const std::string csv = csv_of(two_node_run("node"));
  EXPECT_EQ(count_of(csv, "p2p_bandwidth,"), 2) << csv;
  EXPECT_NE(csv.find("copybw-1,copybw,copybw,direction=p2p,0,node1,,,p2p_bandwidth,10,GB/s,"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("copybw-1,copybw,copybw,direction=p2p,2,node2,,,p2p_bandwidth,11,GB/s,"),
            std::string::npos)
      << csv;
}

TEST(csv_report, doubles_read_back_to_the_same_value) {
  for (const double value : {0.1, 1.0 / 3.0, 6.02214076e23, 3.1998e-9, 1048576.0})
    EXPECT_EQ(std::stod(exacheck::exact_number(json(value))), value);
  EXPECT_EQ(exacheck::exact_number(json(1048576)), "1048576");
}

TEST(csv_report, missing_reference_and_delta_are_empty_fields) {
  const std::string csv = csv_of(run_with_text_everywhere("x"));
  EXPECT_NE(csv.find("case-x,x,allreduce,note=x,,,,,busbw,1.5,GB/s,,,,,,,,FAIL,x\n"), std::string::npos)
      << csv;
}

// ---- every renderer ----

TEST(reports_tolerance, a_run_without_cases_or_optional_keys_renders_in_every_format) {
  for (const json& run :
       {json::object(), json{{"schema", "exacheck/run/v2"}, {"cases", json::array()}},
        json{{"cases", {json::object()}}}, json{{"cases", {{{"checks", {json::object()}}}}}}}) {
    EXPECT_NE(markdown_of(run).find("**Verdict: —**"), std::string::npos);
    EXPECT_NE(junit_of(run).find("</testsuites>\n"), std::string::npos);
    EXPECT_EQ(csv_of(run).rfind("case_id,", 0), 0u);
  }
}

TEST(reports_tolerance, null_where_a_string_or_number_is_expected_does_not_throw) {
  json run = small_run();
  for (auto& test_case : run["cases"])
    for (auto& check : test_case["checks"])
      for (const char* key :
           {"value", "unit", "reference", "delta_pct", "worst_rank", "worst_host", "params"})
        check[key] = nullptr;
  run["provenance"] = nullptr;
  EXPECT_NO_THROW(markdown_of(run));
  EXPECT_NO_THROW(junit_of(run));
  EXPECT_NO_THROW(csv_of(run));
}

TEST(report_format, numbers_for_people_have_about_four_significant_digits) {
  EXPECT_EQ(reports::readable_number(0.0411774), "0.04118");
  EXPECT_EQ(reports::readable_number(19.8427), "19.84");
  EXPECT_EQ(reports::readable_number(12345.6), "12346");
  EXPECT_EQ(reports::readable_number(2.0), "2");
  EXPECT_EQ(reports::readable_number(0.0), "0");
  EXPECT_EQ(reports::readable_number(2.5e-7), "2.5e-07");
  EXPECT_EQ(reports::readable_delta_pct(json(-68.0019)), "-68.0%");
  EXPECT_EQ(reports::readable_delta_pct(json(nullptr)), "—");
}

TEST(report_format, params_read_dtype_and_gemm_shape_first_then_alphabetically) {
  const json params = {{"k", 3}, {"bytes", json::array({8, 16})}, {"n", 2}, {"m", 1}, {"dtype", "fp64"}};
  EXPECT_EQ(reports::params_text(params), "dtype=fp64 m=1 n=2 k=3 bytes=[8,16]");
  EXPECT_EQ(reports::params_text(params, ";"), "dtype=fp64;m=1;n=2;k=3;bytes=[8,16]");
}

// What a suite derived is shown next to its point in report.md, and names nothing: the JUnit test names and
// the check rows' params stay the point's identity.
TEST(markdown_report, shows_derived_values_next_to_the_point_and_keeps_names_to_the_identity) {
  json run = small_run();
  json& allreduce = run["cases"][1];
  ASSERT_EQ(allreduce["benchmark"], "allreduce");
  allreduce["results"][1]["derived"] = {{"bytes", 1048572}};
  allreduce["results"][1]["ranks"][0]["derived"] = {{"threads", 2}};
  allreduce["results"][0]["derived"] = {{"bytes", 8}};  // moved as asked: nothing to add
  const std::string md = markdown_of(run);
  EXPECT_NE(md.find("| dtype=fp32 bytes=8 | busbw |"), std::string::npos) << md;
  EXPECT_NE(md.find("| dtype=fp32 bytes=1048576 (derived: bytes=1048572 threads=per rank) | busbw |"),
            std::string::npos)
      << md;
  EXPECT_EQ(junit_of(run), junit_of(small_run()));
}

// ---- render_all ----

TEST(render_all, writes_markdown_html_junit_csv_and_prometheus_into_the_run_directory) {
  const fs::path dir = fs::temp_directory_path() / ("exacheck_test_reports_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const json run = small_run();
  const auto paths = reports::render_all(run, dir.string());
  ASSERT_EQ(paths.size(), 5u);
  EXPECT_EQ(paths[0], (dir / "report.md").string());
  EXPECT_EQ(paths[1], (dir / "report.html").string());
  EXPECT_EQ(paths[2], (dir / "junit.xml").string());
  EXPECT_EQ(paths[3], (dir / "results.csv").string());
  EXPECT_EQ(paths[4], (dir / "metrics.prom").string());
  EXPECT_EQ(exacheck::read_file(paths[0]), markdown_of(run));
  EXPECT_EQ(exacheck::read_file(paths[2]), junit_of(run));
  EXPECT_EQ(exacheck::read_file(paths[3]), csv_of(run));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()),
            5);  // no temporary left over
  fs::remove_all(dir);
}

TEST(render_all, writes_every_other_report_when_one_cannot_be_written_and_then_throws) {
  const fs::path dir =
      fs::temp_directory_path() / ("exacheck_test_reports_fail_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "report.html" / "in the way");  // rename onto a non-empty directory fails
  const json run = small_run();
  EXPECT_THROW(reports::render_all(run, dir.string()), std::runtime_error);
  EXPECT_EQ(exacheck::read_file((dir / "report.md").string()), markdown_of(run));
  EXPECT_EQ(exacheck::read_file((dir / "junit.xml").string()), junit_of(run));
  EXPECT_EQ(exacheck::read_file((dir / "results.csv").string()), csv_of(run));
  EXPECT_TRUE(fs::exists(dir / "metrics.prom"));
  EXPECT_TRUE(fs::is_directory(dir / "report.html"));
  for (const auto& entry : fs::directory_iterator(dir))  // no temporary left over
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << entry.path();
  fs::remove_all(dir);
}

}  // namespace
