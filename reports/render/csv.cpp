// results.csv: one row per metric per rank (what every rank measured), with the rank's GPU (index and UUID)
// and its check's reference and outcome, plus one row per check that has no per-rank metric (correctness,
// skipped points, cases that did not run, fleet outliers). A node-scoped point (every rank of a node reports
// the node's value: copybw's p2p matrix) gives one row per node, not one per rank. RFC 4180 quoting; lines
// end in "\n" so that grep, cut and awk read it (RFC 4180 readers accept it too). Numbers are written with
// every digit (shortest round-trip text). Rendered from run.json alone.
//
// At 2,100 GPUs it is ~400,000 rows: the rows are formatted into one buffer flushed to the stream in chunks,
// and what is the same on every rank of a point (the case's fields, the params, each metric's descriptor,
// check and reference) is formatted once per point, so that a rank's row costs its rank, host and value; a
// rank's fields are looked up once for all its rows (its values in one walk).
#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "reports/analysis/format.hpp"
#include "reports/render/render.hpp"

namespace exacheck::reports {
namespace {

using nlohmann::json;

const std::vector<std::string> columns{
    "case_id",        "case_name",   "benchmark",   "params",    "rank",      "host",   "gpu",
    "uuid",           "metric",      "value",       "unit",      "statistic", "better", "reference",
    "reference_unit", "lower_bound", "upper_bound", "delta_pct", "outcome",   "reason"};

// Whether a field needs quotes: it holds a comma, quote, CR or LF (one pass, not one search per character).
bool needs_quotes(std::string_view text) {
  for (const char c : text)
    if (c == ',' || c == '"' || c == '\r' || c == '\n') return true;
  return false;
}

// One RFC 4180 field, as csv_field quotes it, appended to `buffer`.
void append_field(fmt::memory_buffer& buffer, std::string_view text) {
  if (!needs_quotes(text)) {
    buffer.append(text);
    return;
  }
  buffer.push_back('"');
  for (const char c : text) {
    if (c == '"') buffer.push_back('"');
    buffer.push_back(c);
  }
  buffer.push_back('"');
}

// A scalar as text_field would write it (numbers as exact_number), quoted as a field, appended to `buffer`.
void append_scalar(fmt::memory_buffer& buffer, const json& value) {
  if (value.is_number_integer()) {
    if (value.is_number_unsigned())
      buffer.append(fmt::format_int(value.get<std::uint64_t>()));
    else
      buffer.append(fmt::format_int(value.get<std::int64_t>()));
  } else if (value.is_number_float() && std::isfinite(value.get<double>())) {
    fmt::format_to(std::back_inserter(buffer), FMT_COMPILE("{}"), value.get<double>());
  } else if (value.is_string()) {
    append_field(buffer, value.get_ref<const std::string&>());
  } else if (!value.is_null()) {
    append_field(buffer, scalar_text(value));
  }
}

// Rows go to `m_buffer` and from there to the stream once it holds `flush_bytes`.
class csv_writer {
 public:
  explicit csv_writer(std::ostream& out) : m_out(out) {}
  csv_writer(const csv_writer&) = delete;
  csv_writer& operator=(const csv_writer&) = delete;
  ~csv_writer() { flush(); }

  void field(std::string_view text) { append_field(m_buffer, text); }
  void scalar(const json& value) { append_scalar(m_buffer, value); }
  void raw(std::string_view text) { m_buffer.append(text); }
  void separator() { m_buffer.push_back(','); }
  void end_line() {
    m_buffer.push_back('\n');
    if (m_buffer.size() >= flush_bytes) flush();
  }
  void line(const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i) separator();
      field(fields[i]);
    }
    end_line();
  }
  void flush() {
    m_out.write(m_buffer.data(), static_cast<std::streamsize>(m_buffer.size()));
    m_buffer.clear();
  }

 private:
  static constexpr std::size_t flush_bytes = 1 << 20;
  std::ostream& m_out;
  fmt::memory_buffer m_buffer;
};

// The quoted text of one row's fields `first`..: what the rows of a point share, formatted once.
std::string joined_fields(const std::vector<std::string>& fields) {
  std::string text;
  for (std::size_t i = 0; i < fields.size(); ++i) text += (i ? "," : "") + csv_field(fields[i]);
  return text;
}

// The case's and the point's columns (case_id … params), with the comma that follows them.
std::string row_prefix(const json& test_case, const std::string& params) {
  return joined_fields({text_field(test_case, "id"), text_field(test_case, "name"),
                        text_field(test_case, "benchmark"), params}) +
         ",";
}

