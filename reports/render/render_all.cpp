// render_all: the five reports of a run, rendered side by side. Each renderer only reads the (const) run
// document and writes its own file, so they run on up to one thread per core: at 2,100 GPUs the reports are
// ~170 MB of text, and on a 2-core node this halves the wall time of `exacheck report`.
#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <thread>

#include "harness/io/files.hpp"
#include "reports/render/render.hpp"

namespace exacheck::reports {
namespace {
using renderer = void (*)(const nlohmann::json&, std::ostream&);
struct report {
  const char* file_name;
  renderer render;
};
// In the order users read them (and the order of the paths returned).
constexpr report reports[] = {{"report.md", render_markdown},
                              {"report.html", render_html},
                              {"junit.xml", render_junit},
                              {"results.csv", render_csv},
                              {"metrics.prom", render_prometheus}};
}  // namespace

std::vector<std::string> report_file_names() {
  std::vector<std::string> names;
  for (const auto& r : reports) names.emplace_back(r.file_name);
  return names;
}

std::vector<std::string> render_all(const nlohmann::json& run, const std::string& run_dir) {
  constexpr std::size_t count = std::size(reports);
  // Largest first (metrics.prom, report.html, results.csv), so that the last one a thread takes is short.
  constexpr std::size_t largest_first[count] = {4, 1, 3, 0, 2};
  std::vector<std::string> paths(count);
  std::vector<std::exception_ptr> failures(count);
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (std::size_t taken = next++; taken < count; taken = next++) {
      const std::size_t i = largest_first[taken];
      // Atomically: a reader (a CI job, a dashboard) never sees half a report, even when the run is
      // interrupted. Rendered straight into the file: metrics.prom of 2,100 GPUs is 70 MB.
      paths[i] = (std::filesystem::path(run_dir) / reports[i].file_name).string();
      try {
        write_stream_atomically(paths[i], [&](std::ostream& out) { reports[i].render(run, out); });
      } catch (...) {
        failures[i] = std::current_exception();
      }
    }
  };
  const std::size_t threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, count);
  std::vector<std::jthread> helpers;
  for (std::size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
  work();
  helpers.clear();  // joins
  // Every report that could be written is; then the first failure (in the users' order) is thrown.
  for (const auto& failure : failures)
    if (failure) std::rethrow_exception(failure);
  return paths;
}

}  // namespace exacheck::reports
