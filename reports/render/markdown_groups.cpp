// report.md's "Node groups": each grouped collective (run.json analysis.groups), its copies named by their
// hosts, bad groups first. Rendered only: every number is in run.json.
#include <fmt/core.h>

#include "reports/analysis/format.hpp"
#include "reports/render/group_text.hpp"
#include "reports/render/markdown_parts.hpp"

namespace exacheck::reports::markdown {

void write_groups(const nlohmann::json& run, std::ostream& out) {
  const auto& entries = list_field(field(run, "analysis"), "groups");
  if (entries.empty()) return;
  out << "## Node groups\n\n"
         "Collectives run as independent copies, one per node (`groups: per_node`) or per node pair "
         "(`groups: node_pairs`, two rounds), compared with each other at the largest size; bad groups "
         "first.\n\n";
  for (const auto& entry : entries) {
    out << fmt::format("### {}\n\n{}.\n\n", group_title(entry), group_centre_text(entry));
    write_table_header(out, {"group", "round", text_field(entry, "metric"), "vs median", "verdict"});
    for (const auto& row : group_rows(entry))
      write_table_row(out, {row.group, row.round, row.value, row.from_median, row.verdict});
    out << "\n";
    for (const auto& note : group_notes(entry)) out << "- " << note << "\n";
    if (!group_notes(entry).empty()) out << "\n";
  }
}

}  // namespace exacheck::reports::markdown
