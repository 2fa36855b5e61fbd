// metrics.prom: run.json for node_exporter's textfile collector (docs/reading-a-report.md "Prometheus").
// Names are exacheck_<benchmark>_<metric>_<base unit>; every value is converted into the base unit.
// Rank-scoped metrics give one sample per GPU (from run.json "analysis" when the run has one, else one per
// rank), global ones (collectives) one per point. Every sample carries the plan's name so that several runs'
// files can sit side by side in one textfile directory without clashing series.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "reports/analysis/analysis_devices.hpp"
#include "reports/analysis/format.hpp"
#include "reports/render/device_text.hpp"
#include "reports/render/prometheus_exposition.hpp"
#include "reports/render/render.hpp"

namespace exacheck::reports {
namespace {

using prometheus::label_list;
using prometheus::name_part;

// Labels every sample has, whose names a parameter must not take.
const std::vector<std::string> fixed_label_names = {"plan",      "host",  "gpu",    "uuid",
                                                    "benchmark", "case",  "repeat", "ranks",
                                                    "check",     "point", "level",  "outcome"};

// A parameter as a label name: made valid, and prefixed when it would shadow a fixed label.
std::string param_label_name(const std::string& key) {
  std::string name = name_part(key);
  if (name.empty() || name.front() == '_' ||
      std::find(fixed_label_names.begin(), fixed_label_names.end(), name) != fixed_label_names.end())
    name = "param_" + name;
  return name;
}

// Parameters in the order the reports print them (dtype, m, n, k, then alphabetically).
void add_param_labels(const nlohmann::json& params, label_list& labels) {
  if (!params.is_object()) return;
  std::vector<std::string> keys;
  for (const char* key : {"dtype", "m", "n", "k"})
    if (params.contains(key)) keys.emplace_back(key);
  for (const auto& item : params.items())
    if (std::find(keys.begin(), keys.end(), item.key()) == keys.end()) keys.push_back(item.key());
  for (const auto& key : keys) labels.emplace_back(param_label_name(key), scalar_text(params.at(key)));
}

// A number as a double; NaN for null or anything else (a missing value stays visible as NaN, never as 0).
double number_or_nan(const nlohmann::json& value) {
  return value.is_number() ? value.get<double>() : std::nan("");
}

// "2026-11-24T08:01:20Z" as seconds since the epoch; nullopt when it is not a UTC timestamp.
std::optional<double> epoch_seconds(const std::string& text) {
  std::tm tm{};
  char zone = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &zone) != 7 ||
      zone != 'Z')
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm));
}

class prometheus_renderer {
 public:
  explicit prometheus_renderer(const nlohmann::json& run)
      : m_run(run), m_plan(text_field(field(run, "plan"), "name")) {}

  void render(std::ostream& out) {
    add_run_metrics();
    add_device_health();
    for (const auto& c : list_field(m_run, "cases")) add_case_outcomes(c);
    const nlohmann::json& analysis = field(m_run, "analysis");
    const nlohmann::json& analysis_metrics = field(analysis, "metrics");
    const bool per_gpu_from_analysis = analysis_metrics.is_array();
    if (per_gpu_from_analysis)
      for (const auto& m : analysis_metrics) add_analysis_metric(analysis, m);
    for (const auto& c : list_field(m_run, "cases"))
      for (const auto& point : list_field(c, "results")) add_point(c, point, !per_gpu_from_analysis);
    m_out.write(out);
  }

 private:
  label_list run_labels() const { return {{"plan", m_plan}}; }

  label_list case_labels(const nlohmann::json& c) const {
    return {{"plan", m_plan},
            {"benchmark", text_field(c, "benchmark")},
            {"case", text_field(c, "name")},
            {"repeat", text_field(c, "repeat")}};
  }

