#include "harness/plan/plan_launch.hpp"

#include <fmt/core.h>

#include <filesystem>
#include <limits>
#include <stdexcept>

#include "harness/plan/plan.hpp"

namespace exacheck {
namespace {

constexpr std::int64_t int_max = std::numeric_limits<int>::max();

std::optional<host_set> read_hosts(yaml_reader& reader, const yaml_entry& entry, const std::string& what) {
  const std::string expected = "a list of hosts, [node01, node02], or with slots, [node01:4, node02:4]";
  if (entry.value.IsScalar()) {  // "node01,node02" is read as mpirun's --host would read it
    try {
      return host_set{parse_host_list(entry.value.Scalar(), what), ""};
    } catch (const std::invalid_argument& e) {
      reader.report(reader.location_of(entry), e.what(), expected);
      return std::nullopt;
    }
  }
  if (!entry.value.IsSequence() || entry.value.size() == 0) {
    reader.report(
        reader.location_of(entry),
        what + " is " + describe_node(entry.value) + (entry.value.IsSequence() ? " that is empty" : ""),
        expected);
    return std::nullopt;
  }
  host_set set;
  bool ok = true;
  for (const auto& item : entry.value) {
    try {
      if (!item.IsScalar()) throw std::invalid_argument("an element is " + describe_node(item));
      set.hosts.push_back(parse_host_entry(item.Scalar()));
    } catch (const std::invalid_argument& e) {
      reader.report(reader.location_of(item), what + ": " + e.what(),
                    "a host name, or host:slots (node01:4)");
      ok = false;
    }
  }
  return ok ? std::optional<host_set>(std::move(set)) : std::nullopt;
}

std::optional<host_set> read_hostfile_key(yaml_reader& reader, const yaml_entry& entry,
                                          const std::string& what, const std::string& plan_path) {
  const auto text = reader.read_string(entry, what);
  if (!text) return std::nullopt;
  // Relative to the plan file, as `system:` is: a plan and its hostfile travel together.
  std::filesystem::path path(*text);
  if (path.is_relative()) path = std::filesystem::absolute(plan_path).parent_path() / path;
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    reader.report(reader.location_of(entry),
                  what + ": hostfile " + quoted_text(*text) + " does not exist (looked for " +
                      quoted_text(path.lexically_normal().string(), 200) + ")",
                  "an Open MPI hostfile, relative to the plan file");
    return std::nullopt;
  }
  try {
    return read_hostfile(path.lexically_normal().string());
  } catch (const std::invalid_argument& e) {
    reader.report(reader.location_of(entry), what + ": " + e.what(),
                  "an Open MPI hostfile, relative to the plan file: one host per line, 'node01 slots=4'");
    return std::nullopt;
  }
}

}  // namespace

std::optional<int> read_ranks(yaml_reader& reader, const yaml_entry& entry, const std::string& what) {
  if (entry.value.IsScalar() && entry.value.Scalar() == "all") return all_ranks;
  const std::string expected =
      "an integer >= 1 and <= 2147483647, or all (every task of the Slurm allocation, or the slots of "
      "mpirun's "
      "hosts)";
  const auto value = entry.value.IsScalar() ? integer_from_text(entry.value.Scalar()) : std::nullopt;
  if (!value || *value < 1 || *value > int_max) {
    reader.report(
        reader.location_of(entry),
        what + " is " +
            (entry.value.IsScalar() ? quoted_text(entry.value.Scalar()) : describe_node(entry.value)),
        expected, entry.value.IsScalar() ? did_you_mean(entry.value.Scalar(), {"all"}) : "");
    return std::nullopt;
  }
  return static_cast<int>(*value);
}

void read_launch_key(yaml_reader& reader, const yaml_entry& entry, const std::string& what,
                     const std::string& plan_path, launch_keys_read& into) {
  if (entry.key == "hosts" || entry.key == "hostfile") {
    if (into.hosts) {
      reader.report(reader.location_of(entry),
                    what + ": both hosts and hostfile are given; they both say where mpirun's ranks go",
                    "one of hosts or hostfile");
      return;
    }
    into.hosts = entry.key == "hosts" ? read_hosts(reader, entry, what)
                                      : read_hostfile_key(reader, entry, what, plan_path);
    if (!into.hosts) into.hosts = host_set{};  // reported; marks the key as given for the check above
  } else if (entry.key == "cpus_per_node") {
    if (const auto v = reader.read_integer(entry, what, 1, int_max))
      into.cpus_per_node = static_cast<int>(*v);
  } else if (entry.key == "launcher_args") {
    auto args = reader.read_string_list(entry, what);
    if (!args) return;
    for (const auto& a : *args)
      if (a.empty()) {
        reader.report(reader.location_of(entry), what + ": an empty argument",
                      "a list of the launcher's own arguments, e.g. [--mca, btl, tcp,self]");
        return;
      }
    into.launcher_args = std::move(*args);
  }
}

}  // namespace exacheck