// The columns after `value` (unit … reason), with the comma before them. `judged`: this row holds the value
// the check judged (its worst rank, or rank 0 of a global metric, or the check itself), so the check's Δ% and
// reason belong to it; other ranks' rows carry only the reference and the point's outcome (the renderer does
// not compute a Δ% of its own).
std::string row_suffix(const std::string& unit, const std::string& statistic, const std::string& better,
                       const json& check, bool judged) {
  const json& reference = field(check, "reference");
  return "," + joined_fields({unit, statistic, better, exact_number(field(reference, "value")),
                              text_field(reference, "unit"), exact_number(field(reference, "lower_bound")),
                              exact_number(field(reference, "upper_bound")),
                              judged ? exact_number(field(check, "delta_pct")) : "",
                              text_field(check, "outcome"), judged ? text_field(check, "reason") : ""});
}

void write_check_row(csv_writer& out, const json& test_case, const json& check) {
  out.raw(row_prefix(test_case, params_text(field(check, "params"), ";")));
  // A fleet check names its GPU (gpu, uuid); a node's, or any other check's, has none.
  out.raw(joined_fields({text_field(check, "worst_rank"), text_field(check, "worst_host"),
                         text_field(check, "gpu"), text_field(check, "uuid"), text_field(check, "metric"),
                         exact_number(field(check, "value"))}));
  out.raw(row_suffix(text_field(check, "unit"), text_field(check, "statistic"), text_field(check, "better"),
                     check, true));
  out.end_line();
}

// One metric of a point as its rows need it: the check of it, and the text after the value both ways.
struct metric_columns {
  std::string name;
  std::string quoted_name;      // as its field, with the comma after it
  const json* check = nullptr;  // nullptr: no check of this metric at this point
  const json* worst = nullptr;  // the check's worst_rank (worst_host of a node-scoped point)
  std::string judged_suffix, other_suffix;
};

// The check of `metric` at the point with `params`, or -1.
int find_check(const json& checks, const std::string& metric, const json& params) {
  for (std::size_t i = 0; i < checks.size(); ++i)
    if (text_field(checks[i], "metric") == metric && field(checks[i], "params") == params)
      return static_cast<int>(i);
  return -1;
}

static_assert(std::is_same_v<json::object_comparator_t, std::less<>>, "rank_values walks keys in order");

// What rank record `rank` holds for each of `metrics` (as rank_value: nullptr when not reported), by one
// walk through its "values" beside the metrics in name order (`by_name`), not one search per metric.
void rank_values(const json& rank, const std::vector<metric_columns>& metrics,
                 const std::vector<std::size_t>& by_name, std::vector<const json*>& found) {
  found.assign(metrics.size(), nullptr);
  const json& values = field(rank, "values");
  if (!values.is_object()) return;
  auto item = values.begin();
  for (std::size_t next = 0; next < by_name.size() && item != values.end();) {
    const std::string& name = metrics[by_name[next]].name;
    const int order = item.key().compare(name);
    if (order < 0) {
      ++item;
    } else {
      if (order == 0) found[by_name[next]] = &*item;
      ++next;  // a metric the rank did not report (or reported under this name: each key once)
    }
  }
}

// The device rank record `rank` ran on (its GPU: kind, index, uuid), as the run lists it.
const json& device_of(const json& run, const json& rank) {
  return rank_device(run, rank);
}

// Starts loading rank records into the cache a few ranks before their rows are written. At 2,100 GPUs the
// rows wait on memory, not on work: each rank record is a tree of its own and each lookup in it one cache
// miss after another (without this, more than half of the time). The parser allocated a record's nodes one
// after the other, so the kilobyte after its map holds most of them: that of the record 8 ranks ahead, then,
// 4 ranks ahead, when that record is in the cache, its values' and its device's (trees of their own). A
// record laid out otherwise only loses the head start.
void prefetch_tree(const json& object) {
  const auto* map = object.get_ptr<const json::object_t*>();
  if (!map) return;
  const char* at = reinterpret_cast<const char*>(map);
  for (int line = 0; line < 16; ++line) __builtin_prefetch(at + 64 * line);
}
void prefetch_ahead(const json& run, const json& ranks, std::size_t r) {
  if (r + 8 < ranks.size()) prefetch_tree(ranks[r + 8]);
  if (r + 4 < ranks.size()) {
    prefetch_tree(field(ranks[r + 4], "values"));
    prefetch_tree(device_of(run, ranks[r + 4]));
  }
}

