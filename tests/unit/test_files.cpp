// parse_json_file (a JSON file parsed through a buffer, never held whole) and without_unreported_rank_fields
// (the filter `exacheck report` parses run.json with; tests/unit/test_report_filter.cpp checks that no report
// changes).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "harness/files.hpp"

namespace {
namespace fs = std::filesystem;

class ParseJsonFile : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() / ("exacheck-unit-files-" + std::to_string(::getpid()));
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  std::string write(const std::string& name, const std::string& text) {
    const auto path = (m_dir / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  fs::path m_dir;
};

TEST_F(ParseJsonFile, SameDocumentAsParsingTheText) {
  // Longer than the 1 MiB buffer, so that the parse crosses chunk boundaries.
  nlohmann::json document = {{"schema", "x"}, {"values", nlohmann::json::array()}};
  for (int i = 0; i < 60000; ++i)
    document["values"].push_back({{"i", i}, {"name", "value number " + std::to_string(i)}});
  const std::string text = document.dump(1);
  ASSERT_GT(text.size(), std::size_t{1} << 21);
  EXPECT_EQ(exacheck::parse_json_file(write("big.json", text)), nlohmann::json::parse(text));
  EXPECT_EQ(exacheck::parse_json_file(write("small.json", "[1, \"a\", {\"b\": null}]")),
            nlohmann::json::parse("[1, \"a\", {\"b\": null}]"));
}

TEST_F(ParseJsonFile, InvalidOrMissingFilesThrow) {
  EXPECT_THROW(exacheck::parse_json_file(write("bad.json", "{\"a\": ")), nlohmann::json::parse_error);
  EXPECT_THROW(exacheck::parse_json_file(write("empty.json", "")), nlohmann::json::parse_error);
  try {
    exacheck::parse_json_file((m_dir / "missing.json").string());
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.json"), std::string::npos) << e.what();
  }
}

TEST_F(ParseJsonFile, WithoutUnreportedRankFieldsDropsOnlyRankRecordMembers) {
  const nlohmann::json rank = {{"rank", 0},
                               {"host", "node001"},
                               {"values", {{"time", 1.5}}},
                               {"samples", {{{"name", "time"}, {"values", {1.4, 1.5}}}}},
                               {"statistics", {{"time", {{"median", 1.5}}}}},  // a v1 file's
                               {"correctness", {{"passed", true}}},
                               {"warnings", nlohmann::json::array()},
                               {"skipped", nullptr},
                               {"backend", "cpu"}};
  const nlohmann::json run = {
      {"schema", "exacheck/run/v2"},
      {"plan", {{"cases", {{{"results", {{{"ranks", {{{"samples", 5}, {"statistics", 1}}}}}}}}}}}},
      {"analysis", {{"metrics", {{{"devices", {{{"samples", 3}, {"statistics", 2}}}}}}}}},
      {"cases", {{{"id", "a"}, {"results", {{{"params", {{"n", 1}}}, {"ranks", {rank, rank}}}}}}}}};
  const auto parsed =
      exacheck::parse_json_file(write("run.json", run.dump(1)), exacheck::without_unreported_rank_fields());
  nlohmann::json expected = run;
  for (auto& r : expected["cases"][0]["results"][0]["ranks"]) {
    for (const char* key : {"samples", "statistics", "correctness", "warnings", "skipped", "backend"})
      r.erase(key);
  }
  EXPECT_EQ(parsed, expected);
  EXPECT_TRUE(parsed["plan"]["cases"][0]["results"][0]["ranks"][0].contains("samples"));
}

}  // namespace

namespace {

TEST(JsonDigest, EqualValuesHaveEqualDigestsAndChangesShow) {
  const nlohmann::json built = {{"n", 3}, {"x", 0.5}, {"list", {1, "a", nullptr, true}}};
  const nlohmann::json parsed = nlohmann::json::parse(built.dump());  // 3 parsed back as unsigned
  ASSERT_EQ(built, parsed);
  EXPECT_EQ(exacheck::json_digest(built), exacheck::json_digest(parsed));
  EXPECT_EQ(exacheck::json_digest(nlohmann::json(3.0)), exacheck::json_digest(nlohmann::json(3)));
  for (const auto& changed : {nlohmann::json{{"n", 4}, {"x", 0.5}, {"list", {1, "a", nullptr, true}}},
                              nlohmann::json{{"n", 3}, {"x", 0.5}, {"list", {"a", 1, nullptr, true}}},
                              nlohmann::json{{"n", 3}, {"y", 0.5}, {"list", {1, "a", nullptr, true}}},
                              nlohmann::json{{"n", 3}, {"x", 0.5}, {"list", {1, "a", false, true}}},
                              nlohmann::json{{"n", 3}, {"x", 0.5}, {"list", {1, "a", nullptr}}}})
    EXPECT_NE(exacheck::json_digest(changed), exacheck::json_digest(built)) << changed.dump();
}

}  // namespace
