// Loading a plan file: strict validation against the schema and the registry's benchmarks and parameters.
// Every problem is collected (file:line:column, expected, did-you-mean) before one validation_error is
// thrown.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "harness/core/registry.hpp"
#include "harness/io/files.hpp"
#include "harness/plan/plan.hpp"
#include "harness/plan/plan_launch.hpp"
#include "harness/plan/plan_outliers.hpp"
#include "harness/plan/plan_params.hpp"
#include "harness/plan/yaml_reader.hpp"

namespace exacheck {

namespace fs = std::filesystem;

namespace {

constexpr const char* plan_schema = "exacheck/plan/v1";
// A plan that expands into more worker launches than this (all its cases together, repeats included) is a
// typo in a sweep, not a plan anyone means to run: at a second each it would run for three hours.
// docs/plan-schema.md states it.
constexpr std::size_t max_launches_per_plan = 10000;

// A launch that keeps failing before it measures is a broken node or launcher, not bad luck: a few tries at
// most.
constexpr int max_launch_retries = 5;

const std::vector<std::string> plan_keys = {"schema",   "name",  "description", "system",
                                            "defaults", "cases", "outliers"};
const std::vector<std::string> defaults_keys = {
    "backend",  "launcher",          "ranks",         "ranks_per_node", "hosts",
    "hostfile", "cpus_per_node",     "launcher_args", "timeout",        "launch_retries",
    "verify",   "allow_gpu_sharing", "measure"};
const std::vector<std::string> case_keys = {"name",
                                            "benchmark",
                                            "tags",
                                            "params",
                                            "ranks",
                                            "ranks_per_node",
                                            "hosts",
                                            "hostfile",
                                            "cpus_per_node",
                                            "launcher_args",
                                            "timeout",
                                            "launch_retries",
                                            "repeats",
                                            "backend",
                                            "launcher",
                                            "verify",
                                            "allow_gpu_sharing",
                                            "measure"};
// A plan is read the same by every build, so it names every backend kind there is; whether this build and
// node can run the one a case names is the backend table's to say when the run starts (resolve_backend).
const std::vector<std::string> backend_names = {"auto", "cpu", "cuda"};
const std::vector<std::string> launcher_names = {"local", "mpirun", "srun"};
constexpr std::int64_t int_max = std::numeric_limits<int>::max();

// Case names become directory names and ids in reports: keep them to characters that are safe everywhere,
// short enough for any file system and for a table column, and never hidden (leading '.'), "." or "..".
constexpr std::size_t max_name_chars = 64;
const std::string safe_name_expected =
    "1 to 64 letters, digits, '_', '-' and '.', not starting with '.' (it names a directory)";

bool is_safe_name(const std::string& name) {
  return !name.empty() && name.size() <= max_name_chars && name.front() != '.' &&
         std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-' || c == '.'; });
}

class plan_loader {
 public:
  plan_loader(const std::string& path, const registry& suites)
      : m_reader(path), m_path(path), m_suites(suites) {}

  plan load() {
    std::string bytes;
    const YAML::Node root = load_schema_file(m_reader, m_path, "plan", plan_schema, plan_keys, bytes);
    plan p;
    p.file = fs::absolute(m_path).lexically_normal().string();
    p.sha256 = sha256_hex(bytes);
    const auto map =
        m_reader.read_map(root, {m_path, 1, 1}, "the plan", plan_keys, {"schema", "name", "cases"});
    if (!map) m_reader.throw_if_issues();
    for (const auto& entry : map->entries) {
      if (entry.key == "schema") {
        read_schema(entry);
      } else if (entry.key == "name") {
        if (const auto v = m_reader.read_string(entry, "the plan's name")) {
          // The name becomes part of the default run directory.
          if (!is_safe_name(*v))
            m_reader.report(m_reader.location_of(entry),
                            "plan name " + quoted_text(*v) + " cannot be used in a directory name",
                            safe_name_expected);
          p.name = *v;
        }
      } else if (entry.key == "description") {
        if (const auto v = m_reader.read_string(entry, "the plan's description")) p.description = *v;
      } else if (entry.key == "system") {
        p.system_file = read_system_path(entry);
      } else if (entry.key == "defaults") {
        read_defaults(entry, p.defaults);
      } else if (entry.key == "cases") {
        read_cases(entry, p.cases);
      } else if (entry.key == "outliers") {
        p.outliers = read_outlier_rules(m_reader, entry, m_suites);
      }
    }
    m_reader.throw_if_issues();
    return p;
  }

