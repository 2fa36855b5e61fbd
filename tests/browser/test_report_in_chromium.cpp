// report.html in a real browser (headless Chromium, label `browser`): `exacheck report` renders the fleet
// fixture, the page loads with no script error, no console error and no request beyond itself, fits the
// printed page's width, and leaves a screenshot (PNG) and a print (PDF) under the build tree for people to
// look at. A simulated machine of 2,100 GPUs prints on at most 40 A4 pages, each of which says SYNTHETIC,
// with names whole. A broken page is checked first, so that a detector that cannot fail is caught. Skipped,
// visibly, where Chromium is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../support/cli_runner.hpp"
#include "../support/headless_chromium.hpp"
#include "../support/pdf_text.hpp"
#include "harness/io/files.hpp"

namespace {

namespace fs = std::filesystem;
using exacheck::test::headless_chromium;
using nlohmann::json;

const fs::path artifacts_dir = fs::path(EXACHECK_TEST_BINARY_DIR) / "browser";

#define SKIP_WITHOUT_CHROMIUM(binary)                  \
  const auto binary = exacheck::test::find_chromium(); \
  if (!binary) GTEST_SKIP() << "chromium is not installed (apt-get install chromium; or EXACHECK_CHROMIUM)"

struct page_visit {
  std::vector<std::string> problems;  // one line per error, exception, failed load or request
  json facts;                         // measured in the page
  int pdf_pages = 0;
  std::vector<std::string> page_texts;  // what each printed page says
};

std::string first_text(const json& args) {
  if (!args.is_array() || args.empty()) return "";
  const json& arg = args[0];
  return arg.contains("value")
             ? (arg["value"].is_string() ? arg["value"].get<std::string>() : arg["value"].dump())
             : arg.value("description", "");
}

std::vector<std::string> problems_in(const std::vector<json>& events, const std::string& page_url) {
  std::vector<std::string> problems;
  std::map<std::string, std::string> urls;  // request id -> URL
  for (const auto& event : events) {
    const std::string method = event.value("method", "");
    const json params = event.value("params", json::object());
    if (method == "Runtime.exceptionThrown") {
      const json details = params.value("exceptionDetails", json::object());
      problems.push_back(
          "exception: " +
          details.value("exception", json::object()).value("description", details.value("text", "")));
    } else if (method == "Runtime.consoleAPICalled") {
      const std::string type = params.value("type", "");
      if (type == "error" || type == "warning" || type == "assert")
        problems.push_back("console." + type + ": " + first_text(params.value("args", json::array())));
    } else if (method == "Log.entryAdded") {
      const json entry = params.value("entry", json::object());
      const std::string level = entry.value("level", "");
      if (level == "error" || level == "warning")
        problems.push_back("log " + level + ": " + entry.value("text", "") + " " + entry.value("url", ""));
    } else if (method == "Network.requestWillBeSent") {
      const std::string url = params.value("request", json::object()).value("url", "");
      urls[params.value("requestId", "")] = url;
      if (url != page_url && url.rfind("data:", 0) != 0)
        problems.push_back("request beyond the page: " + url);
    } else if (method == "Network.loadingFailed") {
      problems.push_back("failed load: " + urls[params.value("requestId", "")] + " " +
                         params.value("errorText", "") + " " + params.value("blockedReason", ""));
    }
  }
  return problems;
}

// Opens `url`, takes a full-page screenshot at 1400 px wide and a print to PDF, and says what went wrong.
page_visit visit(const std::string& chromium, const std::string& url, const fs::path& png,
                 const fs::path& pdf) {
  fs::create_directories(artifacts_dir);
  const fs::path profile = artifacts_dir / ("profile-" + png.stem().string());
  fs::remove_all(profile);
  std::optional<headless_chromium> started;
  started.emplace(chromium, profile, artifacts_dir / (png.stem().string() + "-chromium.log"));
  headless_chromium& browser = *started;
  const std::string target = browser.call("Target.createTarget", {{"url", "about:blank"}})["targetId"];
  const std::string session =
      browser.call("Target.attachToTarget", {{"targetId", target}, {"flatten", true}})["sessionId"];
  for (const char* domain : {"Page.enable", "Runtime.enable", "Log.enable", "Network.enable"})
    browser.call(domain, json::object(), session);
  const json screen = {{"width", 1400}, {"height", 1000}, {"deviceScaleFactor", 1}, {"mobile", false}};
  browser.call("Emulation.setDeviceMetricsOverride", screen, session);
  const json navigated = browser.call("Page.navigate", {{"url", url}}, session);
  page_visit result;
  if (navigated.contains("errorText"))
    result.problems.push_back("navigation: " + navigated["errorText"].dump());
  browser.wait_for_event("Page.loadEventFired");
  const auto evaluate = [&](const std::string& expression) {
    return browser
        .call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}}, session)["result"]
        .value("value", json());
  };
  const std::string facts_script =
      "JSON.stringify({scripts: document.scripts.length, svgs: document.querySelectorAll('svg.chart').length,"
      " resources: performance.getEntriesByType('resource').map(e => e.name),"
      " overflow_px: document.documentElement.scrollWidth - document.documentElement.clientWidth,"
      " height_px: document.documentElement.scrollHeight, title: document.title})";
  result.facts = json::parse(evaluate(facts_script).get<std::string>());
  const json full_page = {
      {"x", 0}, {"y", 0}, {"width", 1400}, {"height", result.facts["height_px"]}, {"scale", 1}};
  const json shot =
      browser.call("Page.captureScreenshot",
                   {{"format", "png"}, {"captureBeyondViewport", true}, {"clip", full_page}}, session);
  std::ofstream(png, std::ios::binary) << exacheck::test::base64_decoded(shot["data"]);
  // Print: A4 less 12 mm margins is about 703 CSS px wide; nothing may stick out of it.
  browser.call("Emulation.setEmulatedMedia", {{"media", "print"}}, session);
  browser.call("Emulation.setDeviceMetricsOverride",
               {{"width", 703}, {"height", 1000}, {"deviceScaleFactor", 1}, {"mobile", false}}, session);
  result.facts["print_overflow_px"] =
      evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");
  // What sticks out, for the failure message: the outermost elements past the right edge.
  result.facts["print_overflowing"] = json::parse(
      evaluate(
          "JSON.stringify([...document.querySelectorAll('body *')].filter(e => "
          "e.getBoundingClientRect().right > "
          "document.documentElement.clientWidth + 1 && !(e.parentElement.getBoundingClientRect().right > "
          "document.documentElement.clientWidth + 1)).slice(0, 8).map(e => e.tagName + '.' + e.className + ' "
          "' + "
          "(e.textContent || '').slice(0, 60)))")
          .get<std::string>());
  const json print_page = {{"x", 0},
                           {"y", 0},
                           {"width", 703},
                           {"height", evaluate("document.documentElement.scrollHeight")},
                           {"scale", 1}};
  const json print_shot =
      browser.call("Page.captureScreenshot",
                   {{"format", "png"}, {"captureBeyondViewport", true}, {"clip", print_page}}, session);
  std::ofstream(png.parent_path() / (png.stem().string() + "-print.png"), std::ios::binary)
      << exacheck::test::base64_decoded(print_shot["data"]);
  browser.call("Emulation.clearDeviceMetricsOverride", json::object(), session);
  const json printed =
      browser.call("Page.printToPDF", {{"preferCSSPageSize", true}, {"printBackground", true}}, session, 120);
  const std::string pdf_bytes = exacheck::test::base64_decoded(printed["data"]);
  std::ofstream(pdf, std::ios::binary) << pdf_bytes;
  for (auto at = pdf_bytes.find("/Type /Page"); at != std::string::npos;
       at = pdf_bytes.find("/Type /Page", at + 1))
    result.pdf_pages += pdf_bytes.compare(at, 12, "/Type /Pages") != 0;
  result.page_texts = exacheck::test::pdf_page_texts(pdf_bytes);
  const auto more = problems_in(browser.events(), url);
  result.problems.insert(result.problems.end(), more.begin(), more.end());
  started.reset();  // the browser has exited: its profile can go
  fs::remove_all(profile);
  return result;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += "  " + line + "\n";
  return text;
}

