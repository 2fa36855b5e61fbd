// Matching and verdicts of `exacheck compare`: metric by metric, then GPU by GPU and node by node.
#include "harness/compare/compare.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "harness/results/verdicts.hpp"

namespace exacheck {
namespace {

// Differences this small are rounding (a value exactly at the tolerance computes as 5.000000000000004%).
constexpr double tolerance_slack_pct = 1e-9;

const std::vector<std::string> verdict_order = {"REGRESSION", "IMPROVEMENT", "SAME", "NEW", "MISSING"};

nlohmann::json value_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

nlohmann::json device_json(const device_value& d) {
  return {{"host", d.host},
          {"gpu", d.gpu},
          {"uuid", d.uuid.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.uuid)},
          {"serial", d.serial.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.serial)},
          {"value", value_or_null(d.value)}};
}

// The fields every row of one metric shares; values are in `unit`, the baseline's.
nlohmann::json row_head(const comparable_metric& m, const std::string& unit) {
  return {{"benchmark", m.benchmark},
          {"params", m.params},
          {"metric", m.metric},
          {"unit", unit},
          {"better", m.better}};
}

class comparer {
 public:
  comparer(double tolerance_pct, bool exact) : m_tolerance_pct(tolerance_pct), m_exact(exact) {}

  nlohmann::json compare(const std::vector<comparable_metric>& current,
                         const std::vector<comparable_metric>& baseline) {
    std::vector<bool> current_used(current.size(), false);
    for (const auto& base : baseline) {
      bool matched = false;
      for (std::size_t i = 0; i < current.size(); ++i) {
        const auto& now = current[i];
        if (now.benchmark != base.benchmark || now.metric != base.metric) continue;
        if (!params_match(base.params, now.params, m_exact)) continue;
        matched = true;
        current_used[i] = true;
        compare_metric(now, base);
      }
      if (!matched) add_missing_metric(base, current);
    }
    for (std::size_t i = 0; i < current.size(); ++i)
      if (!current_used[i])
        add_metric_row(current[i], &current[i], nullptr, {{}, "NEW", "not in the baseline"});
    return {
        {"metrics", m_metrics}, {"devices", m_devices}, {"nodes", m_nodes}, {"missing", missing_summary()}};
  }

 private:
  // A point of the baseline that was not measured at all, or a metric missing from a point that was: both
  // named in the summary, and both fail the comparison unless --allow-missing.
  void add_missing_metric(const comparable_metric& base, const std::vector<comparable_metric>& current) {
    const bool point_measured =
        std::any_of(current.begin(), current.end(), [&](const comparable_metric& now) {
          return now.benchmark == base.benchmark && params_match(base.params, now.params, m_exact);
        });
    add_metric_row(base, nullptr, &base,
                   {{},
                    "MISSING",
                    point_measured ? "not measured in this run (its point was, this metric was not)"
                                   : "not measured in this run (nor anything else of its point)"});
    if (point_measured) {
      m_missing_metrics.push_back(
          {{"benchmark", base.benchmark}, {"params", base.params}, {"metric", base.metric}});
      return;
    }
    const std::string key = base.benchmark + "\n" + base.params.dump();
    auto [at, inserted] = m_missing_point_index.try_emplace(key, m_missing_points.size());
    if (inserted)
      m_missing_points.push_back(
          {{"benchmark", base.benchmark}, {"params", base.params}, {"metrics", nlohmann::json::array()}});
    m_missing_points[at->second]["metrics"].push_back(base.metric);
  }

  void compare_metric(const comparable_metric& now, const comparable_metric& base) {
    // Values in the baseline's unit. A unit of another quantity cannot be compared at all, so nothing says
    // the value is not worse: a REGRESSION (fail closed), its value not shown in a unit it is not in.
    const auto factor =
        now.unit == base.unit ? std::optional<double>(1.0) : unit_conversion(now.unit, base.unit);
    if (!factor) {
      add_metric_row(
          now, &now, &base,
          {{},
           "REGRESSION",
           fmt::format("measured in {}, the baseline is in {}: not comparable", now.unit, base.unit)},
          std::nan(""));
      return;
    }
    comparable_metric judged_base = base;
    if (judged_base.better.empty()) judged_base.better = now.better;
    judgement j = judge(now.value * *factor, base.value, judged_base.better, m_tolerance_pct);
    if (now.per_gpu != base.per_gpu)
      j.note += std::string(j.note.empty() ? "" : "; ") +
                (now.per_gpu ? "per-GPU median here, a global value in the baseline"
                             : "a global value here, a per-GPU median in the baseline");
    // The run's point names the row: a reference's `where` may name only some of its parameters.
    add_metric_row(now, &now, &judged_base, j, *factor);
    if (now.per_gpu && base.per_gpu && !base.devices.empty()) compare_devices(now, judged_base, *factor);
  }

