#pragma once
// Renderers of compare.json (harness/compare/compare.hpp): compare.md, and the summary `exacheck compare`
// prints. They render and never compute: every number is in compare.json.
#include <nlohmann/json.hpp>
#include <ostream>

namespace exacheck::reports {

// compare.md: verdict first, counts, every regression, what the baseline has and this run lacks (nodes, GPUs,
// points, metrics), the metric table, then the GPUs and nodes that differ.
void render_compare_markdown(const nlohmann::json& comparison, std::ostream& out);
// A few lines for the terminal: verdict, both sides, counts, each regression and each missing node, GPU,
// point or metric (the first 50 of each).
void print_compare_summary(const nlohmann::json& comparison, std::ostream& out);

}  // namespace exacheck::reports
