#pragma once
// The Prometheus text exposition format (version 0.0.4, what node_exporter's textfile collector reads):
// metric families with HELP and TYPE, samples with escaped label values, names made valid, units turned into
// base units. Collecting samples here first lets the writer guarantee what the collector insists on: one
// label set per family and no series twice.
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
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
class exposition {
 public:
  // Adds one sample. The family's HELP is the one given with its first sample. Label names must already be
  // valid (name_part); values are escaped on output. Cost: no allocation per sample once the family has
  // seen its label names in this order (a renderer reuses one label_list, changing only the values).
  void add(const std::string& name, const std::string& help, const label_list& labels, double value);

  // The exposition text. Every sample of a family carries the union of the family's label names (missing
  // ones as "", which Prometheus reads as absent); a series seen twice keeps its first sample and the
  // dropped ones are named in a comment at the top.
  std::string text() const;
  // The same text written to `out`, never held whole (metrics.prom of 2,100 GPUs is 70 MB).
  void write(std::ostream& out) const;

 private:
  // Samples kept compactly (a machine of thousands of GPUs gives hundreds of thousands of samples of ~15
  // labels each: as label_lists they took 400 MB at 2,100 GPUs, as a vector and a string each 75 MB): a
  // family's samples share its arenas. A sample's label names are one of the family's layouts (the positions
  // in label_names of its labels, in its order), its values one run of `values`, each label's end in
  // `value_ends`.
  struct sample {
    std::uint32_t layout;      // into family::layouts
    std::uint32_t first_end;   // into family::value_ends: this sample's labels' ends
    std::size_t values_begin;  // into family::values
    double value;
  };
  struct family {
    std::string name, help;
    std::vector<std::string> label_names;             // in order of first appearance
    std::vector<std::vector<std::uint32_t>> layouts;  // label name positions, in a sample's order
    std::vector<std::uint32_t> value_ends;            // per sample and label: end, from values_begin
    std::string values;                               // every sample's label values, one after the other
    std::vector<sample> samples;
  };
  // Positions of the label names of `labels` in f.label_names (added when new), as a layout of f.
  static std::uint32_t layout_of(family& f, const label_list& labels);
  // `name{labels}` (or `name` without labels) of sample `s` of `f`, appended to `text`; `first` is scratch.
  static void series_text(const family& f, const sample& s, std::vector<std::uint32_t>& first,
                          std::string& text);
  std::vector<family> m_families;
  std::map<std::string, std::size_t> m_index;  // family name → position in m_families
  std::size_t m_last = 0;                      // the family added to last: most samples follow their family's
};

}  // namespace exacheck::reports::prometheus