  void add_run_metrics() {
    m_out.add("exacheck_run_exit_code",
              "Exit code of the exacheck run: 0 all passed, 1 a check failed, 2 usage error, 3 incomplete, "
              "130 interrupted",
              run_labels(), number_or_nan(field(m_run, "exit_code")));
    // An alert on "not complete" catches a run whose controller died: its last run.json says so.
    m_out.add("exacheck_run_complete",
              "1 when the run finished (every case recorded, analysed, saved), 0 while it runs or when it "
              "stopped before",
              run_labels(), field(m_run, "complete") == true ? 1.0 : 0.0);
    m_out.add("exacheck_run_unfinished_cases", "Cases of the run that never finished", run_labels(),
              static_cast<double>(list_field(field(m_run, "summary"), "unfinished_cases").size()));
    const nlohmann::json& provenance = field(m_run, "provenance");
    std::optional<double> when = epoch_seconds(text_field(provenance, "finished_at"));
    if (!when) when = epoch_seconds(text_field(provenance, "started_at"));
    if (when)
      m_out.add("exacheck_run_timestamp_seconds", "When the run finished (started, while it runs), Unix time",
                run_labels(), *when);
    m_out.add("exacheck_run_synthetic", "1 when run.json was made up by exacheck simulate, not measured",
              run_labels(), field(m_run, "synthetic") == true ? 1.0 : 0.0);
    if (const auto& total_s = field(field(m_run, "timing"), "total_s"); total_s.is_number())
      m_out.add("exacheck_run_duration_seconds", "Wall time of the whole run", run_labels(),
                total_s.get<double>());
    const nlohmann::json& counts = field(field(m_run, "summary"), "counts");
    for (const auto& name : outcome_order()) {
      label_list labels = run_labels();
      labels.emplace_back("outcome", name);
      m_out.add("exacheck_run_checks", "Number of checks of the run with this outcome", labels,
                field(counts, name).is_number() ? field(counts, name).get<double>() : 0.0);
    }
  }

  // One gauge per device and per node from the analysis' device verdicts: 1 healthy, 0 needs attention.
  void add_device_health() {
    const nlohmann::json& verdicts = device_verdicts_of(m_run);
    const auto gpus = m_out.block(
        "exacheck_device_healthy",
        "1 when the device (a GPU; a CPU rank on the cpu backend) passed every check that concerns it, "
        "0 when it needs attention: FAIL, INCORRECT, OUTLIER, MISSING (expected, never reported) or "
        "ERROR (report.md, Devices needing attention, says why)",
        {{"plan", m_plan}, {"host", ""}, {"gpu", ""}, {"uuid", ""}}, device_columns);
    for (const auto& gpu : list_field(verdicts, "gpus"))
      m_out.add(gpus, device_row(field(gpu, "host"), field(gpu, "gpu"), field(gpu, "uuid")),
                text_field(gpu, "verdict") == "PASS" ? 1.0 : 0.0);
    label_list node_labels = {{"plan", m_plan}, {"host", ""}};
    for (const auto& node : list_field(verdicts, "nodes")) {
      node_labels[1].second = text_field(node, "host");
      m_out.add("exacheck_node_healthy",
                "1 when the node and every GPU of it passed every check that concerns them, 0 otherwise",
                node_labels, text_field(node, "verdict") == "PASS" ? 1.0 : 0.0);
    }
  }