 private:
  // A schema other than plan_schema was reported by load_schema_file; here only its type can still be wrong.
  void read_schema(const yaml_entry& entry) { m_reader.read_string(entry, "schema"); }

  std::optional<std::string> read_system_path(const yaml_entry& entry) {
    const auto text = m_reader.read_string(entry, "system");
    if (!text) return std::nullopt;
    // Relative to the plan file, not to the working directory: a plan and its system file travel together.
    fs::path path(*text);
    if (path.is_relative()) path = fs::absolute(m_path).parent_path() / path;
    path = path.lexically_normal();
    std::error_code error;
    if (!fs::is_regular_file(path, error)) {
      m_reader.report(m_reader.location_of(entry),
                      "system file " + quoted_text(*text) + " does not exist (looked for " +
                          quoted_text(path.string(), 200) + ")",
                      "a path to an exacheck/system/v1 file, relative to the plan file");
      return std::nullopt;
    }
    return path.string();
  }

  void read_defaults(const yaml_entry& entry, plan_defaults& defaults) {
    const auto map = m_reader.read_map(entry.value, m_reader.location_of(entry), "defaults", defaults_keys);
    if (!map) return;
    launch_keys_read launch;
    for (const auto& e : map->entries) {
      const std::string what = "defaults " + e.key;
      if (std::find(launch_keys.begin(), launch_keys.end(), e.key) != launch_keys.end()) {
        read_launch_key(m_reader, e, what, m_path, launch);
      } else if (e.key == "backend") {
        if (const auto v = m_reader.read_choice(e, what, backend_names)) defaults.backend = *v;
      } else if (e.key == "launcher") {
        if (const auto v = m_reader.read_choice(e, what, launcher_names)) defaults.launcher = *v;
      } else if (e.key == "ranks") {
        if (const auto v = read_ranks(m_reader, e, what)) defaults.ranks = *v;
      } else if (e.key == "ranks_per_node") {
        if (const auto v = m_reader.read_integer(e, what, 0, int_max))
          defaults.ranks_per_node = static_cast<int>(*v);
      } else if (e.key == "timeout") {
        if (const auto v = m_reader.read_duration_s(e, what, true)) defaults.timeout_s = *v;
      } else if (e.key == "launch_retries") {
        if (const auto v = m_reader.read_integer(e, what, 0, max_launch_retries))
          defaults.launch_retries = static_cast<int>(*v);
      } else if (e.key == "verify") {
        if (const auto v = m_reader.read_boolean(e, what)) defaults.verify = *v;
      } else if (e.key == "allow_gpu_sharing") {
        if (const auto v = m_reader.read_boolean(e, what)) defaults.allow_gpu_sharing = *v;
      } else if (e.key == "measure") {
        if (const auto v = read_measure_overrides(m_reader, e, what))
          apply_measure_overrides(*v, defaults.measurement);
      }
    }
    if (launch.hosts) defaults.hosts = std::move(*launch.hosts);
    if (launch.cpus_per_node) defaults.cpus_per_node = *launch.cpus_per_node;
    if (launch.launcher_args) defaults.launcher_args = std::move(*launch.launcher_args);
  }

  void read_cases(const yaml_entry& entry, std::vector<case_spec>& cases) {
    if (!entry.value.IsSequence() || entry.value.size() == 0) {
      m_reader.report(
          m_reader.location_of(entry),
          "cases is " + describe_node(entry.value) + (entry.value.IsSequence() ? " that is empty" : ""),
          "a non-empty list of cases, each with at least a name and a benchmark");
      return;
    }
    std::map<std::string, int> first_line_of_name;
    for (std::size_t i = 0; i < entry.value.size(); ++i) {
      case_spec c;
      if (read_case(entry.value[i], i, first_line_of_name, c)) cases.push_back(std::move(c));
    }
  }