// The detector must see what a broken page does: a script error, a missing local file, a stylesheet from the
// net.
TEST(browser, a_broken_page_is_detected_as_broken) {
  SKIP_WITHOUT_CHROMIUM(chromium);
  fs::create_directories(artifacts_dir);
  const fs::path page = artifacts_dir / "broken.html";
  std::ofstream(page)
      << "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>broken</title>"
         "<link rel=\"stylesheet\" href=\"https://cdn.example.invalid/style.css\"></head><body>"
         "<img src=\"missing-image.png\"><script>undefined_function();</script></body></html>";
  const auto result =
      visit(*chromium, "file://" + page.string(), artifacts_dir / "broken.png", artifacts_dir / "broken.pdf");
  const std::string all = joined(result.problems);
  EXPECT_NE(all.find("undefined_function"), std::string::npos) << all;
  EXPECT_NE(all.find("missing-image.png"), std::string::npos) << all;
  EXPECT_NE(all.find("cdn.example.invalid"), std::string::npos) << all;
}

TEST(browser, report_html_loads_nothing_logs_no_error_and_prints) {
  SKIP_WITHOUT_CHROMIUM(chromium);
  const fs::path run_dir = artifacts_dir / "run_fleet";
  fs::remove_all(run_dir);
  fs::create_directories(run_dir);
  fs::copy_file(fs::path(EXACHECK_TEST_DATA_DIR) / "golden" / "run_fleet.json", run_dir / "run.json");
  const auto rendered =
      exacheck::testing::run_cli({"report", run_dir.string()}, artifacts_dir / "report.log");
  ASSERT_EQ(rendered.exit_code, 1) << rendered.output;  // the verdict's exit code: the fleet run FAILs
  const fs::path report = run_dir / "report.html";
  ASSERT_TRUE(fs::exists(report));
  const fs::path png = artifacts_dir / "report_fleet.png", pdf = artifacts_dir / "report_fleet.pdf";
  const auto result = visit(*chromium, "file://" + report.string(), png, pdf);
  std::cout << "screenshot: " << png.string() << "\nprint: " << pdf.string()
            << " (as seen on screen: " << (artifacts_dir / "report_fleet-print.png").string() << ")\n";
  EXPECT_TRUE(result.problems.empty()) << "the page reported:\n" << joined(result.problems);
  EXPECT_EQ(result.facts["scripts"], 0);
  EXPECT_EQ(result.facts["resources"], json::array()) << "report.html must load nothing";
  EXPECT_EQ(result.facts["title"], "exacheck report: acceptance — SYNTHETIC on h100-sxm");
  EXPECT_GE(result.facts["svgs"].get<int>(), 10 + 4);  // 5 metrics × (GPUs + distribution), 2 × 2 collectives
  EXPECT_LE(result.facts["overflow_px"].get<int>(), 0) << "wider than a 1400 px window";
  EXPECT_LE(result.facts["print_overflow_px"].get<int>(), 0)
      << "wider than an A4 page: " << result.facts["print_overflowing"].dump(1);
  EXPECT_GT(fs::file_size(png), 50u * 1024) << "a blank screenshot?";
  EXPECT_GE(result.pdf_pages, 5) << "page breaks between sections";
}

