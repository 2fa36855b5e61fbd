#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace exacheck {

// Writes `content` to `path` through a temporary file in the same directory and rename(2): readers see the
// old file or the new one, never half of one. Throws std::runtime_error naming the path on failure.
void write_file_atomically(const std::string& path, const std::string& content);
// The same for a JSON document, serialised straight into the file (dump(indent) text, never held in memory
// whole: run.json of a machine of thousands of GPUs is hundreds of MB).
void write_json_atomically(const std::string& path, const nlohmann::json& value, int indent = 1);
std::string read_file(const std::string& path);  // throws std::runtime_error naming the path
std::string sha256_hex(const std::string& bytes);

}  // namespace exacheck