  void add_case_outcomes(const nlohmann::json& c) {
    // A plan's sweep launches several cases of one name: the stable case id (name, point, repeat) tells them
    // apart.
    label_list labels = case_labels(c);
    labels.emplace_back("case_id", text_field(c, "id"));
    labels.emplace_back("outcome", text_field(c, "outcome"));
    m_out.add("exacheck_case_outcome", "One sample per case, value 1; outcome is the worst of its checks",
              labels, 1.0);
    // The rank count is a value, not a label: a case run tonight on fewer nodes stays the same series.
    if (const auto& ranks = field(c, "ranks"); ranks.is_number()) {
      label_list ranks_labels = case_labels(c);
      ranks_labels.emplace_back("case_id", text_field(c, "id"));
      m_out.add("exacheck_case_ranks",
                "MPI ranks the case ran on (its collectives' metrics are at this count)",
                std::move(ranks_labels), ranks.get<double>());
    }
    for (const auto& check : list_field(c, "checks")) {
      label_list check_labels = case_labels(c);
      check_labels.emplace_back("check", text_field(check, "metric"));
      check_labels.emplace_back("point", params_text(field(check, "params")));
      // Only fleet checks name a GPU or node: a reference check's worst rank changes from run to run and
      // would start a new series each night.
      const bool fleet = text_field(check, "aggregation") == "fleet";
      check_labels.emplace_back("level", fleet ? text_field(check, "level") : "");
      check_labels.emplace_back("host", fleet ? text_field(check, "worst_host") : "");
      check_labels.emplace_back("gpu", fleet ? text_field(check, "gpu") : "");
      check_labels.emplace_back("uuid", fleet ? text_field(check, "uuid") : "");
      check_labels.emplace_back("outcome", text_field(check, "outcome"));
      m_out.add("exacheck_check_outcome",
                "One sample per check, value 1: outcome PASS, FAIL, INCORRECT, OUTLIER, ERROR, TIMEOUT, "
                "SKIPPED or RECORDED; host, gpu and uuid name the GPU or node of a fleet (OUTLIER) check",
                check_labels, 1.0);
    }
  }

  // A benchmark metric's family name and HELP (the same for every run, so files from several runs merge).
  std::pair<std::string, std::string> family_of(const std::string& benchmark, const std::string& metric,
                                                const std::string& unit, const std::string& statistic,
                                                bool per_gpu, double& factor) const {
    const auto base = prometheus::base_unit_of(unit);
    factor = base.factor;
    std::string metric_part = name_part(metric);
    // "tflops" names the unit, not a quantity: exacheck_gemm_flops_per_second, not ..._tflops_flops_...
    static const std::vector<std::string> unit_words = {"flops",  "gflops", "tflops", "pflops",
                                                        "eflops", "gops",   "tops",   "pops"};
    if (std::find(unit_words.begin(), unit_words.end(), metric_part) != unit_words.end()) metric_part.clear();
    std::string name = "exacheck_" + name_part(benchmark);
    if (!metric_part.empty()) name += "_" + metric_part;
    if (!base.suffix.empty() && !name.ends_with("_" + base.suffix)) name += "_" + base.suffix;
    std::string help =
        benchmark + " " + metric +
        (per_gpu ? ", one sample per device (a GPU, or a CPU rank)" : ", one value for all ranks");
    if (!statistic.empty()) help += " (" + statistic + ")";
    if (!unit.empty())
      help += ", measured in " + unit + ", given in " + (base.suffix.empty() ? unit : base.suffix);
    return {name, help};
  }

