#pragma once
// The hosts mpirun is given outside a Slurm allocation: a host list ("a,b" or "a:4,b:4", Open MPI's --host
// form; the plan's `hosts:` and `exacheck run --hosts`) or an Open MPI hostfile (the plan's `hostfile:`,
// `--hostfile`). Parsed here so that the plan loader and the CLI refuse a bad one before anything runs, with
// the file:line (or the option) and the text that is wrong.
#include <string>
#include <string_view>
#include <vector>

namespace exacheck {

struct host_slots {
  std::string host;
  int slots = 0;  // ranks the host takes; 0: not given (counted as 1, as mpirun --host does)
};

// Where a case's mpirun ranks go: the hosts, and the hostfile they were read from ("" for a host list).
struct host_set {
  std::vector<host_slots> hosts;
  std::string hostfile;  // absolute path; passed to mpirun as --hostfile instead of --host
  bool empty() const { return hosts.empty(); }
};

// A host name as a host list or hostfile may hold it: letters, digits, '.', '-', '_' (at most 255).
bool is_host_name(std::string_view text);

// One entry of a host list: "node01" or "node01:4" (slots >= 1). Throws std::invalid_argument with a
// sentence naming the entry when it is neither.
host_slots parse_host_entry(std::string_view entry);

// "a,b,c" or "a:4,b:4"; `what` names the text in messages ("--hosts"). Throws std::invalid_argument.
std::vector<host_slots> parse_host_list(std::string_view text, std::string_view what);

// An Open MPI hostfile's text: one host per line, "node01 slots=4 max_slots=8" (max_slots ignored), '#'
// comments, blank lines. `path` names it in messages ("hosts.txt:3: ..."). Throws std::invalid_argument;
// a file without a host is an error too.
std::vector<host_slots> parse_hostfile_text(std::string_view text, const std::string& path);

// Reads and parses the hostfile at `path` (host_set::hostfile is its absolute path). Throws
// std::invalid_argument when it cannot be read or parsed.
host_set read_hostfile(const std::string& path);

// The host list as mpirun's --host value, with each host's slots ("a:4,b:1"): what mpirun is given is what
// the layout assumed.
std::string host_argument(const std::vector<host_slots>& hosts);

}  // namespace exacheck
