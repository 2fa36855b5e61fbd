// Loading a vendor reference file (docs/reference-files.md), as strictly as plans and system files.
#include "harness/compare/reference_file.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <limits>

#include "harness/io/files.hpp"
#include "harness/plan/reference_entry.hpp"
#include "harness/plan/yaml_reader.hpp"
#include "harness/results/point_identity.hpp"

namespace exacheck {
namespace {

constexpr const char* reference_schema = "exacheck/reference/v1";
const std::vector<std::string> top_keys = {"schema", "who", "date", "system", "notes", "entries"};
const std::vector<std::string> who_keys = {"organisation", "contact"};
const std::vector<std::string> system_keys = {
    "name", "gpu_model", "cpu_model", "gpus", "nodes",           "driver",
    "cuda", "cublas",    "nccl",      "mpi",  "exacheck_version"};
const reference_entry_format entry_format{
    .keys = {"benchmark", "where", "metric", "value", "unit", "statistic", "better", "per_gpu"},
    .where_example = "{dtype: bf16, m: 8192}",
    .where_why_one = "an entry is about one parameter point",
    .unit_known = true};
const std::vector<std::string> distribution_keys = {"count", "min", "p5", "median", "mean", "p95", "max"};
const std::vector<std::string> statistics = {"per_gpu_median", "median"};

class reference_loader {
 public:
  explicit reference_loader(const std::string& path) : m_reader(path), m_path(path) {}

  reference_file load() {
    std::string bytes;
    const YAML::Node root =
        load_schema_file(m_reader, m_path, "reference", reference_schema, top_keys, bytes);
    reference_file file;
    file.path = m_path;
    const auto map = m_reader.read_map(root, {m_path, 1, 1}, "the reference file", top_keys,
                                       {"schema", "who", "date", "system", "entries"});
    if (!map) m_reader.throw_if_issues();
    for (const auto& e : map->entries) {
      if (e.key == "schema") {
        m_reader.read_string(e, "schema");
      } else if (e.key == "who") {
        read_who(e, file);
      } else if (e.key == "date") {
        const auto text = m_reader.read_string(e, "date");
        if (text && !is_reference_date(*text))
          m_reader.report(m_reader.location_of(e), "date is " + quoted_text(*text),
                          "the day the numbers were measured, as YYYY-MM-DD");
        else if (text)
          file.date = *text;
      } else if (e.key == "system") {
        read_system(e, file);
      } else if (e.key == "notes") {
        file.notes = m_reader.read_string(e, "notes").value_or("");
      } else if (e.key == "entries") {
        read_entries(e, file);
      }
    }
    m_reader.throw_if_issues();
    return file;
  }

 private:
  void read_who(const yaml_entry& entry, reference_file& file) {
    const auto map =
        m_reader.read_map(entry.value, m_reader.location_of(entry), "who", who_keys, {"organisation"});
    if (!map) return;
    if (const auto* e = map->find("organisation"))
      file.organisation = m_reader.read_string(*e, "who organisation").value_or("");
    if (const auto* e = map->find("contact"))
      file.contact = m_reader.read_string(*e, "who contact").value_or("");
  }

  void read_system(const yaml_entry& entry, reference_file& file) {
    const auto map =
        m_reader.read_map(entry.value, m_reader.location_of(entry), "system", system_keys, {"name"});
    if (!map) return;
    for (const auto& e : map->entries) {
      if (e.key == "gpus" || e.key == "nodes") {
        if (const auto v = m_reader.read_integer(e, "system " + e.key, 1, std::numeric_limits<int>::max()))
          file.system[e.key] = *v;
      } else if (const auto v = m_reader.read_string(e, "system " + e.key)) {
        file.system[e.key] = *v;
      }
    }
  }