  void add_analysis_metric(const nlohmann::json& analysis, const nlohmann::json& m) {
    const nlohmann::json* owner = nullptr;
    for (const auto& c : list_field(m_run, "cases"))
      if (text_field(c, "id") == text_field(m, "case_id")) owner = &c;
    const nlohmann::json fallback_case = {{"benchmark", field(m, "benchmark")}, {"name", field(m, "case")}};
    const nlohmann::json& c = owner ? *owner : fallback_case;
    double factor = 1;
    const auto [name, help] = family_of(text_field(m, "benchmark"), text_field(m, "metric"),
                                        text_field(m, "unit"), text_field(m, "statistic"), true, factor);
    const metric_devices devices(analysis, m);
    // One block for all of the metric's samples: only host, gpu and uuid change from GPU to GPU, and each
    // GPU's are one row, made once for every metric that names the GPU.
    const auto block = m_out.block(name, help, device_labels(c, field(m, "params")), device_columns);
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const auto device = devices[i];
      auto [known, added] = m_analysis_rows.try_emplace(&device.gpu, 0);
      if (added)
        known->second =
            device_row(field(device.gpu, "host"), field(device.gpu, "gpu"), field(device.gpu, "uuid"));
      m_out.add(block, known->second, number_or_nan(device.value) * factor);
    }
  }

  // plan, host, gpu, uuid (device_columns: a device_row's), the case's labels, the point's parameters.
  label_list device_labels(const nlohmann::json& c, const nlohmann::json& params) const {
    label_list labels = {{"plan", m_plan}, {"host", ""}, {"gpu", ""}, {"uuid", ""}};
    for (auto& l : case_labels(c))
      if (l.first != "plan") labels.push_back(std::move(l));
    add_param_labels(params, labels);
    return labels;
  }
  static constexpr std::initializer_list<std::size_t> device_columns = {1, 2, 3};

  // A device's host, gpu and uuid labels, as one row of the exposition.
  prometheus::exposition::row_id device_row(const nlohmann::json& host, const nlohmann::json& gpu,
                                            const nlohmann::json& uuid) {
    const auto text = [](const nlohmann::json& value, std::string& scratch) -> std::string_view {
      if (value.is_string()) return value.get_ref<const std::string&>();  // no copy
      scratch = scalar_text(value);
      return scratch;
    };
    return m_out.row({text(host, m_scratch[0]), text(gpu, m_scratch[1]), text(uuid, m_scratch[2])});
  }

  void add_point(const nlohmann::json& c, const nlohmann::json& point, bool rank_scoped_too) {
    const bool global = text_field(point, "scope") == "global";
    if (!global && !rank_scoped_too) return;
    // The point's metrics (their descriptors): each one's family once, not once per rank.
    struct family {
      std::string metric, name, help;
      double factor = 1;
    };
    std::vector<family> families;
    for (const auto& metric : list_field(point, "metrics")) {
      family f{text_field(metric, "name"), "", "", 1};
      std::tie(f.name, f.help) = family_of(text_field(c, "benchmark"), f.metric, text_field(metric, "unit"),
                                           text_field(metric, "statistic"), !global, f.factor);
      families.push_back(std::move(f));
    }
    // Rank-scoped: one block per metric, each rank's device one row.
    std::vector<prometheus::exposition::block_id> blocks;
    if (!global) {
      const label_list labels = device_labels(c, field(point, "params"));
      for (const auto& f : families) blocks.push_back(m_out.block(f.name, f.help, labels, device_columns));
    }
    for (const auto& rank : list_field(point, "ranks")) {
      std::optional<prometheus::exposition::row_id> row;
      for (std::size_t i = 0; i < families.size(); ++i) {
        const auto& [metric, name, help, factor] = families[i];
        const nlohmann::json* measured = rank_value(rank, metric);
        if (!measured) continue;
        const double value = number_or_nan(*measured) * factor;
        if (global) {
          label_list labels = case_labels(c);
          add_param_labels(field(point, "params"), labels);
          m_out.add(name, help, std::move(labels), value);
          continue;
        }
        if (!row) {
          // Without "analysis" each rank stands for its device: a GPU by its index, a CPU rank by its slot
          // on the host (local rank).
          const nlohmann::json& device = rank_device(m_run, rank);
          row = device_row(
              field(rank, "host"),
              field(device, "index").is_null() ? field(rank, "local_rank") : field(device, "index"),
              field(device, "uuid"));
        }
        m_out.add(blocks[i], *row, value);
      }
      // A global metric is the same on every rank (reduced across them): rank 0's record is the value.
      if (global) break;
    }
  }

  const nlohmann::json& m_run;
  std::string m_plan;
  prometheus::exposition m_out;
  std::unordered_map<const nlohmann::json*, prometheus::exposition::row_id> m_analysis_rows;  // by device
  std::string m_scratch[3];
};

}  // namespace

void render_prometheus(const nlohmann::json& run, std::ostream& out) {
  prometheus_renderer(run).render(out);
}

}  // namespace exacheck::reports
