// Writing an exposition (reports/render/prometheus_exposition.hpp): family by family, each sample's text made
// from its block's template and its row when it is written, never held. Duplicate series are found first
// (their comments come at the top): by a hash of each sample's label values, texts compared only between
// samples of equal hash, which a well-formed run never has.
#include <fmt/compile.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <string_view>

#include "reports/render/prometheus_exposition.hpp"

namespace exacheck::reports::prometheus {
namespace {

// The hash of label `position` of a family having the value whose escaped text hashes to `value_hash`.
// Summed over a sample's labels: the constant ones' sum is a block's, so a sample adds only its row's.
std::uint64_t label_hash(std::size_t position, std::uint64_t value_hash) {
  std::uint64_t x = value_hash + (position + 1) * 0x9e3779b97f4a7c15ULL;  // splitmix64's finaliser
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

constexpr std::uint32_t no_label = 0xffffffff;

}  // namespace

// `name{a="x",b="` row column 0 `",c="y"}`: literal runs of `text` up to each piece's end, then the piece's
// row column; the rest of `text` after the last piece.
struct exposition::series_template {
  struct piece {
    std::uint32_t end;
    std::uint32_t column;
  };
  std::string text;
  std::vector<piece> pieces;
  bool made = false;
  std::uint64_t constant_hash = 0;                               // of the labels the block fixes (or lacks)
  std::vector<std::pair<std::uint32_t, std::uint32_t>> varying;  // family label position, row column
};

class exposition::writer {
 public:
  explicit writer(const exposition& e) : m_e(e), m_templates(e.m_blocks.size()) {}

  void write(std::ostream& out) {
    for (const family& f : m_e.m_families) make_templates(f);
    // A series seen twice in a family keeps its first sample; the dropped ones are named at the top.
    std::vector<std::vector<bool>> keep(m_e.m_families.size());
    std::string dropped;
    for (std::size_t fi = 0; fi < m_e.m_families.size(); ++fi) {
      keep[fi] = kept_samples(m_e.m_families[fi]);
      for (std::size_t si = 0; si < keep[fi].size(); ++si) {
        if (keep[fi][si]) continue;
        // Two samples of one series make node_exporter refuse the whole file; keep the first.
        dropped += "# exacheck: dropped a second sample of ";
        append_series(m_e.m_families[fi].samples[si], dropped);
        dropped += "\n";
      }
    }
    out << dropped;
    std::string text;
    for (std::size_t fi = 0; fi < m_e.m_families.size(); ++fi) {
      const family& f = m_e.m_families[fi];
      text += "# HELP ";
      text += f.name;
      text += ' ';
      text += escaped_help(f.help);
      text += "\n# TYPE ";
      text += f.name;
      text += " gauge\n";
      for (std::size_t si = 0; si < f.samples.size(); ++si) {
        if (!keep[fi].empty() && !keep[fi][si]) continue;
        const sample& s = f.samples[si];
        append_series(s, text);
        text += ' ';
        if (std::isnan(s.value) || std::isinf(s.value)) {
          text += sample_value(s.value);
        } else {  // as sample_value, without a string each
          char number[32];
          text.append(number, fmt::format_to(number, FMT_COMPILE("{}"), s.value));
        }
        text += '\n';
        if (text.size() >= 1 << 16) {  // written in blocks of ~64 KB, not a line at a time
          out << text;
          text.clear();
        }
      }
    }
    out << text;
  }