  bool read_case(const YAML::Node& node, std::size_t index, std::map<std::string, int>& first_line_of_name,
                 case_spec& c) {
    c.where = m_reader.location_of(node);
    // Name the case in every message about it, even before its map has been checked.
    std::string what = fmt::format("case #{}", index + 1);
    if (const auto name = scalar_child(node, "name")) what = "case " + quoted_text(name->Scalar());
    const auto map = m_reader.read_map(node, c.where, what, case_keys, {"name", "benchmark"});
    if (!map) return false;
    if (const auto* e = map->find("name")) read_case_name(*e, what, first_line_of_name, c);
    const suite* s = nullptr;
    if (const auto* e = map->find("benchmark")) s = read_benchmark(*e, what, c);
    const auto* params_entry = map->find("params");
    if (s)
      read_params(params_entry, *s, what, c);
    else if (params_entry && !params_entry->value.IsMap())
      m_reader.report(m_reader.location_of(*params_entry),
                      what + ": params is " + describe_node(params_entry->value),
                      "a map of parameter names to values");
    launch_keys_read launch;
    for (const auto& e : map->entries) {
      const std::string name = what + ": " + e.key;
      if (std::find(launch_keys.begin(), launch_keys.end(), e.key) != launch_keys.end()) {
        read_launch_key(m_reader, e, name, m_path, launch);
      } else if (e.key == "tags") {
        if (auto v = m_reader.read_string_list(e, name)) c.tags = std::move(*v);
      } else if (e.key == "ranks") {
        c.ranks = read_ranks(m_reader, e, name);
      } else if (e.key == "ranks_per_node") {
        if (const auto v = m_reader.read_integer(e, name, 0, int_max))
          c.ranks_per_node = static_cast<int>(*v);
      } else if (e.key == "timeout") {
        c.timeout_s = m_reader.read_duration_s(e, name, true);
      } else if (e.key == "launch_retries") {
        if (const auto v = m_reader.read_integer(e, name, 0, max_launch_retries))
          c.launch_retries = static_cast<int>(*v);
      } else if (e.key == "repeats") {
        if (const auto v = m_reader.read_integer(e, name, 1, 10000)) c.repeats = static_cast<int>(*v);
      } else if (e.key == "backend") {
        c.backend = m_reader.read_choice(e, name, backend_names);
      } else if (e.key == "launcher") {
        c.launcher = m_reader.read_choice(e, name, launcher_names);
      } else if (e.key == "verify") {
        c.verify = m_reader.read_boolean(e, name);
      } else if (e.key == "allow_gpu_sharing") {
        c.allow_gpu_sharing = m_reader.read_boolean(e, name);
      } else if (e.key == "measure") {
        if (auto v = read_measure_overrides(m_reader, e, what + ": measure")) c.measure = std::move(*v);
      }
    }
    c.hosts = std::move(launch.hosts);
    c.cpus_per_node = launch.cpus_per_node;
    c.launcher_args = std::move(launch.launcher_args);
    if (s) check_launch_count(*s, what, c);
    return true;
  }

  void read_case_name(const yaml_entry& e, const std::string& what,
                      std::map<std::string, int>& first_line_of_name, case_spec& c) {
    const auto name = m_reader.read_string(e, what + ": name");
    if (!name) return;
    if (!is_safe_name(*name)) {
      m_reader.report(m_reader.location_of(e),
                      "case name " + quoted_text(*name) + " cannot be used as a directory name",
                      safe_name_expected);
      return;
    }
    const auto [it, inserted] = first_line_of_name.emplace(*name, m_reader.location_of(e).line);
    if (!inserted)
      m_reader.report(m_reader.location_of(e),
                      fmt::format("case name '{}' is used twice (first at line {})", *name, it->second),
                      "a unique name per case");
    c.name = *name;
  }

  const suite* read_benchmark(const yaml_entry& e, const std::string& what, case_spec& c) {
    const auto benchmark = m_reader.read_string(e, what + ": benchmark");
    if (!benchmark) return nullptr;
    c.benchmark = *benchmark;
    const suite* s = m_suites.find(*benchmark);
    if (!s) {
      const auto names = m_suites.benchmark_names();
      m_reader.report(m_reader.location_of(e), what + ": unknown benchmark " + quoted_text(*benchmark),
                      "one of: " + join_choices(names, ", "), did_you_mean(*benchmark, names));
    }
    return s;
  }

