#pragma once
// The Prometheus text exposition format (version 0.0.4, what node_exporter's textfile collector reads):
// metric families with HELP and TYPE, samples with escaped label values, names made valid, units turned into
// base units. Collecting samples here first lets the writer guarantee what the collector insists on: one
// label set per family and no series twice.
#include <cstdint>
#include <initializer_list>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace exacheck::reports::prometheus {

using label_list = std::vector<std::pair<std::string, std::string>>;  // name, value (unescaped), in order

// A metric or label name part: lower case, every run of characters outside [a-z0-9_] as one '_', no leading
// digit ("Triad-BW" → "triad_bw").
std::string name_part(std::string_view text);
// A label value as it goes between the quotes: backslash, double quote and line feed escaped.
std::string escaped_label_value(std::string_view text);
// A HELP text: backslash and line feed escaped.
std::string escaped_help(std::string_view text);
// A sample value: shortest text that reads back to the same double; NaN, +Inf, -Inf as Prometheus spells
// them.
std::string sample_value(double value);

// How a run.json unit becomes a Prometheus base unit (docs/reading-a-report.md "Prometheus"): the name suffix
// and the factor that converts a value into it. FLOP/s → flops_per_second (flops: the plural of flop, as
// bytes is of byte), B/s → bytes_per_second, time → seconds, sizes → bytes, OP/s → operations_per_second,
// % → ratio (×0.01). An unknown unit keeps its name as suffix and its values as they are.
struct base_unit {
  std::string suffix;  // "" for a unitless value
  double factor = 1.0;
};
base_unit base_unit_of(const std::string& unit);

// Gauge families in the order they were first added; samples in the order added.
//
// A machine of thousands of GPUs gives hundreds of thousands of samples of ~15 labels each, nearly all of
// them alike but for the GPU's host, gpu and uuid (72 MB of text at 2,100 GPUs). So samples are kept as a
// block (the labels a group of samples shares, stored once) and a row (the values that vary: a GPU's, stored
// once for every family that names it): 16 bytes a sample. The text of a sample is made only when it is
// written.
class exposition {
 public:
  using block_id = std::uint32_t;
  using row_id = std::uint32_t;

  // Label values that samples of many blocks share (a GPU's host, gpu and uuid), stored once: the same values
  // give the same row. Row 0 has no values (a block without varying labels).
  row_id row(std::initializer_list<std::string_view> values);
  // Samples of family `name` with `labels`, except that the labels at positions `varying` take
  // their values from each sample's row, in that order (the values given here for them are ignored). Label
  // names must already be valid (name_part); values are escaped on output. The family and its label names
  // count from the block's first sample: a block without samples leaves no trace.
  block_id block(const std::string& name, const std::string& help, const label_list& labels,
                 std::initializer_list<std::size_t> varying = {});
  // Adds one sample of block `b`, its varying labels from row `r` (as many values as the block varies).
  void add(block_id b, row_id r, double value);
  // Adds one sample. The family's HELP is the one given with its first sample.
  void add(const std::string& name, const std::string& help, const label_list& labels, double value);

  // The exposition text. Every sample of a family carries the union of the family's label names (missing
  // ones as "", which Prometheus reads as absent); a series seen twice keeps its first sample and the
  // dropped ones are named in a comment at the top.
  std::string text() const;
  // The same text written to `out`, never held whole (metrics.prom of 2,100 GPUs is 70 MB).
  void write(std::ostream& out) const;

 private:
  // A row's values, escaped, one after the other in m_row_text; each with the hash of its text.
  struct cell {
    std::uint32_t begin, size;
    std::uint64_t hash;
  };
  struct block_data {
    std::string name, help;
    std::vector<std::string> label_names;
    std::vector<std::string> escaped_values;  // per label; "" for a varying one
    std::vector<std::int32_t> column;         // per label: its row column, or -1 when constant
    std::uint32_t varying = 0;                // row columns a sample's row has
    std::uint32_t family = no_family;         // set by the block's first sample
    std::uint32_t layout = 0;                 // into family::layouts
  };
  struct sample {
    block_id block;
    row_id row;
    double value;
  };
  struct family {
    std::string name, help;
    std::vector<std::string> label_names;             // in order of first appearance
    std::vector<std::vector<std::uint32_t>> layouts;  // label name positions, in a block's order
    std::vector<sample> samples;
  };
  // What writing a family needs of a block: its series text as literal runs and row columns between
  // them, and the hash of its constant labels.
  struct series_template;
  class writer;
  static constexpr std::uint32_t no_family = 0xffffffff;

  void resolve(block_data& b);
  // Positions of the label names `names` in f.label_names (added when new), as a layout of f.
  static std::uint32_t layout_of(family& f, const std::vector<std::string>& names);

  std::vector<family> m_families;
  std::map<std::string, std::size_t> m_index;  // family name → position in m_families
  std::vector<block_data> m_blocks;
  std::string m_row_text;                               // every row's escaped values
  std::vector<cell> m_cells;                            // every row's values
  std::vector<std::uint32_t> m_row_first{0, 0};         // row r: cells m_row_first[r] .. [r + 1]
  std::unordered_map<std::string, row_id> m_row_index;  // values (length-prefixed) → row
  std::string m_row_key;                                // scratch
};

}  // namespace exacheck::reports::prometheus
