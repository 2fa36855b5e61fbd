#include "harness/controller/allocation.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <numeric>
#include <optional>

#include "harness/core/errors.hpp"

namespace exacheck {
namespace {

[[noreturn]] void malformed(std::string_view variable, std::string_view text, std::string_view why) {
  throw usage_error(fmt::format("{}={} is not what Slurm writes: {}", variable, quoted_text(text), why));
}

// A whole number >= `least`, the whole of `text`.
std::optional<long long> whole_number(std::string_view text, long long least) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < least)
    return std::nullopt;
  return value;
}

int count_variable(const environment_lookup& environment, const char* variable, int least = 1) {
  const auto text = environment(variable);
  const auto value = text ? whole_number(*text, least) : std::nullopt;
  if (!value || *value > 100000000)
    malformed(variable, text.value_or(""), fmt::format("expected a whole number >= {}", least));
  return static_cast<int>(*value);
}

// The first of `variables` that is set (and its name), or nullopt.
std::optional<std::pair<const char*, std::string>> first_set(const environment_lookup& environment,
                                                             std::initializer_list<const char*> variables) {
  for (const char* v : variables)
    if (auto text = environment(v)) return std::make_pair(v, std::move(*text));
  return std::nullopt;
}

// Splits a host list at the commas outside brackets.
std::vector<std::string_view> top_level_items(std::string_view text, std::string_view variable) {
  std::vector<std::string_view> items;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : ',';
    if (c == '[') {
      if (++depth > 1) malformed(variable, text, "a '[' inside brackets");
    } else if (c == ']') {
      if (--depth < 0) malformed(variable, text, "a ']' without its '['");
    } else if (c == ',' && depth == 0) {
      if (i == start) malformed(variable, text, "an empty host name between commas");
      items.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  if (depth != 0) malformed(variable, text, "a '[' without its ']'");
  return items;
}

// The names one bracket expression stands for: "01-04,07" → 01, 02, 03, 04, 07.
std::vector<std::string> bracket_values(std::string_view inside, std::string_view variable,
                                        std::string_view text) {
  std::vector<std::string> values;
  std::size_t start = 0;
  while (start <= inside.size()) {
    const auto comma = std::min(inside.find(',', start), inside.size());
    const std::string_view range = inside.substr(start, comma - start);
    const auto dash = range.find('-');
    const std::string_view low = range.substr(0, dash);
    const std::string_view high = dash == std::string_view::npos ? low : range.substr(dash + 1);
    const auto from = whole_number(low, 0), to = whole_number(high, 0);
    if (!from || !to)
      malformed(variable, text, fmt::format("'{}' in brackets is not a number or a range a-b", range));
    if (*to < *from) malformed(variable, text, fmt::format("the range '{}' runs backwards", range));
    if (static_cast<std::size_t>(*to - *from) >= max_hostlist_hosts)
      malformed(variable, text, fmt::format("more than {} hosts", max_hostlist_hosts));
    for (long long n = *from; n <= *to; ++n) values.push_back(fmt::format("{:0{}}", n, low.size()));
    start = comma + 1;
  }
  return values;
}

}  // namespace

std::vector<int> expand_slurm_counts(std::string_view text, std::string_view variable) {
  std::vector<int> counts;
  std::size_t start = 0;
  if (text.empty()) malformed(variable, text, "expected counts like 4, 2(x3) or 4(x2),2");
  while (start <= text.size()) {
    const auto comma = std::min(text.find(',', start), text.size());
    std::string_view item = text.substr(start, comma - start);
    long long repeat = 1;
    if (const auto open = item.find('('); open != std::string_view::npos) {
      const std::string_view times = item.substr(open);
      const auto r = times.size() > 3 && times.starts_with("(x") && times.ends_with(")")
                         ? whole_number(times.substr(2, times.size() - 3), 1)
                         : std::nullopt;
      if (!r) malformed(variable, text, fmt::format("'{}' is not a count N or N(xK)", item));
      repeat = *r;
      item = item.substr(0, open);
    }
    const auto count = whole_number(item, 0);
    if (!count || *count > 100000000)
      malformed(variable, text,
                fmt::format("'{}' is not a count N or N(xK)", text.substr(start, comma - start)));
    if (counts.size() + static_cast<std::size_t>(repeat) > max_hostlist_hosts)
      malformed(variable, text, fmt::format("more than {} nodes", max_hostlist_hosts));
    counts.insert(counts.end(), static_cast<std::size_t>(repeat), static_cast<int>(*count));
    start = comma + 1;
  }
  return counts;
}