 private:
  void make_templates(const family& f) {
    std::vector<std::uint32_t> first;
    std::vector<std::uint64_t> missing_hash(f.label_names.size());
    const std::uint64_t empty_hash = std::hash<std::string_view>{}("");
    for (std::size_t i = 0; i < f.label_names.size(); ++i) missing_hash[i] = label_hash(i, empty_hash);
    for (const sample& s : f.samples) {
      series_template& t = m_templates[s.block];
      if (t.made) continue;
      t.made = true;
      const block_data& b = m_e.m_blocks[s.block];
      const std::vector<std::uint32_t>& layout = f.layouts[b.layout];
      t.text = f.name;
      if (f.label_names.empty()) continue;
      // The block's first label of each name (a missing one is "", which Prometheus reads as absent).
      first.assign(f.label_names.size(), no_label);
      for (std::size_t i = layout.size(); i-- > 0;) first[layout[i]] = static_cast<std::uint32_t>(i);
      t.text += '{';
      for (std::size_t name = 0; name < f.label_names.size(); ++name) {
        if (name > 0) t.text += ',';
        t.text += f.label_names[name];
        t.text += "=\"";
        const std::uint32_t i = first[name];
        if (i == no_label) {
          t.constant_hash += missing_hash[name];
        } else if (const std::int32_t column = b.column[i]; column >= 0) {
          const auto c = static_cast<std::uint32_t>(column);
          t.pieces.push_back({static_cast<std::uint32_t>(t.text.size()), c});
          t.varying.emplace_back(static_cast<std::uint32_t>(name), c);
        } else {
          t.text += b.escaped_values[i];
          t.constant_hash += label_hash(name, std::hash<std::string_view>{}(b.escaped_values[i]));
        }
        t.text += '"';
      }
      t.text += '}';
    }
  }

  void append_series(const sample& s, std::string& text) const {
    const series_template& t = m_templates[s.block];
    const cell* cells = m_e.m_cells.data() + m_e.m_row_first[s.row];
    std::size_t at = 0;
    for (const auto& piece : t.pieces) {
      text.append(t.text, at, piece.end - at);
      const cell& c = cells[piece.column];
      text.append(m_e.m_row_text, c.begin, c.size);
      at = piece.end;
    }
    text.append(t.text, at);
  }

  std::uint64_t series_hash(const sample& s) const {
    const series_template& t = m_templates[s.block];
    const cell* cells = m_e.m_cells.data() + m_e.m_row_first[s.row];
    std::uint64_t hash = t.constant_hash;
    for (const auto& [position, column] : t.varying) hash += label_hash(position, cells[column].hash);
    return hash;
  }

  // Which samples of `f` to write: empty when all (no two samples' hashes are equal, the usual case).
  std::vector<bool> kept_samples(const family& f) const {
    std::vector<std::uint64_t> hashes(f.samples.size());
    for (std::size_t si = 0; si < f.samples.size(); ++si) hashes[si] = series_hash(f.samples[si]);
    if (all_different(hashes)) return {};
    // Equal hashes, in sample order: a later one is dropped when its text equals a kept earlier one's.
    std::vector<bool> keep(f.samples.size(), true);
    std::vector<std::pair<std::uint64_t, std::size_t>> by_hash;  // hash, sample
    by_hash.reserve(f.samples.size());
    for (std::size_t si = 0; si < f.samples.size(); ++si) by_hash.emplace_back(hashes[si], si);
    std::sort(by_hash.begin(), by_hash.end());
    std::string text, other;
    for (std::size_t begin = 0, end = 0; begin < by_hash.size(); begin = end) {
      for (end = begin + 1; end < by_hash.size() && by_hash[end].first == by_hash[begin].first;) ++end;
      for (std::size_t later = begin + 1; later < end; ++later) {
        text.clear();
        append_series(f.samples[by_hash[later].second], text);
        for (std::size_t earlier = begin; earlier < later; ++earlier) {
          if (!keep[by_hash[earlier].second]) continue;
          other.clear();
          append_series(f.samples[by_hash[earlier].second], other);
          if (other == text) {
            keep[by_hash[later].second] = false;
            break;
          }
        }
      }
    }
    return keep;
  }

  // Whether no two of `hashes` are equal: an open-addressing set of them, a pass without sorting.
  static bool all_different(const std::vector<std::uint64_t>& hashes) {
    std::vector<std::uint64_t> slots(std::bit_ceil(2 * hashes.size() + 1), 0);
    const std::size_t mask = slots.size() - 1;
    for (std::uint64_t hash : hashes) {
      if (hash == 0) hash = 1;  // 0 marks an empty slot
      for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
        if (slots[at] == hash) return false;
        if (slots[at] == 0) {
          slots[at] = hash;
          break;
        }
      }
    }
    return true;
  }

  const exposition& m_e;
  std::vector<series_template> m_templates;  // per block; made for the blocks that have samples
};

void exposition::write(std::ostream& out) const {
  writer(*this).write(out);
}

}  // namespace exacheck::reports::prometheus
