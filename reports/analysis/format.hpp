#pragma once
// Shared by the renderers of run.json (markdown, junit, csv): tolerant field access, number and parameter
// formatting, outcome classes, and escaping for each output format. Nothing here computes a result: it only
// turns what run.json says into text.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "harness/results/run_fields.hpp"

namespace exacheck::reports {

// ---- numbers ----

// About four significant digits without exponent in the usual range ("0.04123", "97.12", "12346"); for
// people (markdown). NaN and infinities are spelt out.
std::string readable_number(double value);
// "97.12 GB/s", or "—" when `value` is not a number.
std::string readable_quantity(const nlohmann::json& value, const nlohmann::json& unit);
// A rate rescaled by SI prefix so that the number reads between 1 and 1000: (1682520, "TFLOP/s") →
// "1.683 EFLOP/s", (0.25, "TB/s") → "250 GB/s". Units that are not FLOP/s, OP/s or B/s with an SI prefix (K
// to E) read as readable_quantity does; "—" when `value` is not a number.
std::string readable_rate(const nlohmann::json& value, const nlohmann::json& unit);
// A relative difference in percent with its sign and one decimal ("+13.7%", "-64.4%"), or "—".
std::string readable_delta_pct(const nlohmann::json& delta_pct);

inline constexpr std::string_view missing_mark = "—";

// ---- parameters ----

// "dtype=fp64 m=2048 n=2048 k=2048" with `separator` " " (markdown, junit) or ";" (csv). Keys come in a fixed
// order: dtype, m, n, k first (a GEMM shape reads M×N×K), then the rest alphabetically. Lists read "[a,b]".
std::string params_text(const nlohmann::json& params, std::string_view separator = " ");
// A point's derived values (docs/run-json.md "derived": what its suite sized or found while it ran, never
// part of its identity) as "inner_iterations=1048576 isa=avx2 threads=per rank": the point's own, less those
// equal to the parameter of their name, then each key that only its ranks hold, as "per rank"; "" when none
// is left.
std::string derived_text(const nlohmann::json& point, std::string_view separator = " ");
// The point of `test_case` whose params are `params` (a check's point), or nullptr.
const nlohmann::json* point_with_params(const nlohmann::json& test_case, const nlohmann::json& params);

// ---- outcomes ----

// The outcome names in the order the reports list their counts.
const std::vector<std::string>& outcome_order();
bool is_failed_check(std::string_view outcome);      // FAIL, INCORRECT, OUTLIER
bool is_incomplete_check(std::string_view outcome);  // ERROR, TIMEOUT
// What the run's exit code means (DESIGN.md "Verdicts and exit codes").
std::string exit_code_meaning(int code);

// ---- escaping ----

// XML character data: & < > " ' escaped; control characters other than tab, LF and CR (invalid in XML 1.0,
// and common in logs: terminal colour codes) replaced by U+FFFD.
std::string xml_text(std::string_view text);
// An XML attribute value: as xml_text, and tab, LF and CR as character references so that they survive the
// parser's attribute-value normalisation.
std::string xml_attribute(std::string_view text);
// One RFC 4180 field: quoted, with quotes doubled, when it holds a comma, quote, CR or LF.
std::string csv_field(std::string_view text);
// A markdown table cell: '|' escaped and line breaks turned into <br>, so one value stays in one cell.
std::string markdown_cell(std::string_view text);

}  // namespace exacheck::reports

namespace exacheck::reports {

// ---- html (report.html) ----

// HTML text or a double-quoted attribute value, inline SVG included: & < > " ' escaped, control characters as
// xml_text replaces them.
std::string html_text(std::string_view text);
// A byte count for people, in binary units: "8 B", "64 KiB", "1.5 GiB"; "—" when not finite.
std::string binary_bytes_text(double bytes);
// An argv list as one could paste it into a shell: arguments with spaces, quotes or $ single-quoted.
std::string command_line_text(const nlohmann::json& argv);

}  // namespace exacheck::reports