  void add_metric_row(const comparable_metric& m, const comparable_metric* now, const comparable_metric* base,
                      const judgement& j, double factor = 1.0) {
    nlohmann::json row = row_head(m, base ? base->unit : m.unit);
    if (now && base) row["better"] = base->better;
    row["scope"] = m.per_gpu ? "per_gpu" : "global";
    const auto side = [&](const comparable_metric* s, double f) -> nlohmann::json {
      if (!s) return nullptr;
      nlohmann::json out = {{"value", value_or_null(s->value * f)},
                            {"measured_unit", s->unit},
                            {"ranks", s->ranks},
                            {"devices", s->devices.size()},
                            {"source", s->source}};
      if (!s->distribution.is_null()) out["per_gpu"] = s->distribution;
      return out;
    };
    row["current"] = side(now, factor);
    row["baseline"] = side(base, 1.0);
    if (now && base && now->ranks && base->ranks && now->ranks != base->ranks && !now->per_gpu)
      row["note"] = fmt::format("{} ranks here, {} in the baseline", now->ranks, base->ranks);
    finish_row(row, j);
    m_metrics.push_back(std::move(row));
  }

  void finish_row(nlohmann::json& row, const judgement& j) {
    row["delta_pct"] = j.delta_pct ? nlohmann::json(*j.delta_pct) : nlohmann::json(nullptr);
    row["verdict"] = j.verdict;
    std::string note = row.value("note", "");
    if (!j.note.empty()) note += (note.empty() ? "" : "; ") + j.note;
    row["note"] = note;
  }

  // GPUs are matched by UUID (or serial) first, so a GPU moved to another slot is still itself; the rest by
  // host and GPU index, where a different UUID means the GPU in that slot was replaced.
  void compare_devices(const comparable_metric& now, const comparable_metric& base, double factor) {
    const auto identity = [](const device_value& d) { return !d.uuid.empty() ? d.uuid : d.serial; };
    std::vector<int> partner(now.devices.size(), -1);
    std::vector<bool> base_used(base.devices.size(), false);
    // Indexes keep this linear in the fleet size (thousands of GPUs × every metric).
    std::multimap<std::string, std::size_t> base_by_identity, base_by_slot;
    for (std::size_t k = 0; k < base.devices.size(); ++k) {
      if (const std::string id = identity(base.devices[k]); !id.empty()) base_by_identity.emplace(id, k);
      base_by_slot.emplace(base.devices[k].host + "\n" + base.devices[k].gpu, k);
    }
    const auto take = [&](std::multimap<std::string, std::size_t>& index, const std::string& key,
                          std::size_t i) {
      for (auto [at, end] = index.equal_range(key); at != end; ++at) {
        if (base_used[at->second]) continue;
        partner[i] = static_cast<int>(at->second);
        base_used[at->second] = true;
        return;
      }
    };
    for (std::size_t i = 0; i < now.devices.size(); ++i)
      if (const std::string id = identity(now.devices[i]); !id.empty()) take(base_by_identity, id, i);
    for (std::size_t i = 0; i < now.devices.size(); ++i)
      if (partner[i] < 0) take(base_by_slot, now.devices[i].host + "\n" + now.devices[i].gpu, i);
    for (std::size_t i = 0; i < now.devices.size(); ++i) {
      device_value d = now.devices[i];
      d.value *= factor;
      if (partner[i] < 0) {
        add_device_row(now, base.unit, &d, nullptr, "", {{}, "NEW", "not in the baseline"});
        continue;
      }
      const device_value& b = base.devices[static_cast<std::size_t>(partner[i])];
      std::string match = "same";
      judgement j = judge(d.value, b.value, base.better, m_tolerance_pct);
      const std::string now_id = identity(d), base_id = identity(b);
      std::string note;
      if (!now_id.empty() && !base_id.empty() && now_id != base_id) {
        match = "replaced";
        note = fmt::format("GPU replaced: {} in the baseline, {} now", base_id, now_id);
      } else if (d.host != b.host || d.gpu != b.gpu) {
        match = "moved";
        note = fmt::format("moved from {} GPU {}", b.host, b.gpu);
      }
      if (!note.empty()) j.note = note + (j.note.empty() ? "" : "; " + j.note);
      add_device_row(now, base.unit, &d, &b, match, j);
    }
    for (std::size_t k = 0; k < base.devices.size(); ++k) {
      missing_tally& tally = tally_of(m_missing_gpus, m_missing_gpu_order, gpu_key(base.devices[k]));
      ++tally.baseline_metrics;
      if (base_used[k]) continue;
      ++tally.missing_metrics;
      tally.identity = device_json(base.devices[k]);
      tally.identity.erase("value");
      add_device_row(base, base.unit, nullptr, &base.devices[k], "",
                     {{}, "MISSING", "not measured in this run"});
    }
    compare_nodes(now, base, factor);
  }

