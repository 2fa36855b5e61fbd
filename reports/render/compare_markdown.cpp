// compare.md and the terminal summary of `exacheck compare`, from compare.json.
#include <fmt/core.h>

#include <tuple>

#include "reports/analysis/format.hpp"
#include "reports/render/compare_render.hpp"

namespace exacheck::reports {
namespace {

const std::vector<std::string> verdicts = {"REGRESSION", "IMPROVEMENT", "SAME", "NEW", "MISSING"};
constexpr std::size_t max_printed_regressions = 50;  // and as many missing items
constexpr std::size_t max_listed_missing = 200;      // in compare.md; compare.json has them all

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

// "node001 GPU 0 (GPU-…, serial 1321…)": host, index and whatever identity the device told.
std::string gpu_text(const nlohmann::json& d) {
  std::string text = text_field(d, "host") + " GPU " + text_field(d, "gpu"), ids;
  if (!text_field(d, "uuid").empty()) ids = text_field(d, "uuid");
  if (!text_field(d, "serial").empty())
    ids += (ids.empty() ? "" : ", ") + ("serial " + text_field(d, "serial"));
  return ids.empty() ? text : text + " (" + ids + ")";
}

// "node001 GPU 0 (GPU-…)" for a device row, "node001" for a node row.
std::string where_text(const nlohmann::json& row, const std::string& level) {
  if (level == "node") return text_field(row, "host");
  return gpu_text(field(row, "current").is_object() ? field(row, "current") : field(row, "baseline"));
}

// What the baseline has and this run lacks (compare.json "missing"), one item per node, GPU, point or metric.
struct missing_item {
  std::string what, which, detail;
};

std::vector<missing_item> missing_items(const nlohmann::json& c) {
  const nlohmann::json& missing = field(c, "missing");
  const auto in_metrics = [](const nlohmann::json& item) {
    return fmt::format("missing from {} of the {} per-GPU metrics it has in the baseline",
                       text_field(item, "missing_metrics"), text_field(item, "baseline_metrics"));
  };
  std::vector<missing_item> items;
  for (const auto& node : list_field(missing, "nodes"))
    items.push_back(
        {"node", text_field(node, "host"),
         fmt::format("{} GPU(s) in the baseline; {}", text_field(node, "gpus"), in_metrics(node))});
  for (const auto& gpu : list_field(missing, "gpus"))
    items.push_back({"GPU", gpu_text(gpu), in_metrics(gpu)});
  for (const auto& point : list_field(missing, "points")) {
    std::string metrics;
    for (const auto& metric : list_field(point, "metrics"))
      metrics += (metrics.empty() ? "" : ", ") + scalar_text(metric);
    items.push_back({"point", text_field(point, "benchmark") + " " + params_text(field(point, "params")),
                     "nothing of it measured; the baseline has " + metrics});
  }
  for (const auto& metric : list_field(missing, "metrics"))
    items.push_back({"metric",
                     text_field(metric, "benchmark") + " " + params_text(field(metric, "params")) + " " +
                         text_field(metric, "metric"),
                     "its point was measured, this metric was not"});
  return items;
}

// "1 node, 4 GPUs, 2 points"
std::string missing_counts_text(const nlohmann::json& c) {
  std::string text;
  for (const auto& [key, one, many] : {std::tuple{"nodes", "node", "nodes"},
                                       {"gpus", "GPU", "GPUs"},
                                       {"points", "point", "points"},
                                       {"metrics", "metric", "metrics"}}) {
    const std::size_t n = list_field(field(c, "missing"), key).size();
    if (n) text += fmt::format("{}{} {}", text.empty() ? "" : ", ", n, n == 1 ? one : many);
  }
  return text;
}

std::string missing_consequence(const nlohmann::json& c) {
  return field(c, "allow_missing") == true ? "reported, not failed: --allow-missing"
                                           : "each fails the comparison unless --allow-missing";
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
  const std::vector<missing_item> missing = missing_items(c);
  out << fmt::format("**{} regression(s)**{} · exit code {} · tolerance ±{}%\n\n",
                     field(field(counts, "metrics"), "REGRESSION").get<int>() +
                         field(field(counts, "devices"), "REGRESSION").get<int>() +
                         field(field(counts, "nodes"), "REGRESSION").get<int>(),
                     missing.empty() ? std::string()
                                     : fmt::format(" · **missing tonight: {}** ({})", missing_counts_text(c),
                                                   missing_consequence(c)),
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

  out << "\n## Missing tonight\n\n";
  if (missing.empty()) {
    out << "None: this run measured everything the baseline has.\n";
  } else {
    out << fmt::format("In the baseline, not measured in this run: {} ({}).\n\n", missing_counts_text(c),
                       missing_consequence(c));
    out << "| what | which | detail |\n|---|---|---|\n";
    for (std::size_t i = 0; i < missing.size() && i < max_listed_missing; ++i)
      out << "| " << missing[i].what << " | " << markdown_cell(missing[i].which) << " | "
          << markdown_cell(missing[i].detail) << " |\n";
    if (missing.size() > max_listed_missing)
      out << fmt::format("\n… and {} more in compare.json (\"missing\").\n",
                         missing.size() - max_listed_missing);
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
  const std::vector<missing_item> missing = missing_items(c);
  for (std::size_t i = 0; i < missing.size() && i < max_printed_regressions; ++i)
    out << fmt::format("MISSING {} {}: {}\n", missing[i].what, missing[i].which, missing[i].detail);
  if (missing.size() > max_printed_regressions)
    out << fmt::format("… and {} more missing in compare.md\n", missing.size() - max_printed_regressions);
  if (!missing.empty())
    out << fmt::format("missing tonight: {} ({})\n", missing_counts_text(c), missing_consequence(c));
}

}  // namespace exacheck::reports
