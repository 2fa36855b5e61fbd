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

#include "harness/errors.hpp"
#include "harness/files.hpp"
#include "harness/run_read.hpp"

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
  const std::string in_analysis = write(
      "deep_analysis.json", "{\"analysis\":\n{\"x\":" + std::string(deep, '[') + std::string(deep, ']') + "}}");
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
  const auto read = exacheck::read_run_for_report(write("run.json", run.dump(1)));
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
  EXPECT_EQ(read.analysis_digest, exacheck::json_digest(analysis));
  nlohmann::json changed = analysis;
  changed["metrics"][0]["devices"]["value"][0] = 1.25;
  EXPECT_NE(read.analysis_digest, exacheck::json_digest(changed));

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

TEST_F(ParseJsonFile, ReportReaderRefusesWhatTheWholeParseRefuses) {
  // A syntax error inside a member it does not build still names its place.
  const std::string bad_samples =
      write("bad.json", "{\"cases\":[{\"results\":[{\"ranks\":[{\"samples\":\n[1, 2,, 3]}]}]}]}");
  EXPECT_NE(thrown_message([&] { exacheck::read_run_for_report(bad_samples); }).find("bad.json:2:7"),
            std::string::npos);
  const std::string truncated = write("cut.json", "{\"schema\":\"exacheck/run/v3\",\"analysis\":{\"rules\":{");
  EXPECT_THROW(exacheck::read_run_for_report(truncated), exacheck::usage_error);
  const std::string overflow = write("big.json", "{\"analysis\":{\"x\":1e999}}");
  EXPECT_THROW(exacheck::read_run_for_report(overflow), exacheck::usage_error);
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

// What json_digester is fed by a SAX parse of a value's text (members in key order, as exacheck writes them)
// gives json_digest of the value.
struct digest_sax {
  exacheck::json_digester digester;
  bool null() { return digester.null(), true; }
  bool boolean(bool v) { return digester.boolean(v), true; }
  bool number_integer(nlohmann::json::number_integer_t v) { return digester.number(static_cast<double>(v)), true; }
  bool number_unsigned(nlohmann::json::number_unsigned_t v) {
    return digester.number(static_cast<double>(v)), true;
  }
  bool number_float(double v, const std::string&) { return digester.number(v), true; }
  bool string(std::string& v) { return digester.string(v), true; }
  bool binary(nlohmann::json::binary_t&) { return false; }
  bool start_object(std::size_t) { return digester.start_object(), true; }
  bool key(std::string& v) { return digester.key(v), true; }
  bool end_object() { return digester.end_object(), true; }
  bool start_array(std::size_t) { return digester.start_array(), true; }
  bool end_array() { return digester.end_array(), true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }
};

TEST(JsonDigest, DigestOfTheTextsEventsIsTheDigestOfItsValue) {
  const nlohmann::json value = {{"b", {1, 2.5, -3, nullptr, false, "x"}}, {"a", {{"z", {}}, {"y", {{"k", 0}}}}},
                                {"c", nlohmann::json::object()}, {"d", nlohmann::json::array()}};
  for (const int indent : {-1, 1}) {
    digest_sax sax;
    ASSERT_TRUE(nlohmann::json::sax_parse(value.dump(indent), &sax));
    EXPECT_EQ(sax.digester.digest(), exacheck::json_digest(value));
  }
  digest_sax other;
  ASSERT_TRUE(nlohmann::json::sax_parse(R"({"a": {"y": {"k": 0}, "z": {}}, "b": [1, 2.5, -3, null, true, "x"],
                                           "c": {}, "d": []})",
                                        &other));
  EXPECT_NE(other.digester.digest(), exacheck::json_digest(value));  // true for false
}

}  // namespace
