// compare.md and the terminal summary of `exacheck compare`, from compare.json.
#include <fmt/core.h>

#include "reports/compare_render.hpp"
#include "reports/format.hpp"

namespace exacheck::reports {
namespace {

const std::vector<std::string> verdicts = {"REGRESSION", "IMPROVEMENT", "SAME", "NEW", "MISSING"};
constexpr std::size_t max_printed_regressions = 50;

// One side of a comparison for people: a run by plan and start, a reference by who, when and what system.
std::string side_text(const nlohmann::json& side) {
  if (text_field(side, "kind") == "reference") {
    const nlohmann::json& system = field(side, "system");
    std::string text =
        fmt::format("reference file {} by {}", text_field(side, "path"), text_field(side, "organisation"));
    if (!text_field(side, "contact").empty()) text += " (" + text_field(side, "contact") + ")";
    text += ", measured " + text_field(side, "date") + " on " + text_field(system, "name");
    std::string detail;
    for (const char* key :
         {"gpu_model", "cpu_model", "driver", "cuda", "cublas", "nccl", "mpi", "exacheck_version"})
      if (!text_field(system, key).empty())
        detail += (detail.empty() ? "" : ", ") + std::string(key) + " " + text_field(system, key);
    return detail.empty() ? text : text + " (" + detail + ")";
  }
  std::string detail;
  if (!text_field(side, "plan").empty()) detail = "plan " + text_field(side, "plan");
  if (!text_field(side, "started_at").empty())
    detail += (detail.empty() ? "" : ", ") + std::string("started ") + text_field(side, "started_at");
  std::string text = "run " + text_field(side, "path") + (detail.empty() ? "" : " (" + detail + ")");
  if (field(side, "synthetic") == true) text += ", SYNTHETIC";
  return text;
}

std::string value_text(const nlohmann::json& side, const nlohmann::json& unit) {
  return readable_quantity(field(side, "value"), unit);
}

// "node001 GPU 0 (GPU-…)" for a device row, "node001" for a node row.
std::string where_text(const nlohmann::json& row, const std::string& level) {
  if (level == "node") return text_field(row, "host");
  const nlohmann::json& d =
      field(row, "current").is_object() ? field(row, "current") : field(row, "baseline");
  std::string text = text_field(d, "host") + " GPU " + text_field(d, "gpu");
  if (!text_field(d, "uuid").empty()) text += " (" + text_field(d, "uuid") + ")";
  return text;
}

std::string metric_where(const nlohmann::json& row) {
  return text_field(row, "scope") == "global" ? "global" : "per-GPU median";
}

struct level_rows {
  std::string level;  // metric | gpu | node
  const nlohmann::json* rows;
};

std::vector<level_rows> levels_of(const nlohmann::json& comparison) {
  return {{"metric", &list_field(comparison, "metrics")},
          {"gpu", &list_field(comparison, "devices")},
          {"node", &list_field(comparison, "nodes")}};
}

}  // namespace

void render_compare_markdown(const nlohmann::json& c, std::ostream& out) {
  const bool synthetic =
      field(field(c, "current"), "synthetic") == true || field(field(c, "baseline"), "synthetic") == true;
  out << "# exacheck compare" << (synthetic ? " (SYNTHETIC)" : "") << ": " << text_field(c, "verdict")
      << "\n\n";
  const nlohmann::json& counts = field(c, "counts");
  out << fmt::format("**{} regression(s)** · exit code {} · tolerance ±{}%\n\n",
                     field(field(counts, "metrics"), "REGRESSION").get<int>() +
                         field(field(counts, "devices"), "REGRESSION").get<int>() +
                         field(field(counts, "nodes"), "REGRESSION").get<int>(),
                     text_field(c, "exit_code"), text_field(c, "tolerance_pct"));
  out << "- this run: " << markdown_cell(side_text(field(c, "current"))) << "\n";
  out << "- baseline: " << markdown_cell(side_text(field(c, "baseline"))) << "\n\n";

  out << "| | REGRESSION | IMPROVEMENT | SAME | NEW | MISSING |\n|---|---|---|---|---|---|\n";
  for (const auto& [name, key] : {std::pair{"metrics", "metrics"}, {"GPUs", "devices"}, {"nodes", "nodes"}}) {
    out << "| " << name;
    for (const auto& v : verdicts) out << " | " << text_field(field(counts, key), v);
    out << " |\n";
  }

  out << "\n## Regressions\n\n";
  std::size_t regressions = 0;
  for (const auto& [level, rows] : levels_of(c))
    for (const auto& row : *rows) regressions += text_field(row, "verdict") == "REGRESSION";
  if (regressions == 0) {
    out << "None.\n";
  } else {
    out << "| level | benchmark | point | metric | where | baseline | this run | Δ | note |\n"
           "|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& [level, rows] : levels_of(c)) {
      for (const auto& row : *rows) {
        if (text_field(row, "verdict") != "REGRESSION") continue;
        const std::string where = level == "metric" ? metric_where(row) : where_text(row, level);
        out << "| " << level << " | " << markdown_cell(text_field(row, "benchmark")) << " | "
            << markdown_cell(params_text(field(row, "params"))) << " | "
            << markdown_cell(text_field(row, "metric")) << " | " << markdown_cell(where) << " | "
            << value_text(field(row, "baseline"), field(row, "unit")) << " | "
            << value_text(field(row, "current"), field(row, "unit")) << " | "
            << readable_delta_pct(field(row, "delta_pct")) << " | " << markdown_cell(text_field(row, "note"))
            << " |\n";
      }
    }
  }

