// run_document_problem: the shape `exacheck report`, `compare` and `export-reference` rely on. Every run.json
// exacheck writes has none; a malformed one is named by its path inside the document, so that it is refused
// whole (never rendered in part, never written back with less than it had).
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "harness/io/files.hpp"
#include "harness/results/run_document.hpp"

namespace exacheck {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json golden(const std::string& name) {
  json run = parse_json_file((fs::path(EXACHECK_TEST_DATA_DIR) / "golden" / name).string());
  upgrade_run_document(run);
  return run;
}

TEST(run_document_check, every_shipped_run_document_has_no_problem) {
  for (const char* name : {"run_small.json", "run_small_v1.json", "run_fleet.json"})
    EXPECT_EQ(run_document_problem(golden(name)), std::nullopt) << name;
  // What the readers default may be absent: a hand-made document with cases only is fine.
  EXPECT_EQ(run_document_problem(json{{"cases", json::array()}}), std::nullopt);
  EXPECT_EQ(run_document_problem(json{{"cases", {{{"id", "a"}}}}, {"unknown_future_member", 1}}),
            std::nullopt);
}

TEST(run_document_check, a_malformed_document_is_named_by_the_first_bad_path) {
  const json run = golden("run_small.json");
  const auto problem_after = [&](const std::function<void(json&)>& change) {
    json changed = run;
    change(changed);
    return run_document_problem(changed).value_or("(no problem)");
  };
  EXPECT_EQ(run_document_problem(json::array()), "the document is a list, where an object is expected");
  EXPECT_EQ(problem_after([](json& r) { r.erase("cases"); }),
            ".cases is missing, where a list of the run's cases is expected");
  EXPECT_EQ(problem_after([](json& r) {
              r["cases"] = {{"a", 1}};
            }),
            ".cases is an object, where a list is expected");
  EXPECT_EQ(problem_after([](json& r) { r["cases"][1] = "gemm"; }),
            ".cases[1] is a string, where an object is expected");
  EXPECT_EQ(problem_after([](json& r) { r["cases"][0]["results"][0]["ranks"] = "all"; }),
            ".cases[0].results[0].ranks is a string, where a list is expected");
  EXPECT_EQ(
      problem_after([](json& r) { r["cases"][0]["results"][0]["ranks"][1]["values"]["tflops"] = "fast"; }),
      ".cases[0].results[0].ranks[1].values.tflops is a string, where a number or null is expected");
  EXPECT_EQ(problem_after([](json& r) { r["cases"][0]["results"][0]["metrics"][0]["unit"] = 3; }),
            ".cases[0].results[0].metrics[0].unit is an integer, where a string is expected");
  EXPECT_EQ(problem_after([](json& r) { r["cases"][0]["checks"][0]["outcome"] = nullptr; }),
            ".cases[0].checks[0].outcome is null, where a string is expected");
  EXPECT_EQ(problem_after([](json& r) { r["summary"]["counts"]["PASS"] = "ten"; }),
            ".summary.counts.PASS is a string, where an integer is expected");
  EXPECT_EQ(problem_after([](json& r) {
              r["provenance"]["hosts"] = {"node001", 2};
            }),
            ".provenance.hosts[1] is an integer, where a string is expected");
  EXPECT_EQ(problem_after([](json& r) { r["analysis"] = "stale"; }),
            ".analysis is a string, where an object is expected");
}

}  // namespace
}  // namespace exacheck
