// Fuzz test of every reader of user files: the plan loader (and expansion, as `validate` runs it), the system
// and reference-file loaders, and `exacheck report`'s reading, upgrade, analysis and rendering of run.json.
// Inputs are seeded, deterministic mutations of the shipped files (configs/plans, configs/systems,
// configs/references, tests/golden/run_small*.json): bit and byte flips, deletions, duplications, splices of
// other files, deep nesting, huge numbers, bytes that are not UTF-8, long and multi-line text, and for
// run.json also changes of a value's type. Each input must be accepted or refused with exacheck's typed
// errors (validation_error, usage_error) whose every line is one line of UTF-8 naming the file (and, for
// YAML, the line). Any other exception fails, and a crash too: the inputs run in forked children, a batch
// each, so that a crash names its input (saved under the build directory to reproduce it) and never takes the
// test run down.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "harness/controller/controller.hpp"
#include "harness/core/errors.hpp"
#include "harness/io/files.hpp"
#include "harness/plan/plan.hpp"
#include "harness/compare/reference_file.hpp"
#include "harness/core/registry.hpp"

namespace exacheck {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path source_dir = EXACHECK_SOURCE_DIR;

// splitmix64: small, fast, and the same sequence on every platform.
class random_source {
 public:
  explicit random_source(std::uint64_t seed) : m_state(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
  bool chance(unsigned percent) { return below(100) < percent; }

 private:
  std::uint64_t m_state;
};

std::vector<std::string> files_in(const fs::path& dir, const std::string& extension) {
  std::vector<std::string> texts;
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == extension) paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());  // directory order differs between machines
  for (const auto& path : paths) texts.push_back(read_file(path.string()));
  return texts;
}

const std::vector<std::string> huge_numbers = {"1e999",
                                               "-1e999",
                                               "18446744073709551616",
                                               "18446744073709551615",
                                               "-9223372036854775809",
                                               "4294967296",
                                               "99999999999999999999999999999999",
                                               "1e308",
                                               "0x7fffffff",
                                               ".inf",
                                               "nan",
                                               "-0",
                                               "1e-400",
                                               "2147483648"};
