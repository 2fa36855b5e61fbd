// --prom-textfile: metrics.prom at a stable path, atomically (harness/controller/prom_textfile.hpp).
#include "harness/controller/prom_textfile.hpp"

#include <fmt/core.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "harness/core/errors.hpp"
#include "harness/io/files.hpp"
#include "harness/results/outcome.hpp"

namespace exacheck {
namespace fs = std::filesystem;

void check_prom_textfile(const std::string& path) {
  const fs::path file(path);
  if (file.extension() != ".prom")
    throw usage_error(fmt::format(
        "--prom-textfile {}: the name must end in .prom (node_exporter's textfile collector reads no other)",
        path));
  std::error_code error;
  if (fs::is_directory(file, error))
    throw usage_error(fmt::format("--prom-textfile {}: is a directory; give the file to write in it", path));
  const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, error))
    throw usage_error(
        fmt::format("--prom-textfile {}: directory {} does not exist (create it, e.g. node_exporter's "
                    "--collector.textfile.directory)",
                    path, dir.string()));
}

int publish_prom_textfile(const std::string& metrics_prom, const std::string& path, int code) {
  try {
    std::ifstream in(metrics_prom, std::ios::binary);
    if (!in || in.peek() == std::ifstream::traits_type::eof())
      throw std::runtime_error("cannot read " + metrics_prom + " (the run's reports were not written)");
    write_stream_atomically(path, [&](std::ostream& out) {
      out << in.rdbuf();
      if (in.bad()) throw std::runtime_error("cannot read " + metrics_prom);
    });
  } catch (const std::exception& e) {
    fmt::print(stderr, "exacheck: --prom-textfile: {} (the old file, if any, is left as it was)\n", e.what());
    return code == exit_code::all_passed ? exit_code::incomplete : code;
  }
  fmt::print("prometheus textfile: {}\n", path);
  return code;
}

}  // namespace exacheck