// The acceptance plan on a simulated 525 × 4 machine with 3 planted slow GPUs: 126 per-GPU metrics, 1,600
// checks. The page stays under 10 MB and prints on at most 40 A4 pages (it was 33 MB and 328 pages: a heatmap
// and a histogram per metric), with the 3 GPUs leading, SYNTHETIC on every page, and names never split.
TEST(browser, a_simulated_2100_gpu_report_prints_on_at_most_40_pages_each_marked_synthetic) {
  SKIP_WITHOUT_CHROMIUM(chromium);
  const fs::path run_dir = artifacts_dir / "run_2100";
  fs::remove_all(run_dir);
  const fs::path source(EXACHECK_SOURCE_DIR);
  const auto simulated = exacheck::testing::run_cli(
      {"simulate", "--nodes", "525", "--gpus-per-node", "4", "--system",
       (source / "configs/systems/h100-sxm.yaml").string(), "--out", run_dir.string()},
      artifacts_dir / "simulate_2100.log");
  ASSERT_EQ(simulated.exit_code, 1) << simulated.output;  // the planted GPUs fail
  const fs::path report = run_dir / "report.html";
  EXPECT_LE(fs::file_size(report), 10u * 1000 * 1000);
  const json run = json::parse(exacheck::read_file((run_dir / "run.json").string()));
  const json& verdicts = run["analysis"]["device_verdicts"];
  ASSERT_EQ(verdicts["attention"].size(), 3u);

  // The devices section names exactly the 3 planted GPUs, one row each.
  const std::string html = exacheck::read_file(report.string());
  const auto devices = html.find("<section class=\"lead\" id=\"devices\">");
  ASSERT_NE(devices, std::string::npos);
  const std::string table = html.substr(devices, html.find("</table>", devices) - devices);
  int rows = 0;
  for (auto at = table.find("<tr><td>"); at != std::string::npos; at = table.find("<tr><td>", at + 1)) ++rows;
  EXPECT_EQ(rows, 3) << table;
  std::vector<std::string> names;  // what must print whole: the planted GPUs' hosts and serials
  for (const auto& planted : run["synthetic_detail"]["planted"]) {
    const std::string host = planted["host"];
    EXPECT_NE(table.find(">" + host + "</a></td><td>" + std::to_string(planted["gpu"].get<int>()) + "</td>"),
              std::string::npos)
        << host;
    names.push_back(host);
  }
  for (const auto& entry : verdicts["attention"]) {
    const json& gpu = verdicts["gpus"][entry["gpu"].get<std::size_t>()];
    if (gpu["serial"].is_string()) names.push_back(gpu["serial"]);
  }

  const fs::path png = artifacts_dir / "report_2100.png", pdf = artifacts_dir / "report_2100.pdf";
  const auto result = visit(*chromium, "file://" + report.string(), png, pdf);
  std::cout << "print: " << pdf.string() << " (" << result.pdf_pages << " pages, report.html "
            << fs::file_size(report) << " bytes)\n";
  EXPECT_TRUE(result.problems.empty()) << "the page reported:\n" << joined(result.problems);
  EXPECT_LE(result.facts["print_overflow_px"].get<int>(), 0)
      << "wider than an A4 page: " << result.facts["print_overflowing"].dump(1);
  EXPECT_GE(result.pdf_pages, 5);
  EXPECT_LE(result.pdf_pages, 40);
  ASSERT_EQ(result.page_texts.size(), static_cast<std::size_t>(result.pdf_pages));
  for (std::size_t page = 0; page < result.page_texts.size(); ++page)
    EXPECT_NE(result.page_texts[page].find("SYNTHETIC: generated by exacheck simulate, not measured"),
              std::string::npos)
        << "printed page " << page + 1 << " does not say SYNTHETIC:\n"
        << result.page_texts[page].substr(0, 400);
  // Host names and serial numbers are words: printed whole on the first pages (the devices section), never
  // broken over two lines of a narrow column.
  std::string first_pages;
  for (std::size_t page = 0; page < result.page_texts.size() && page < 3; ++page)
    first_pages += result.page_texts[page];
  for (const auto& name : names) EXPECT_NE(first_pages.find(name), std::string::npos) << name;
  EXPECT_NE(first_pages.find("triad_bandwidth"), std::string::npos);
}

}  // namespace