const std::vector<std::string> bad_utf8 = {
    "\xff", "\xc3", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\xe2\x82", "caf\xe9"};

// One random byte-level change of `text`; `others` are spliced from.
void mutate_bytes(std::string& text, random_source& random, const std::vector<std::string>& others,
                  bool yaml) {
  const std::size_t at = random.below(text.size() + 1);
  switch (random.below(10)) {
    case 0:  // flip a bit
      if (!text.empty()) text[random.below(text.size())] ^= static_cast<char>(1u << random.below(8));
      break;
    case 1:  // a random byte
      if (!text.empty()) text[random.below(text.size())] = static_cast<char>(random.below(256));
      break;
    case 2:  // delete a range
      text.erase(at, random.below(64) + 1);
      break;
    case 3: {  // duplicate a range
      const std::string piece = text.substr(at, random.below(256) + 1);
      text.insert(std::min(text.size(), at + piece.size()), piece);
      break;
    }
    case 4: {  // splice a range of another file
      const std::string& other = others[random.below(others.size())];
      const std::size_t from = random.below(other.size());
      text.insert(at, other.substr(from, random.below(512) + 1));
      break;
    }
    case 5: {  // deep nesting
      const std::size_t depth = random.chance(50) ? random.below(80) + 1 : random.below(20000) + 1;
      const std::string open = yaml && random.chance(50) ? "{a: " : "[";
      const std::string close = open == "[" ? "]" : "}";
      std::string nest;
      for (std::size_t i = 0; i < depth; ++i) nest += open;
      for (std::size_t i = 0; i < depth; ++i) nest += close;
      text.insert(at, nest);
      break;
    }
    case 6: {  // a huge or odd number in place of a number
      const std::size_t digit = text.find_first_of("0123456789", at);
      if (digit == std::string::npos) break;
      const std::size_t end = text.find_first_not_of("0123456789.eE+-", digit);
      text.replace(digit, end == std::string::npos ? std::string::npos : end - digit,
                   huge_numbers[random.below(huge_numbers.size())]);
      break;
    }
    case 7:  // bytes that are not UTF-8
      text.insert(at, bad_utf8[random.below(bad_utf8.size())]);
      break;
    case 8:  // long text
      text.insert(at, std::string(random.chance(50) ? 300 : 200000, "xQ_./"[random.below(5)]));
      break;
    default:  // control characters and line breaks
      text.insert(at, std::string(1, "\n\r\t\x01\x1b\x7f\0"[random.below(7)]));
      break;
  }
}

// For run.json: one value somewhere in the document replaced by a value of another type, or removed.
void mutate_json_value(json& document, random_source& random) {
  json* node = &document;
  for (int depth = 0; depth < 12 && (node->is_object() || node->is_array()) && !node->empty(); ++depth) {
    if (depth > 0 && random.chance(25)) break;
    auto it = node->begin();
    std::advance(it, static_cast<std::ptrdiff_t>(random.below(node->size())));
    if (random.chance(10) && depth > 0) {  // remove it
      if (node->is_object())
        node->erase(it.key());
      else
        node->erase(it);
      return;
    }
    node = &*it;
  }
  static const std::vector<json> replacements = {"a string",
                                                 "",
                                                 0,
                                                 -1,
                                                 1e308,
                                                 18446744073709551615ULL,
                                                 -9223372036854775807LL - 1,
                                                 3.5,
                                                 nullptr,
                                                 true,
                                                 json::array(),
                                                 json::object(),
                                                 json::array({1, "two", nullptr}),
                                                 json{{"unexpected", 1}}};
  if (random.chance(10)) {
    json nested = 1;
    for (std::size_t i = random.below(60); i > 0; --i) nested = json::array({nested});
    *node = nested;
  } else {
    *node = replacements[random.below(replacements.size())];
  }
}

struct fuzz_input {
  std::string text;
  std::string name;  // the file name it is written under
};

// What a reader did with one input: refused it (with a typed error) or accepted it, and what was wrong with
// how it did ("" when nothing).
struct read_outcome {
  bool refused = false;
  std::string problem;
};

read_outcome outcome_of(const std::function<void()>& call, const std::string& path, bool needs_line) {
  const auto check_line = [&](const std::string& line) -> std::string {
    if (line.find('\n') != std::string::npos) return "a message of several lines: " + printable(line, 300);
    if (first_invalid_utf8(line)) return "a message that is not UTF-8: " + printable(line, 300);
    if (line.find(path) == std::string::npos) return "a message without the file: " + printable(line, 300);
    return "";
  };
  try {
    call();
  } catch (const validation_error& e) {
    for (const auto& issue : e.issues()) {
      if (const auto problem = check_line(issue.to_string()); !problem.empty()) return {true, problem};
      if (needs_line && issue.where.line <= 0)
        return {true, "an issue without a line: " + printable(issue.to_string(), 300)};
    }
    return {true, ""};
  } catch (const usage_error& e) {
    return {true, check_line(e.what())};
  } catch (const std::exception& e) {
    return {true, "an untyped exception: " + printable(e.what(), 300)};
  } catch (...) {
    return {true, "an exception that is not a std::exception"};
  }
  return {false, ""};
}

struct fuzz_result {
  std::vector<std::string> problems;  // one line each
  std::size_t accepted = 0, refused = 0;
};

// Writes the input to `path` (creating its directory) and returns the path.
std::string put(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// Runs `count` inputs made by `make` through `read` (which gets the path of the written input), forking a
// child per batch. Returns every problem, the input saved where it crashed, and how many inputs were accepted
// and refused.
fuzz_result fuzz(const std::string& kind, std::size_t count,
                 const std::function<fuzz_input(std::size_t)>& make,
                 const std::function<read_outcome(const std::string& path)>& read) {
  const fs::path work =
      fs::temp_directory_path() / ("exacheck-fuzz-" + kind + "-" + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::create_directories(work);
  fuzz_result result;
  std::vector<std::string>& problems = result.problems;
  constexpr std::size_t batch = 50;
  for (std::size_t first = 0; first < count; first += batch) {
    const std::size_t last = std::min(count, first + batch);
    int channel[2];
    if (::pipe(channel) != 0) return {{"cannot create a pipe"}};
    const pid_t child = ::fork();
    if (child == 0) {
      ::close(channel[0]);
      // `report` prints what it wrote: thousands of lines nobody reads.
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      std::FILE* out = ::fdopen(channel[1], "w");
      for (std::size_t i = first; i < last; ++i) {
        std::fprintf(out, "start %zu\n", i);
        std::fflush(out);
        const fuzz_input input = make(i);
        const fs::path dir = work / std::to_string(i);
        const read_outcome outcome = read(put((dir / input.name).string(), input.text));
        std::fprintf(out, "%s\n", outcome.refused ? "refused" : "accepted");
        if (!outcome.problem.empty()) std::fprintf(out, "problem %zu %s\n", i, outcome.problem.c_str());
        std::error_code ignored;
        fs::remove_all(dir, ignored);
      }
      std::fflush(out);
      ::_exit(0);
    }
    ::close(channel[1]);
    std::string report;
    char buffer[4096];
    for (ssize_t n; (n = ::read(channel[0], buffer, sizeof buffer)) != 0;) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      report.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(channel[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    std::size_t started = first;
    for (std::size_t at = 0; at < report.size();) {
      const std::size_t end = report.find('\n', at);
      const std::string line = report.substr(at, end - at);
      at = end == std::string::npos ? report.size() : end + 1;
      if (line.starts_with("start ")) started = std::stoul(line.substr(6));
      if (line.starts_with("problem ")) problems.push_back(kind + " input #" + line.substr(8));
      result.accepted += line == "accepted";
      result.refused += line == "refused";
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      // The input it started last crashed it: saved to reproduce it with the exacheck command line.
      const fuzz_input input = make(started);
      const fs::path saved =
          fs::path(EXACHECK_TEST_BINARY_DIR) / ("fuzz-crash-" + kind + "-" + std::to_string(started));
      fs::create_directories(saved);
      std::ofstream(saved / input.name, std::ios::binary) << input.text;
      problems.push_back(fmt::format("{} input #{} crashed the reader ({}); saved as {}", kind, started,
                                     WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                                         : "exit " + std::to_string(WEXITSTATUS(status)),
                                     (saved / input.name).string()));
    }
  }
  fs::remove_all(work);
  std::cout << kind << ": " << count << " inputs, " << result.accepted << " accepted, " << result.refused
            << " refused, " << problems.size() << " problems\n";
  return result;
}

// Every problem (the first 30, one per line); and a fuzz that only ever accepts or only ever refuses tests
// one path of the reader, not both.
void expect_no_problem_and_both_outcomes(const fuzz_result& result) {
  std::string text;
  for (std::size_t i = 0; i < result.problems.size() && i < 30; ++i) text += "\n  " + result.problems[i];
  EXPECT_TRUE(result.problems.empty()) << result.problems.size() << " problems:" << text;
  EXPECT_GT(result.accepted, 10u);
  EXPECT_GT(result.refused, 10u);
}

// A YAML input: one of `corpus`, changed one to three times.
fuzz_input mutated_yaml(const std::vector<std::string>& corpus, std::uint64_t seed, std::size_t index,
                        const std::string& name) {
  random_source random(seed * 1000003 + index);
  fuzz_input input{corpus[random.below(corpus.size())], name};
  for (std::size_t n = random.below(3) + 1; n > 0; --n) mutate_bytes(input.text, random, corpus, true);
  return input;
}

TEST(fuzz_readers, mutated_plans_are_loaded_or_refused_with_one_line_per_issue) {
  const auto plans = files_in(source_dir / "configs/plans", ".yaml");
  ASSERT_FALSE(plans.empty());
  const auto result = fuzz(
      "plan", 1200, [&](std::size_t i) { return mutated_yaml(plans, 1, i, "plans/plan.yaml"); },
      [&](const std::string& path) {
        // Beside the shipped system files, where the plans' `system: ../systems/...` finds them.
        const fs::path systems_dir = fs::path(path).parent_path().parent_path() / "systems";
        for (const auto& entry : fs::directory_iterator(source_dir / "configs/systems"))
          put((systems_dir / entry.path().filename()).string(), read_file(entry.path().string()));
        return outcome_of(
            [&] {
              const plan p = load_plan(path, registry::instance());
              if (p.system_file) load_system(*p.system_file);
              expand(p, registry::instance());
            },
            path, true);
      });
  expect_no_problem_and_both_outcomes(result);
}

TEST(fuzz_readers, mutated_system_files_are_loaded_or_refused_with_one_line_per_issue) {
  const auto systems = files_in(source_dir / "configs/systems", ".yaml");
  ASSERT_FALSE(systems.empty());
  const auto make = [&](std::size_t i) { return mutated_yaml(systems, 2, i, "system.yaml"); };
  const auto result = fuzz("system", 800, make, [&](const std::string& path) {
    return outcome_of([&] { load_system(path); }, path, true);
  });
  expect_no_problem_and_both_outcomes(result);
}

TEST(fuzz_readers, mutated_reference_files_are_loaded_or_refused_with_one_line_per_issue) {
  const auto references = files_in(source_dir / "configs/references", ".yaml");
  ASSERT_FALSE(references.empty());
  const auto make = [&](std::size_t i) { return mutated_yaml(references, 3, i, "reference.yaml"); };
  const auto result = fuzz("reference", 800, make, [&](const std::string& path) {
    return outcome_of([&] { load_reference_file(path); }, path, true);
  });
  expect_no_problem_and_both_outcomes(result);
}

TEST(fuzz_readers, mutated_run_documents_are_reported_or_refused_and_never_rewritten_with_less) {
  const fs::path golden = fs::path(EXACHECK_TEST_DATA_DIR) / "golden";
  const std::vector<std::string> runs = {read_file((golden / "run_small.json").string()),
                                         read_file((golden / "run_small_v1.json").string())};
  const auto make = [&](std::size_t i) {
    random_source random(4 * 1000003 + i);
    fuzz_input input{runs[random.below(runs.size())], "run/run.json"};
    if (random.chance(60)) {  // a valid document with values of unexpected types: the readers' shape checks
      json document = json::parse(input.text);
      for (std::size_t n = random.below(3) + 1; n > 0; --n) mutate_json_value(document, random);
      input.text = document.dump();
    } else {  // bytes: the parser's checks
      for (std::size_t n = random.below(3) + 1; n > 0; --n) mutate_bytes(input.text, random, runs, false);
    }
    return input;
  };
  const auto result = fuzz("run.json", 1000, make, [&](const std::string& path) {
    const std::string text = read_file(path);
    const std::string dir = fs::path(path).parent_path().string();
    // What `report` says on stderr: an analysis that throws on a document the shape check let through is a
    // reader that was not ready for it.
    const std::string said = (fs::path(dir).parent_path() / "stderr.txt").string();
    const int saved_stderr = ::dup(2);
    const int said_fd = ::open(said.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(said_fd, 2);
    read_outcome outcome = outcome_of([&] { rerender_reports(dir); }, path, false);
    ::dup2(saved_stderr, 2);
    ::close(said_fd);
    ::close(saved_stderr);
    if (const std::string text_said = read_file(said);
        outcome.problem.empty() && text_said.find("could not") != std::string::npos)
      outcome.problem = "accepted, but " + printable(text_said, 300);
    // Refused: run.json is as it was. Reported: anything rewritten is a run.json `report` reads again.
    if (outcome.problem.empty() && outcome.refused && read_file(path) != text)
      outcome.problem = "a refused run.json was rewritten";
    if (outcome.problem.empty() && !outcome.refused && read_file(path) != text) {
      const read_outcome again = outcome_of([&] { rerender_reports(dir); }, path, false);
      if (again.refused) outcome.problem = "the run.json report wrote is refused: " + again.problem;
    }
    return outcome;
  });
  expect_no_problem_and_both_outcomes(result);
}

}  // namespace
}  // namespace exacheck