  void read_entries(const yaml_entry& entry, reference_file& file) {
    if (!entry.value.IsSequence() || entry.value.size() == 0) {
      const bool empty = entry.value.IsSequence() || entry.value.IsNull();
      m_reader.report(m_reader.location_of(entry),
                      empty ? "entries is empty" : "entries is " + describe_node(entry.value),
                      "a non-empty list of {benchmark, where, metric, value, unit, statistic, per_gpu}");
      return;
    }
    for (std::size_t i = 0; i < entry.value.size(); ++i) {
      reference_entry ref;
      if (!read_entry(entry.value[i], i, ref)) continue;
      if (const auto* first = repeated_entry(file.entries, ref))
        m_reader.report(
            ref.defined_at,
            fmt::format("entry #{} repeats the entry at line {} (same benchmark, where and metric)", i + 1,
                        first->defined_at.line),
            "one entry per benchmark, point and metric");
      file.entries.push_back(std::move(ref));
    }
  }

  bool read_entry(const YAML::Node& node, std::size_t index, reference_entry& ref) {
    auto result = read_reference_entry(
        m_reader, node, fmt::format("entry #{}", index + 1), entry_format, ref,
        [&](const yaml_entry& e, const std::string& name) { return read_own_key(e, name, ref); });
    ref.defined_at = result.at;
    ref.better = std::move(result.better);
    return result.map && result.ok;
  }

  // The keys only a reference file's entries have: the statistic and the per-GPU distribution.
  bool read_own_key(const yaml_entry& e, const std::string& name, reference_entry& ref) {
    if (e.key == "per_gpu") return read_distribution(e, name, ref);
    const auto statistic = m_reader.read_choice(e, name, statistics);
    ref.statistic = statistic.value_or("");
    return statistic.has_value();
  }

  // `per_gpu`, named `what` in messages ("entry #2 per_gpu").
  bool read_distribution(const yaml_entry& entry, const std::string& what, reference_entry& ref) {
    const auto map = m_reader.read_map(entry.value, m_reader.location_of(entry), what, distribution_keys);
    if (!map) return false;
    bool ok = true;
    ref.per_gpu = nlohmann::json::object();
    for (const auto& e : map->entries) {
      const std::string name = what + " " + e.key;
      if (e.key == "count") {
        const auto v = m_reader.read_integer(e, name, 1);
        ok = ok && v.has_value();
        if (v) ref.per_gpu[e.key] = *v;
      } else {
        const auto v = m_reader.read_number(e, name);
        ok = ok && v.has_value();
        if (v) ref.per_gpu[e.key] = *v;
      }
    }
    return ok;
  }

  yaml_reader m_reader;
  std::string m_path;
};

}  // namespace

bool is_reference_date(const std::string& text) {
  int year = 0, month = 0, day = 0;
  char tail = 0;
  return text.size() == 10 && std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &year, &month, &day, &tail) == 3 &&
         text[4] == '-' && text[7] == '-' && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

reference_file load_reference_file(const std::string& path) {
  return reference_loader(path).load();
}

bool looks_like_reference_file(const std::string& path) {
  // A regular file only: a FIFO would block here for ever, a symbolic link is not followed (usage_error).
  const int fd = open_regular_file(path);
  char first = 0;
  for (char c = 0;;) {
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (!std::isspace(static_cast<unsigned char>(c))) {
      first = c;
      break;
    }
  }
  ::close(fd);
  // run.json is a JSON object; anything else is read as YAML, whose loader names what is wrong with it.
  return first != '{';
}

std::vector<comparable_metric> comparable_metrics_of_reference(const reference_file& reference) {
  std::vector<comparable_metric> metrics;
  for (const auto& entry : reference.entries) {
    comparable_metric m;
    m.benchmark = entry.benchmark;
    m.metric = entry.metric;
    m.params = entry.where;
    // A file exported by an older exacheck names derived values (array_bytes_used, requested_bytes, flops'
    // isa and threads) in `where`: matched on the identity today's runs have.
    split_legacy_derived(entry.benchmark, m.params, nullptr);
    m.unit = entry.unit;
    m.better = entry.better.value_or("");  // "": the run's metric decides
    m.per_gpu = entry.statistic == "per_gpu_median";
    m.value = entry.value;
    m.distribution = entry.per_gpu;
    if (entry.per_gpu.is_object() && entry.per_gpu.contains("count"))
      m.ranks = entry.per_gpu["count"].get<int>();
    m.source = entry.defined_at.to_string();
    metrics.push_back(std::move(m));
  }
  return metrics;
}

}  // namespace exacheck
