#include <filesystem>

#include "harness/files.hpp"
#include "reports/render.hpp"

namespace exacheck::reports {

std::vector<std::string> render_all(const nlohmann::json& run, const std::string& run_dir) {
  using renderer = void (*)(const nlohmann::json&, std::ostream&);
  struct report {
    const char* file_name;
    renderer render;
  };
  const report reports[] = {{"report.md", render_markdown},
                            {"report.html", render_html},
                            {"junit.xml", render_junit},
                            {"results.csv", render_csv},
                            {"metrics.prom", render_prometheus}};
  std::vector<std::string> paths;
  for (const auto& r : reports) {
    // Atomically: a reader (a CI job, a dashboard) never sees half a report, even when the run is
    // interrupted. Rendered straight into the file: metrics.prom of 2,100 GPUs is 70 MB.
    const std::string path = (std::filesystem::path(run_dir) / r.file_name).string();
    write_stream_atomically(path, [&](std::ostream& out) { r.render(run, out); });
    paths.push_back(path);
  }
  return paths;
}

}  // namespace exacheck::reports