void write_point(csv_writer& out, const json& run, const json& test_case, const json& point,
                 std::vector<bool>& written) {
  const json& checks = list_field(test_case, "checks");
  const json& params = field(point, "params");
  const std::string prefix = row_prefix(test_case, params_text(params, ";"));
  const bool node_scoped = text_field(point, "scope") == "node";
  // Every rank of the point has the point's metrics: their checks and columns are made once, not per rank.
  std::vector<metric_columns> metrics;
  for (const auto& m : list_field(point, "metrics")) {
    metric_columns c{text_field(m, "name"), "", nullptr, nullptr, "", ""};
    c.quoted_name = csv_field(c.name) + ",";
    const int index = find_check(checks, c.name, params);
    static const json no_check;
    if (index >= 0) {
      c.check = &checks[static_cast<std::size_t>(index)];
      c.worst = &field(*c.check, node_scoped ? "worst_host" : "worst_rank");
    }
    const json& check = c.check ? *c.check : no_check;
    const std::string unit = text_field(m, "unit"), statistic = text_field(m, "statistic"),
                      better = text_field(m, "better");
    c.judged_suffix = row_suffix(unit, statistic, better, check, true);
    c.other_suffix = row_suffix(unit, statistic, better, check, false);
    metrics.push_back(std::move(c));
  }
  // The rank records' "values" keys come sorted (a JSON object is a std::map): the metrics in that order.
  std::vector<std::size_t> by_name(metrics.size());
  for (std::size_t i = 0; i < by_name.size(); ++i) by_name[i] = i;
  std::stable_sort(by_name.begin(), by_name.end(),
                   [&](std::size_t a, std::size_t b) { return metrics[a].name < metrics[b].name; });
  // Rank-major, each rank's metrics in the point's order, as the ranks reported them; a node's value once,
  // from the first of its ranks, with no GPU (it is the node's).
  std::unordered_set<std::string> nodes_written;
  std::vector<const json*> values;
  fmt::memory_buffer device_text;  // the gpu and uuid columns with their commas, the same in a rank's rows
  static const json none;
  const json& ranks = list_field(point, "ranks");
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    prefetch_ahead(run, ranks, r);
    const json& rank = ranks[r];
    const json& rank_number = field(rank, "rank");
    const json& host = field(rank, "host");
    if (node_scoped && !nodes_written.insert(scalar_text(host)).second) continue;
    rank_values(rank, metrics, by_name, values);
    const json& device = device_of(run, rank);
    device_text.clear();
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      const metric_columns& m = metrics[i];
      const json* value = values[i];
      if (!value) continue;
      const bool judged = m.worst && (node_scoped ? *m.worst == host : *m.worst == rank_number);
      out.raw(prefix);
      out.scalar(rank_number);
      out.separator();
      out.scalar(host);
      out.separator();
      if (device_text.size() == 0) {  // at the rank's first row
        const json& kind = field(device, "kind");
        const bool gpu = !node_scoped && kind.is_string() && kind.get_ref<const std::string&>() == "gpu";
        append_scalar(device_text, gpu ? field(device, "index") : none);
        device_text.push_back(',');
        append_scalar(device_text, node_scoped ? none : field(device, "uuid"));
        device_text.push_back(',');
      }
      out.raw({device_text.data(), device_text.size()});
      out.raw(m.quoted_name);
      if (value->is_number()) out.scalar(*value);
      out.raw(judged ? m.judged_suffix : m.other_suffix);
      out.end_line();
    }
  }
  for (const auto& m : metrics)
    if (m.check) written[static_cast<std::size_t>(m.check - &checks[0])] = true;
  // Checks of this point without per-rank rows: correctness, a skipped point.
  for (std::size_t i = 0; i < checks.size(); ++i)
    if (!written[i] && field(checks[i], "params") == params) {
      write_check_row(out, test_case, checks[i]);
      written[i] = true;
    }
}

}  // namespace

void render_csv(const json& run, std::ostream& out) {
  csv_writer csv(out);
  // A simulated run (exacheck simulate) starts with a comment line, so that its rows cannot pass for measured
  // ones; real runs have none (readers: pandas.read_csv(comment='#'), grep -v '^#').
  if (field(run, "synthetic") == true) csv.raw("# SYNTHETIC: generated by exacheck simulate, not measured\n");
  csv.line(columns);
  for (const auto& test_case : list_field(run, "cases")) {
    const json& checks = list_field(test_case, "checks");
    std::vector<bool> written(checks.size(), false);
    for (const auto& point : list_field(test_case, "results"))
      write_point(csv, run, test_case, point, written);
    // What is left belongs to no measured point: the "run" check of a case that errored or timed out.
    for (std::size_t i = 0; i < checks.size(); ++i)
      if (!written[i]) write_check_row(csv, test_case, checks[i]);
  }
}

}  // namespace exacheck::reports
