#include <filesystem>
#include <sstream>

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
    std::ostringstream text;
    r.render(run, text);
    // Atomically: a reader (a CI job, a dashboard) never sees half a report, even when the run is
    // interrupted.
    const std::string path = (std::filesystem::path(run_dir) / r.file_name).string();
    write_file_atomically(path, text.str());
    paths.push_back(path);
  }
  return paths;
}

}  // namespace exacheck::reports