std::vector<std::string> expand_hostlist(std::string_view text, std::string_view variable) {
  if (text.empty()) malformed(variable, text, "an empty host list");
  std::vector<std::string> hosts;
  for (const std::string_view item : top_level_items(text, variable)) {
    // Each bracket multiplies the names so far: prefix[..]middle[..]suffix.
    std::vector<std::string> names{""};
    std::size_t at = 0;
    while (at < item.size()) {
      const auto open = item.find('[', at);
      const std::string_view literal =
          item.substr(at, open == std::string_view::npos ? item.npos : open - at);
      for (auto& n : names) n += literal;
      if (open == std::string_view::npos) break;
      const auto close = item.find(']', open);
      const auto values = bracket_values(item.substr(open + 1, close - open - 1), variable, text);
      if (names.size() * values.size() + hosts.size() > max_hostlist_hosts)
        malformed(variable, text, fmt::format("more than {} hosts", max_hostlist_hosts));
      std::vector<std::string> product;
      for (const auto& n : names)
        for (const auto& v : values) product.push_back(n + v);
      names = std::move(product);
      at = close + 1;
    }
    for (auto& n : names) {
      if (n.empty()) malformed(variable, text, "an empty host name");
      hosts.push_back(std::move(n));
    }
  }
  return hosts;
}

int slurm_allocation::uniform_tasks_per_node() const {
  if (tasks_per_node.empty()) return 0;
  const int first = tasks_per_node.front();
  return std::all_of(tasks_per_node.begin(), tasks_per_node.end(), [&](int t) { return t == first; }) ? first
                                                                                                      : 0;
}

int slurm_allocation::cpus_for_each_task() const {
  if (cpus_per_task) return *cpus_per_task;
  int least = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (tasks_per_node[i] == 0) continue;
    const int share = std::max(1, cpus_per_node[i] / tasks_per_node[i]);
    least = least == 0 ? share : std::min(least, share);
  }
  return std::max(1, least);
}

std::optional<slurm_allocation> read_slurm_allocation(const environment_lookup& environment) {
  const auto job = environment("SLURM_JOB_ID");
  if (!job) return std::nullopt;
  slurm_allocation a;
  a.job_id = *job;
  if (a.job_id.empty() || !std::all_of(a.job_id.begin(), a.job_id.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '.';
      }))
    malformed("SLURM_JOB_ID", a.job_id, "expected a job id such as 1234 or 1234_5");
  a.partition = environment("SLURM_JOB_PARTITION").value_or("");

  const auto list = first_set(environment, {"SLURM_JOB_NODELIST", "SLURM_NODELIST"});
  if (!list)
    throw usage_error(fmt::format(
        "SLURM_JOB_ID={} is set, but neither SLURM_JOB_NODELIST nor SLURM_NODELIST is: the allocation's "
        "nodes are unknown (is this a Slurm job's environment?)",
        quoted_text(a.job_id)));
  a.node_list = list->second;
  a.nodes = expand_hostlist(list->second, list->first);
  if (const auto count = first_set(environment, {"SLURM_JOB_NUM_NODES", "SLURM_NNODES"})) {
    const int nodes = count_variable(environment, count->first);
    if (static_cast<std::size_t>(nodes) != a.nodes.size())
      throw usage_error(fmt::format("{}={} but {}={} names {} node(s)", count->first, nodes, list->first,
                                    quoted_text(list->second), a.nodes.size()));
  }
  const std::size_t n = a.nodes.size();
  const auto per_node = [&](const std::pair<const char*, std::string>& found) {
    auto counts = expand_slurm_counts(found.second, found.first);
    if (counts.size() == 1) counts.assign(n, counts.front());
    if (counts.size() != n)
      throw usage_error(fmt::format("{}={} gives {} node(s), but {}={} names {}", found.first,
                                    quoted_text(found.second), counts.size(), list->first,
                                    quoted_text(list->second), n));
    return counts;
  };

  std::optional<int> ntasks;
  if (environment("SLURM_NTASKS")) ntasks = count_variable(environment, "SLURM_NTASKS");
  if (const auto tasks = first_set(environment, {"SLURM_TASKS_PER_NODE", "SLURM_NTASKS_PER_NODE"})) {
    a.tasks_per_node = per_node(*tasks);
  } else if (ntasks) {
    // Slurm's block distribution: the first nodes take one more when the tasks do not divide evenly.
    for (std::size_t i = 0; i < n; ++i)
      a.tasks_per_node.push_back(*ntasks / static_cast<int>(n) +
                                 (i < static_cast<std::size_t>(*ntasks) % n ? 1 : 0));
  } else {
    a.tasks_per_node.assign(n, 1);
  }
  a.tasks = ntasks.value_or(std::accumulate(a.tasks_per_node.begin(), a.tasks_per_node.end(), 0));
  if (a.tasks < 1)
    malformed("SLURM_TASKS_PER_NODE", environment("SLURM_TASKS_PER_NODE").value_or(""), "no task");

  if (const auto cpus = first_set(environment, {"SLURM_JOB_CPUS_PER_NODE"}))
    a.cpus_per_node = per_node(*cpus);
  else if (environment("SLURM_CPUS_ON_NODE"))
    a.cpus_per_node.assign(n, count_variable(environment, "SLURM_CPUS_ON_NODE"));
  else
    throw usage_error(fmt::format(
        "SLURM_JOB_ID={} is set, but neither SLURM_JOB_CPUS_PER_NODE nor SLURM_CPUS_ON_NODE is: the "
        "allocation's CPUs are unknown",
        quoted_text(a.job_id)));
  if (environment("SLURM_CPUS_PER_TASK"))
    a.cpus_per_task = count_variable(environment, "SLURM_CPUS_PER_TASK");
  return a;
}

}  // namespace exacheck
