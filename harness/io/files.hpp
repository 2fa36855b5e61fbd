#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "harness/core/errors.hpp"

namespace exacheck {

// A file that cannot be read (missing, unreadable, not a regular file, not JSON): a usage error (exit 2)
// whose message names the path; reason() is the why alone ("it is a FIFO (named pipe), not a regular file").
class file_error : public usage_error {
 public:
  file_error(const std::string& path, std::string reason)
      : usage_error("cannot read " + path + ": " + reason), m_reason(std::move(reason)) {}
  const std::string& reason() const { return m_reason; }

 private:
  std::string m_reason;
};

// Writes `content` to `path` through a temporary file in the same directory and rename(2): readers see the
// old file or the new one, never half of one. The temporary file is created exclusively (O_CREAT|O_EXCL)
// under an unpredictable name, and rename replaces a symbolic link at `path` rather than writing through it:
// a link planted in a run directory never sends a write elsewhere. Throws std::runtime_error naming the path
// on failure.
void write_file_atomically(const std::string& path, const std::string& content);
// The same for what `write` writes to the stream it is given, straight into the temporary file (a report of a
// machine of thousands of GPUs is tens of MB: never held whole, nor twice as an ostringstream's str() would).
// An exception from `write` removes the temporary file and propagates.
void write_stream_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);
// The same for a JSON document, serialised straight into the file (dump(indent) text, never held in memory
// whole: run.json of a machine of thousands of GPUs is hundreds of MB). Compact by default (indent < 0):
// run.json is read by programs, and `jq . run.json` shows it to people. Strings that are not UTF-8 are
// written with U+FFFD in place of the bad bytes, never an exception: measured results are never lost to one.
void write_json_atomically(const std::string& path, const nlohmann::json& value, int indent = -1);
// value.dump(indent) with the same replacement: every JSON text exacheck writes goes through one of these.
std::string json_dump(const nlohmann::json& value, int indent = -1);

// Creates the directory `relative` (e.g. "cases/gemm-1a2b3c4d") inside the existing directory `base`, one
// component at a time, and refuses a component that exists as anything but a real directory: a symbolic link
// planted in a run directory would otherwise send every file written below it elsewhere. Throws
// std::runtime_error naming the path.
void create_directories_inside(const std::string& base, const std::string& relative);

// Opens `path` for reading only when it is a regular file: a symbolic link (O_NOFOLLOW), a FIFO (opened
// without blocking, so never a hang), a device or a directory throws usage_error naming the path and what it
// is. Returns the descriptor (blocking again), for the caller to close.
int open_regular_file(const std::string& path);
// The bytes of a regular file (open_regular_file); throws usage_error naming the path.
std::string read_file(const std::string& path);
// Arrays and objects nested deeper than this are refused by parse_json_file. run.json is about 10 levels
// deep; a document far deeper is not one exacheck wrote, and every recursive walk of it (copy, compare, dump)
// would risk the stack.
inline constexpr std::size_t max_json_nesting = 64;
// Parses the JSON file at `path` straight from the file through a 1 MiB buffer: its text is never held
// whole (run.json of a machine of thousands of GPUs is tens of MB, and a parse from a string holds the string
// and the document at once). Throws usage_error naming the path when it is not a regular file or cannot be
// read, and with path:line:column when it is not JSON or nests deeper than max_json_nesting. `exacheck
// report` reads run.json with its own reader (harness/results/run_read.hpp), which leaves out what it does not read.
nlohmann::json parse_json_file(const std::string& path);
std::string sha256_hex(const std::string& bytes);

// The last `max_lines` lines of a text file ("" when it cannot be read).
std::string tail_of_file(const std::string& path, std::size_t max_lines = 30);

}  // namespace exacheck
