#pragma once
#include <string>

namespace exacheck {
// `exacheck list`: every benchmark with its parameters as declared by its suite, and the backends here.
int print_benchmark_list(const std::string& only_benchmark);
// `exacheck info`: host, CPU model, cores, memory, MPI and library versions, GPUs or "no GPU".
int print_machine_info();
}  // namespace exacheck