  // "; it is a parameter of allgather, allreduce, …" when other benchmarks declare `name` (collectives'
  // groups on a gemm case), so that the plan's author learns where it belongs.
  std::string declared_elsewhere(const std::string& name) const {
    std::vector<std::string> owners;
    for (const auto& benchmark : m_suites.benchmark_names())
      if (const suite* other = m_suites.find(benchmark);
          other && find_param(other->parameters(benchmark), name))
        owners.push_back(benchmark);
    return owners.empty() ? std::string() : "; it is a parameter of " + join_choices(owners, ", ");
  }

  void read_params(const yaml_entry* entry, const suite& s, const std::string& what, case_spec& c) {
    const auto specs = s.parameters(c.benchmark);
    std::vector<std::string> names;
    for (const auto& spec : specs) names.push_back(spec.name);
    if (entry && !entry->value.IsMap()) {
      m_reader.report(m_reader.location_of(*entry), what + ": params is " + describe_node(entry->value),
                      "a map of parameter names to values: " + join_choices(names, ", "));
      return;
    }
    if (entry) {
      for (auto it = entry->value.begin(); it != entry->value.end(); ++it) {
        const yaml_entry param{it->first.IsScalar() ? it->first.Scalar() : "", it->first, it->second};
        const param_spec* spec = find_param(specs, param.key);
        if (!spec) {
          m_reader.report(m_reader.location_of(param.key_node),
                          what + ": unknown parameter " + quoted_text(param.key) + " for benchmark '" +
                              c.benchmark + "'" + declared_elsewhere(param.key),
                          "one of: " + join_choices(names, ", "), did_you_mean(param.key, names));
          continue;
        }
        if (c.params.contains(param.key)) {
          m_reader.report(m_reader.location_of(param.key_node),
                          what + ": parameter '" + param.key + "' appears twice", "each parameter once");
          continue;
        }
        if (auto v = read_param_value(m_reader, param, *spec, what + ": parameter '" + param.key + "'"))
          c.params[param.key] = std::move(*v);
        else
          c.params[param.key] = nullptr;  // reported; marks it as given so it is not also called missing
      }
    }
    for (const auto& spec : specs) {
      if (spec.default_value.is_null() && !c.params.contains(spec.name))
        m_reader.report(
            entry ? m_reader.location_of(*entry) : c.where,
            what + ": parameter '" + spec.name + "' of benchmark '" + c.benchmark + "' is required",
            spec.name + ": " + expected_value_text(spec));
    }
    // Drop the placeholders of reported values: the plan is not returned when anything was reported.
    for (auto it = c.params.begin(); it != c.params.end();)
      it = it->is_null() ? c.params.erase(it) : std::next(it);
  }

  // Counts the case's launches (repeats × the length of every list of a parameter that is not swept inside
  // the worker, given or default) into the plan's total, saturating just past the limit so that no product
  // can overflow and nothing is expanded: a sweep of 10^12 points costs a few multiplications here.
  void check_launch_count(const suite& s, const std::string& what, const case_spec& c) {
    constexpr std::size_t over = max_launches_per_plan + 1;
    const auto times = [](std::size_t a, std::size_t b) { return b != 0 && a > over / b ? over : a * b; };
    std::size_t launches = std::min<std::size_t>(static_cast<std::size_t>(c.repeats), over);
    for (const auto& spec : s.parameters(c.benchmark)) {
      if (spec.swept_inside_worker) continue;
      const auto it = c.params.find(spec.name);
      const nlohmann::json& value = it != c.params.end() ? *it : spec.default_value;
      if (value.is_array()) launches = std::min(times(launches, value.size()), over);
    }
    const std::size_t before = m_launches;
    m_launches = std::min(m_launches + launches, over);
    if (m_launches > max_launches_per_plan && before <= max_launches_per_plan)
      m_reader.report(c.where,
                      fmt::format("{} takes the plan past {} worker launches ({} before it, {}{} in it)",
                                  what, max_launches_per_plan, before, launches >= over ? "more than " : "",
                                  std::min(launches, max_launches_per_plan)),
                      fmt::format("at most {} launches per plan: fewer sweep values or repeats, or a sweep "
                                  "inside the worker where the benchmark has one",
                                  max_launches_per_plan));
  }

  yaml_reader m_reader;
  std::string m_path;
  std::size_t m_launches = 0;  // of the cases read so far, at most max_launches_per_plan + 1
  const registry& m_suites;
};

}  // namespace

plan load_plan(const std::string& path, const registry& suites) {
  return plan_loader(path, suites).load();
}

}  // namespace exacheck