  void add_device_row(const comparable_metric& m, const std::string& unit, const device_value* now,
                      const device_value* base, const std::string& match, const judgement& j) {
    nlohmann::json row = row_head(m, unit);
    row["current"] = now ? device_json(*now) : nlohmann::json(nullptr);
    row["baseline"] = base ? device_json(*base) : nlohmann::json(nullptr);
    row["match"] = match.empty() ? nlohmann::json(nullptr) : nlohmann::json(match);
    finish_row(row, j);
    m_devices.push_back(std::move(row));
  }

  // A node's value is the mean over its GPUs. A host whose GPUs (all with UUIDs) share none with the
  // baseline's GPUs on that host is shown as replaced.
  void compare_nodes(const comparable_metric& now, const comparable_metric& base, double factor) {
    struct node {
      double sum = 0;
      int gpus = 0, valid = 0;
      std::set<std::string> ids;
      bool all_identified = true;
    };
    const auto group = [](const std::vector<device_value>& devices, double f) {
      std::map<std::string, node> nodes;
      for (const auto& d : devices) {
        node& n = nodes[d.host];
        ++n.gpus;
        if (is_valid_value(d.value)) n.sum += d.value * f, ++n.valid;
        if (d.uuid.empty() && d.serial.empty()) n.all_identified = false;
        n.ids.insert(d.uuid.empty() ? d.serial : d.uuid);
      }
      return nodes;
    };
    const auto mean = [](const node& n) {
      return n.valid == n.gpus && n.valid ? n.sum / n.valid : std::nan("");
    };
    const auto now_nodes = group(now.devices, factor), base_nodes = group(base.devices, 1.0);
    for (const auto& [host, n] : now_nodes) {
      nlohmann::json row = row_head(now, base.unit);
      row["host"] = host;
      row["current"] = {{"value", value_or_null(mean(n))}, {"gpus", n.gpus}};
      const auto b = base_nodes.find(host);
      if (b == base_nodes.end()) {
        row["baseline"] = nullptr;
        finish_row(row, {{}, "NEW", "not in the baseline"});
      } else {
        row["baseline"] = {{"value", value_or_null(mean(b->second))}, {"gpus", b->second.gpus}};
        judgement j = judge(mean(n), mean(b->second), base.better, m_tolerance_pct);
        bool shared = false;
        for (const auto& id : n.ids) shared = shared || b->second.ids.count(id);
        if (n.all_identified && b->second.all_identified && !shared)
          j.note =
              "node replaced: no GPU in common with the baseline" + (j.note.empty() ? "" : "; " + j.note);
        finish_row(row, j);
      }
      m_nodes.push_back(std::move(row));
    }
    for (const auto& [host, n] : base_nodes) {
      missing_tally& tally = tally_of(m_missing_nodes, m_missing_node_order, host);
      ++tally.baseline_metrics;
      if (now_nodes.count(host)) continue;
      ++tally.missing_metrics;
      const int gpus_before = tally.identity.is_object() ? tally.identity.value("gpus", 0) : 0;
      tally.identity = {{"host", host}, {"gpus", std::max(n.gpus, gpus_before)}};
      nlohmann::json row = row_head(base, base.unit);
      row["host"] = host;
      row["current"] = nullptr;
      row["baseline"] = {{"value", value_or_null(mean(n))}, {"gpus", n.gpus}};
      finish_row(row, {{}, "MISSING", "not measured in this run"});
      m_nodes.push_back(std::move(row));
    }
  }

  // How often a GPU or node of the baseline was compared (one per per-GPU metric it has there) and how often
  // it was missing: a GPU gone since the baseline is missing from every one.
  struct missing_tally {
    nlohmann::json identity;  // host, gpu, uuid, serial of a GPU; host and gpus of a node
    int missing_metrics = 0, baseline_metrics = 0;
  };

