// parse_json_file (a JSON file parsed through a buffer, never held whole) and read_run_for_report (how
// `exacheck report` reads run.json: without what it does not read; tests/unit/test_report_filter.cpp checks
// that no report changes).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "harness/core/errors.hpp"
#include "harness/io/files.hpp"
#include "harness/results/run_read.hpp"

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
  EXPECT_THROW(exacheck::parse_json_file(write("bad.json", "{\"a\": ")), exacheck::usage_error);
  EXPECT_THROW(exacheck::parse_json_file(write("empty.json", "")), exacheck::usage_error);
  try {
    exacheck::parse_json_file((m_dir / "missing.json").string());
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.json"), std::string::npos) << e.what();
  }
}

// The message of what `call` throws, or "" (a failure) when it throws nothing.
template <class Call>
std::string thrown_message(Call&& call) {
  try {
    call();
  } catch (const exacheck::usage_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no usage_error was thrown";
  return "";
}

TEST_F(ParseJsonFile, InvalidJsonNamesPathLineAndColumnOnOneLineOfUtf8) {
  const std::string path = write("bad.json", "{\n  \"a\": [1,\n  \"b\xff\"]\n}");
  const std::string message = thrown_message([&] { exacheck::parse_json_file(path); });
  EXPECT_NE(message.find(path + ":3:"), std::string::npos) << message;
  EXPECT_NE(message.find("not valid JSON"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(exacheck::first_invalid_utf8(message), std::nullopt) << message;
}

TEST_F(ParseJsonFile, NestingDeeperThanTheLimitIsRefusedWithItsPlace) {
  // 200,000 levels overflowed the stack of `exacheck report` (its copies and walks recurse per level).
  const std::size_t deep = 200000;
  const std::string path =
      write("deep.json", "{\"cases\":\n" + std::string(deep, '[') + std::string(deep, ']') + "}");
  const std::string message = thrown_message([&] { exacheck::parse_json_file(path); });
  EXPECT_NE(message.find(path + ":2:" + std::to_string(exacheck::max_json_nesting)), std::string::npos)
      << message;
  EXPECT_NE(message.find("nested deeper than"), std::string::npos) << message;
  // As deep inside what `exacheck report` does not build (the old analysis, a rank's samples): refused too.
  const std::string in_analysis =
      write("deep_analysis.json",
            "{\"analysis\":\n{\"x\":" + std::string(deep, '[') + std::string(deep, ']') + "}}");
  EXPECT_NE(thrown_message([&] { exacheck::read_run_for_report(in_analysis); }).find("nested deeper than"),
            std::string::npos);
  // At the limit itself it parses, both ways.
  const std::size_t at_limit = exacheck::max_json_nesting - 1;  // within the top-level object
  const std::string fine =
      write("fine.json", "{\"cases\":" + std::string(at_limit, '[') + std::string(at_limit, ']') + "}");
  EXPECT_NO_THROW(exacheck::parse_json_file(fine));
  EXPECT_NO_THROW(exacheck::read_run_for_report(fine));
}

TEST_F(ParseJsonFile, FifosDirectoriesAndSymbolicLinksAreRefusedNotFollowedOrWaitedOn) {
  const std::string target = write("target.json", "{}");
  const auto link = m_dir / "link.json";
  fs::create_symlink(target, link);
  EXPECT_NE(thrown_message([&] { exacheck::parse_json_file(link.string()); }).find("symbolic link"),
            std::string::npos);
  EXPECT_NE(thrown_message([&] { exacheck::read_file(link.string()); }).find("symbolic link"),
            std::string::npos);
  EXPECT_NE(thrown_message([&] { exacheck::parse_json_file(m_dir.string()); }).find("a directory"),
            std::string::npos);
  const auto fifo = m_dir / "fifo.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  // Opening a FIFO for reading waits for a writer: should the reader wait, a writer comes after 5 s and
  // closes it at once, so that the test fails instead of hanging.
  std::atomic<bool> done = false;
  std::thread unblock([&] {
    const auto since = std::chrono::steady_clock::now();
    for (; !done; std::this_thread::sleep_for(std::chrono::milliseconds(50))) {
      if (std::chrono::steady_clock::now() - since < std::chrono::seconds(5)) continue;
      const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
      if (fd >= 0) ::close(fd);
    }
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NE(thrown_message([&] { exacheck::parse_json_file(fifo.string()); }).find("FIFO"),
            std::string::npos);
  EXPECT_NE(thrown_message([&] { exacheck::read_file(fifo.string()); }).find("FIFO"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  done = true;
  unblock.join();
}

TEST_F(ParseJsonFile, WriteJsonNeverThrowsOnBytesThatAreNotUtf8) {
  // A worker's log tail or an argument with a Latin-1 byte once made run.json unwritable: the run was lost.
  const nlohmann::json document = {{"log_tail", "caf\xe9 \xff"}, {"ok", "café"}};
  const std::string path = (m_dir / "run.json").string();
  ASSERT_NO_THROW(exacheck::write_json_atomically(path, document));
  const nlohmann::json back = exacheck::parse_json_file(path);
  EXPECT_EQ(back["log_tail"], "caf\uFFFD \uFFFD");
  EXPECT_EQ(back["ok"], "café");
  EXPECT_EQ(nlohmann::json::parse(exacheck::json_dump(document, 2))["log_tail"], "caf\uFFFD \uFFFD");
}

TEST_F(ParseJsonFile, AtomicWritesNeverFollowALinkAtTheTargetOrAtATemporaryName) {
  const std::string outside = write("outside.txt", "precious");
  const auto report = m_dir / "report.md";
  fs::create_symlink(outside, report);
  // Where the temporary files of this process were once created, at predictable names, and opened without
  // O_EXCL: a link there sent the whole write to its target.
  for (const auto* name : {"run.json", "report.md", "junit.xml"})
    fs::create_symlink(outside, m_dir / (std::string(name) + ".tmp." + std::to_string(::getpid())));
  exacheck::write_file_atomically(report.string(), "# report\n");
  exacheck::write_json_atomically((m_dir / "run.json").string(), {{"a", 1}});
  exacheck::write_stream_atomically((m_dir / "junit.xml").string(), [](std::ostream& out) { out << "<x/>"; });
  std::ifstream in(outside);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "precious");
  EXPECT_FALSE(fs::is_symlink(report));
  EXPECT_EQ(exacheck::read_file(report.string()), "# report\n");
  EXPECT_EQ(exacheck::read_file((m_dir / "junit.xml").string()), "<x/>");
  // Nothing but the planted links is left beside the files (no temporary file).
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(m_dir)) ++entries;
  EXPECT_EQ(entries, 7u);  // outside.txt, report.md, run.json, junit.xml and the three links
}

TEST_F(ParseJsonFile, DirectoriesInsideARunDirectoryAreNeverCreatedThroughALink) {
  // A link planted at RUN_DIR/cases once sent every case.json (and the worker's files) to its target.
  const auto run = m_dir / "run";
  const auto outside = m_dir / "outside";
  fs::create_directories(run);
  fs::create_directories(outside);
  fs::create_symlink(outside, run / "cases");
  try {
    exacheck::create_directories_inside(run.string(), "cases/gemm-1a2b3c4d");
    ADD_FAILURE() << "created a directory through a link";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("symbolic link"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(outside));
  fs::remove(run / "cases");
  exacheck::create_directories_inside(run.string(), "cases/gemm-1a2b3c4d");
  exacheck::create_directories_inside(run.string(), "cases/gemm-1a2b3c4d");  // existing: fine
  EXPECT_TRUE(fs::is_directory(run / "cases" / "gemm-1a2b3c4d"));
  EXPECT_THROW(exacheck::create_directories_inside(run.string(), "cases/../../x"), std::runtime_error);
}

TEST_F(ParseJsonFile, AFailedStreamWriteLeavesTheOldFileAndNoTemporaryFile) {
  const std::string path = write("report.md", "old");
  EXPECT_THROW(exacheck::write_stream_atomically(path,
                                                 [](std::ostream& out) {
                                                   out << "half";
                                                   throw std::runtime_error("renderer failed");
                                                 }),
               std::runtime_error);
  EXPECT_EQ(exacheck::read_file(path), "old");
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(m_dir)) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST_F(ParseJsonFile, ReportReaderDropsOnlyRankRecordMembersAndDigestsTheAnalysis) {
  const nlohmann::json rank = {{"rank", 0},
                               {"host", "node001"},
                               {"device", 0},
                               {"values", {{"time", 1.5}}},
                               {"samples", {{{"name", "time"}, {"values", {1.4, 1.5}}}}},
                               {"statistics", {{"time", {{"median", 1.5}}}}},  // a v1 file's
                               {"correctness", {{"passed", true}}},
                               {"warnings", nlohmann::json::array()},
                               {"skipped", nullptr},
                               {"backend", "cpu"}};
  const nlohmann::json analysis = {{"rules", {{"z_threshold", 3.5}, {"spread", {{{"max_pct", 5}}}}}},
                                   {"metrics", {{{"devices", {{"value", {1.5, -0.0, nullptr}}}}}}},
                                   {"measured", {{"gpus", 2u}, {"ok", true}, {"name", "x"}}}};
  const nlohmann::json run = {
      {"schema", "exacheck/run/v3"},
      {"plan", {{"cases", {{{"results", {{{"ranks", {{{"samples", 5}, {"statistics", 1}}}}}}}}}}}},
      {"analysis", analysis},
      {"cases", {{{"id", "a"}, {"results", {{{"params", {{"n", 1}}}, {"ranks", {rank, rank}}}}}}}}};
  // Written as exacheck writes run.json (compact), the digest is that of the analysis's text.
  const auto read = exacheck::read_run_for_report(write("run.json", run.dump()));
  nlohmann::json expected = run;
  expected.erase("analysis");
  for (auto& r : expected["cases"][0]["results"][0]["ranks"]) {
    for (const char* key : {"samples", "statistics", "correctness", "warnings", "skipped", "backend"})
      r.erase(key);
  }
  EXPECT_EQ(read.run, expected);
  EXPECT_TRUE(read.run["plan"]["cases"][0]["results"][0]["ranks"][0].contains("samples"));
  EXPECT_TRUE(read.had_analysis);
  EXPECT_EQ(read.analysis_rules, analysis["rules"]);
  EXPECT_EQ(read.analysis_digest, exacheck::analysis_text_digest(analysis));
  nlohmann::json changed = analysis;
  changed["metrics"][0]["devices"]["value"][0] = 1.25;
  EXPECT_NE(read.analysis_digest, exacheck::analysis_text_digest(changed));
  changed = analysis;
  changed["measured"].erase("ok");
  EXPECT_NE(read.analysis_digest, exacheck::analysis_text_digest(changed));
  // The same document indented: the same values are read, the digest differs (a harmless rewrite).
  const auto indented = exacheck::read_run_for_report(write("indented.json", run.dump(1)));
  EXPECT_EQ(indented.run, expected);
  EXPECT_EQ(indented.analysis_rules, analysis["rules"]);

  // Without an analysis; an analysis that is not an object is kept, for the shape check to refuse.
  nlohmann::json bare = run;
  bare.erase("analysis");
  const auto without = exacheck::read_run_for_report(write("bare.json", bare.dump()));
  EXPECT_FALSE(without.had_analysis);
  EXPECT_TRUE(without.analysis_rules.is_null());
  bare["analysis"] = {1, 2};
  const auto listed = exacheck::read_run_for_report(write("listed.json", bare.dump()));
  EXPECT_FALSE(listed.had_analysis);
  EXPECT_EQ(listed.run["analysis"], nlohmann::json({1, 2}));
}

// The members left out are passed over in the text, not lexed: whatever they hold that is JSON (strings with
// brackets and escaped quotes, nesting, scalars, spaces) and wherever they lie (across the reader's 1 MiB
// chunks) is passed over exactly.
TEST_F(ParseJsonFile, ReportReaderPassesOverAnyValueOfTheMembersItLeavesOut) {
  std::string long_samples = "[";
  for (int i = 0; i < 200000; ++i) long_samples += (i ? ", " : "") + std::to_string(i) + ".125e-3";
  long_samples += "]";
  const std::string rank_text =
      R"({"backend" : "c\"]}pu", "correctness":{"detail":"[{\"x\"}]","passed":true},)"
      R"("device":{"index":0},"host":"n1","rank":0,"samples":)" +
      long_samples +
      R"(,"skipped":null,"values":{"time":1.5},"warnings":[[],{}, -1])"
      R"(, "statistics" :true})";
  std::string text = R"({"schema":"exacheck/run/v2","cases":[{"id":"a","results":[{"ranks":[)";
  for (int r = 0; r < 8; ++r) text += (r ? "," : "") + rank_text;
  text += R"(]}]}],"analysis":{"a":[1,{"b":"}"}],"rules":{"z_threshold":3.5},"z":-2.5}})";
  const std::string path = write("skips.json", text);
  const auto read = exacheck::read_run_for_report(path);
  nlohmann::json expected = exacheck::parse_json_file(path);
  expected.erase("analysis");
  for (auto& r : expected["cases"][0]["results"][0]["ranks"])
    for (const char* key : {"samples", "statistics", "correctness", "warnings", "skipped", "backend"})
      r.erase(key);
  EXPECT_EQ(read.run, expected);
  EXPECT_EQ(read.analysis_rules, nlohmann::json({{"z_threshold", 3.5}}));
  EXPECT_EQ(read.analysis_digest,
            exacheck::analysis_text_digest({{"a", {1, {{"b", "}"}}}}, {"z", -2.5}, {"rules", 1}}));
}

TEST_F(ParseJsonFile, ReportReaderRefusesWhatTheWholeParseRefuses) {
  // A syntax error inside a member it does not build still names its place.
  const std::string bad_samples =
      write("bad.json", "{\"cases\":[{\"results\":[{\"ranks\":[{\"samples\":\n[1, 2,, 3]}]}]}]}");
  EXPECT_NE(thrown_message([&] { exacheck::read_run_for_report(bad_samples); }).find("bad.json:2:7"),
            std::string::npos);
  const std::string truncated =
      write("cut.json", "{\"schema\":\"exacheck/run/v3\",\"analysis\":{\"rules\":{");
  EXPECT_THROW(exacheck::read_run_for_report(truncated), exacheck::usage_error);
  const std::string overflow = write("big.json", "{\"analysis\":{\"rules\":1e999}}");
  EXPECT_THROW(exacheck::read_run_for_report(overflow), exacheck::usage_error);
  // What is passed over must still be JSON: each of these is refused, naming the file.
  for (const std::string value : {"[1, 2,, 3]", "[1 2]", "{\"a\" 1}", "{1: 2}", "[1, 2}", "\"open", "[tru]",
                                  "[nul, 1]", "[1,]", "{\"a\":1,}", "#", "[\"a\nb\"]", "[[[", ""}) {
    const std::string bad = write(
        "skip.json", "{\"cases\":[{\"results\":[{\"ranks\":[{\"samples\":" + value + ",\"values\":{}}]}]}]}");
    EXPECT_THROW(exacheck::read_run_for_report(bad), exacheck::usage_error) << value;
    EXPECT_THROW(exacheck::parse_json_file(bad), exacheck::usage_error) << value;
  }
}

}  // namespace
