// report.html's "Node groups": each grouped collective (run.json analysis.groups), its copies named by their
// hosts, bad groups first. Rendered only: every number is in run.json.
#include <fmt/core.h>

#include "reports/analysis/format.hpp"
#include "reports/render/group_text.hpp"
#include "reports/render/html.hpp"

namespace exacheck::reports::html {

bool has_groups(const json& run) {
  return !list_field(field(run, "analysis"), "groups").empty();
}

void write_groups(const json& run, std::ostream& out) {
  if (!has_groups(run)) return;
  out << "<section id=\"groups\">\n<h2>Node groups</h2>\n<p>Collectives run as independent copies, one per "
         "node (<code>groups: per_node</code>) or per node pair (<code>groups: node_pairs</code>, two "
         "rounds), compared with each other at the largest size; bad groups first.</p>\n";
  for (const auto& entry : list_field(field(run, "analysis"), "groups")) {
    out << "<h3>" << html_text(group_title(entry)) << "</h3>\n<p>" << html_text(group_centre_text(entry))
        << ".</p>\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& row : group_rows(entry))
      rows.push_back({html_text(row.group), html_text(row.round), html_text(row.value),
                      html_text(row.from_median),
                      row.verdict == "OUTLIER" ? badge(row.verdict) : html_text(row.verdict)});
    write_table(out, {"group", "round", text_field(entry, "metric"), "vs median", "verdict"}, rows,
                {false, true, true, true, false});
    const auto notes = group_notes(entry);
    if (!notes.empty()) {
      out << "<ul>";
      for (const auto& note : notes) out << "<li>" << html_text(note) << "</li>";
      out << "</ul>\n";
    }
  }
  out << "</section>\n";
}

}  // namespace exacheck::reports::html