  static std::string gpu_key(const device_value& d) {
    return d.host + "\n" + d.gpu + "\n" + d.uuid + "\n" + d.serial;
  }

  static missing_tally& tally_of(std::map<std::string, missing_tally>& tallies,
                                 std::vector<std::string>& order, const std::string& key) {
    auto [at, inserted] = tallies.try_emplace(key);
    if (inserted) order.push_back(key);
    return at->second;
  }

  nlohmann::json missing_summary() const {
    const auto list = [](const std::map<std::string, missing_tally>& tallies,
                         const std::vector<std::string>& order) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& key : order) {
        const missing_tally& t = tallies.at(key);
        if (t.missing_metrics == 0) continue;
        nlohmann::json item = t.identity;
        item["missing_metrics"] = t.missing_metrics;
        item["baseline_metrics"] = t.baseline_metrics;
        out.push_back(std::move(item));
      }
      return out;
    };
    return {{"nodes", list(m_missing_nodes, m_missing_node_order)},
            {"gpus", list(m_missing_gpus, m_missing_gpu_order)},
            {"points", m_missing_points},
            {"metrics", m_missing_metrics}};
  }

  double m_tolerance_pct;
  bool m_exact;
  nlohmann::json m_metrics = nlohmann::json::array(), m_devices = nlohmann::json::array(),
                 m_nodes = nlohmann::json::array();
  nlohmann::json m_missing_points = nlohmann::json::array(), m_missing_metrics = nlohmann::json::array();
  std::map<std::string, std::size_t> m_missing_point_index;
  std::map<std::string, missing_tally> m_missing_gpus, m_missing_nodes;
  std::vector<std::string> m_missing_gpu_order, m_missing_node_order;
};

nlohmann::json counts_of(const nlohmann::json& rows) {
  nlohmann::json counts = nlohmann::json::object();
  for (const auto& v : verdict_order) counts[v] = 0;
  for (const auto& row : rows)
    counts[row.at("verdict").get<std::string>()] =
        counts[row.at("verdict").get<std::string>()].get<int>() + 1;
  return counts;
}

}  // namespace

judgement judge(double current, double baseline, const std::string& better, double tolerance_pct) {
  if (!is_valid_value(current)) return {{}, "REGRESSION", "no valid value (NaN, infinite or zero)"};
  if (!is_valid_value(baseline)) return {{}, "NEW", "the baseline has no valid value"};
  const double delta_pct = (current - baseline) / std::fabs(baseline) * 100.0;
  const double gain_pct = better == "lower" ? -delta_pct : delta_pct;
  if (gain_pct < -(tolerance_pct + tolerance_slack_pct)) return {delta_pct, "REGRESSION", ""};
  if (gain_pct > tolerance_pct + tolerance_slack_pct) return {delta_pct, "IMPROVEMENT", ""};
  return {delta_pct, "SAME", ""};
}

nlohmann::json compare_metrics(const std::vector<comparable_metric>& current,
                               const std::vector<comparable_metric>& baseline, double tolerance_pct,
                               bool exact_params, bool allow_missing, const nlohmann::json& current_info,
                               const nlohmann::json& baseline_info) {
  nlohmann::json rows = comparer(tolerance_pct, exact_params).compare(current, baseline);
  nlohmann::json counts = {{"metrics", counts_of(rows["metrics"])},
                           {"devices", counts_of(rows["devices"])},
                           {"nodes", counts_of(rows["nodes"])}};
  int regressions = 0, missing = 0;
  for (const auto& level : counts) {
    regressions += level["REGRESSION"].get<int>();
    missing += level["MISSING"].get<int>();
  }
  // Fail closed: what the baseline measured and tonight did not is unknown, not unchanged.
  const bool failed = regressions > 0 || (missing > 0 && !allow_missing);
  nlohmann::json comparison = {{"schema", "exacheck/compare/v1"},
                               {"tolerance_pct", tolerance_pct},
                               {"current", current_info},
                               {"baseline", baseline_info},
                               {"verdict", failed ? "REGRESSION" : "NO REGRESSION"},
                               {"exit_code", failed ? 1 : 0},
                               {"counts", counts},
                               {"metrics", rows["metrics"]},
                               {"devices", rows["devices"]},
                               {"nodes", rows["nodes"]}};
  comparison["allow_missing"] = allow_missing;
  comparison["missing"] = rows["missing"];
  return comparison;
}

}  // namespace exacheck
