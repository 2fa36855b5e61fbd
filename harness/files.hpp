#pragma once
#include <string>

namespace exacheck {

// Writes `content` to `path` through a temporary file in the same directory and rename(2): readers see the
// old file or the new one, never half of one. Throws std::runtime_error naming the path on failure.
void write_file_atomically(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);  // throws std::runtime_error naming the path
std::string sha256_hex(const std::string& bytes);

}  // namespace exacheck