  out << "\n## Metrics\n\n";
  if (list_field(c, "metrics").empty()) {
    out << "Nothing to compare.\n";
  } else {
    out << "| benchmark | point | metric | value | baseline | this run | Δ | verdict | note |\n"
           "|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& row : list_field(c, "metrics"))
      out << "| " << markdown_cell(text_field(row, "benchmark")) << " | "
          << markdown_cell(params_text(field(row, "params"))) << " | "
          << markdown_cell(text_field(row, "metric")) << " | " << metric_where(row) << " | "
          << value_text(field(row, "baseline"), field(row, "unit")) << " | "
          << value_text(field(row, "current"), field(row, "unit")) << " | "
          << readable_delta_pct(field(row, "delta_pct")) << " | " << text_field(row, "verdict") << " | "
          << markdown_cell(text_field(row, "note")) << " |\n";
  }

  out << "\n## GPUs and nodes that differ\n\n";
  std::size_t same_devices = 0, same_nodes = 0, listed = 0;
  std::string table;
  for (const auto& [level, rows] : levels_of(c)) {
    if (level == "metric") continue;
    for (const auto& row : *rows) {
      if (text_field(row, "verdict") == "SAME" && text_field(row, "match") != "replaced" &&
          text_field(row, "match") != "moved" && text_field(row, "note").empty()) {
        ++(level == "gpu" ? same_devices : same_nodes);
        continue;
      }
      ++listed;
      table += "| " + level + " | " + markdown_cell(where_text(row, level)) + " | " +
               markdown_cell(text_field(row, "benchmark")) + " | " +
               markdown_cell(params_text(field(row, "params"))) + " | " +
               markdown_cell(text_field(row, "metric")) + " | " +
               value_text(field(row, "baseline"), field(row, "unit")) + " | " +
               value_text(field(row, "current"), field(row, "unit")) + " | " +
               readable_delta_pct(field(row, "delta_pct")) + " | " + text_field(row, "verdict") + " | " +
               markdown_cell(text_field(row, "note")) + " |\n";
    }
  }
  if (listed == 0) {
    out << "None.\n";
  } else {
    out << "| level | where | benchmark | point | metric | baseline | this run | Δ | verdict | note |\n"
           "|---|---|---|---|---|---|---|---|---|---|\n"
        << table;
  }
  out << fmt::format(
      "\n{} GPU and {} node comparisons are SAME and not listed; compare.json has every row.\n", same_devices,
      same_nodes);
}

void print_compare_summary(const nlohmann::json& c, std::ostream& out) {
  out << fmt::format("exacheck compare: {} (exit code {}), tolerance ±{}%\n", text_field(c, "verdict"),
                     text_field(c, "exit_code"), text_field(c, "tolerance_pct"));
  out << "  this run: " << side_text(field(c, "current")) << "\n";
  out << "  baseline: " << side_text(field(c, "baseline")) << "\n";
  for (const auto& [name, key] : {std::pair{"metrics", "metrics"}, {"GPUs", "devices"}, {"nodes", "nodes"}}) {
    std::string counts;
    for (const auto& v : verdicts)
      if (field(field(field(c, "counts"), key), v) != 0)
        counts += (counts.empty() ? "" : ", ") + text_field(field(field(c, "counts"), key), v) + " " + v;
    out << fmt::format("  {:<8} {}\n", name + std::string(":"), counts.empty() ? "none" : counts);
  }
  std::size_t printed = 0, more = 0;
  for (const auto& [level, rows] : levels_of(c)) {
    for (const auto& row : *rows) {
      if (text_field(row, "verdict") != "REGRESSION") continue;
      if (printed == max_printed_regressions) {
        ++more;
        continue;
      }
      ++printed;
      const std::string where = level == "metric" ? metric_where(row) : where_text(row, level);
      out << fmt::format("REGRESSION {} {} {} [{}]: {} → {} ({}){}\n", text_field(row, "benchmark"),
                         params_text(field(row, "params")), text_field(row, "metric"), where,
                         value_text(field(row, "baseline"), field(row, "unit")),
                         value_text(field(row, "current"), field(row, "unit")),
                         readable_delta_pct(field(row, "delta_pct")),
                         text_field(row, "note").empty() ? "" : "; " + text_field(row, "note"));
    }
  }
  if (more) out << fmt::format("… and {} more regressions in compare.md\n", more);
}

}  // namespace exacheck::reports
