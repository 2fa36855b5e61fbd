#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace exacheck {

// Writes `content` to `path` through a temporary file in the same directory and rename(2): readers see the
// old file or the new one, never half of one. Throws std::runtime_error naming the path on failure.
void write_file_atomically(const std::string& path, const std::string& content);
// The same for what `write` writes to the stream it is given, straight into the temporary file (a report of a
// machine of thousands of GPUs is tens of MB: never held whole, nor twice as an ostringstream's str() would).
// An exception from `write` removes the temporary file and propagates.
void write_stream_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);
// The same for a JSON document, serialised straight into the file (dump(indent) text, never held in memory
// whole: run.json of a machine of thousands of GPUs is hundreds of MB). Compact by default (indent < 0):
// run.json is read by programs, and `jq . run.json` shows it to people.
void write_json_atomically(const std::string& path, const nlohmann::json& value, int indent = -1);
std::string read_file(const std::string& path);  // throws std::runtime_error naming the path
// Parses the JSON file at `path` straight from the file through a 1 MiB buffer: its text is never held
// whole (run.json of a machine of thousands of GPUs is hundreds of MB, and a parse from a string holds the
// string and the document at once). `callback` filters as nlohmann::json::parse's does. Throws
// std::runtime_error naming the path when it cannot be read, nlohmann::json::parse_error when it is not JSON.
nlohmann::json parse_json_file(const std::string& path,
                               const nlohmann::json::parser_callback_t& callback = nullptr);
// A parse filter for `exacheck report`: leaves out of run.json's rank records
// (cases[].results[].ranks[]) what neither the analysis nor any report reads — "samples", "correctness",
// "warnings", "skipped", "backend", and the "statistics" of a run.json in schema exacheck/run/v1 (v2 has
// none) — at 2,100 GPUs two thirds of the parsed document. A rank's "values" are kept.
// tests/unit/test_report_filter.cpp renders every report both ways and compares them. Nothing else is left
// out.
nlohmann::json::parser_callback_t without_unreported_rank_fields();
// A 64-bit digest of a JSON value that, unlike std::hash<nlohmann::json>, is the same for values that compare
// equal: 3, 3u and 3.0 (a document built in memory holds signed integers, the same parsed back unsigned
// ones). Object members in key order, array elements in order; strings by their bytes.
std::uint64_t json_digest(const nlohmann::json& value);
std::string sha256_hex(const std::string& bytes);

}  // namespace exacheck
