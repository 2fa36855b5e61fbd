#pragma once
// Internal to the plan loader (plan_load.cpp): the keys that say where and how a case's ranks are launched,
// in `defaults` and in each case — `ranks` (a count or `all`), `hosts`, `hostfile`, `cpus_per_node`,
// `launcher_args` (docs/plan-schema.md "Where the ranks run"). Each reports a bad value at its file:line and
// returns nullopt.
#include <optional>
#include <string>
#include <vector>

#include "harness/plan/hosts.hpp"
#include "harness/plan/yaml_reader.hpp"

namespace exacheck {

// The keys these readers handle, for the maps' allowed keys.
inline const std::vector<std::string> launch_keys = {"hosts", "hostfile", "cpus_per_node", "launcher_args"};

// `ranks`: an integer >= 1, or `all` (all_ranks).
std::optional<int> read_ranks(yaml_reader& reader, const yaml_entry& entry, const std::string& what);

// `hosts`, `hostfile`, `cpus_per_node`, `launcher_args` of one map (the defaults or a case), into the fields
// given. `plan_path` is the plan file: a hostfile's relative path is relative to it. `hosts` and `hostfile`
// in one map is an error (one says where the ranks go).
struct launch_keys_read {
  std::optional<host_set> hosts;
  std::optional<int> cpus_per_node;
  std::optional<std::vector<std::string>> launcher_args;
};
void read_launch_key(yaml_reader& reader, const yaml_entry& entry, const std::string& what,
                     const std::string& plan_path, launch_keys_read& into);

}  // namespace exacheck
