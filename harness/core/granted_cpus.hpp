#pragma once
// The CPUs this process was granted — by the launcher (srun --cpu-bind, mpirun --bind-to), a cgroup or
// taskset — whatever the site's OpenMP environment says. HPC sites set OMP_PROC_BIND / OMP_PLACES in every
// user's environment; the OpenMP runtime then binds the process's initial thread to its first place when the
// program loads, before main, so the affinity mask read afterwards is one CPU (a 2-core membw case ran one
// thread on CPU 0 and reported half the bandwidth). The runtime drew its places from the mask the process
// started with, so their union is what was granted.
#include <string>
#include <vector>

namespace exacheck {

// The granted CPUs, ascending: the calling thread's affinity mask, or, when the OpenMP runtime binds threads
// (omp_get_proc_bind() is not false) and has places, the union of its places. Empty when neither can be read.
std::vector<int> granted_cpus();

// Undoes the OpenMP runtime's binding of the calling thread: its affinity becomes granted_cpus(), so that the
// threads it creates and the processes it starts (launchers, ranks) get every granted CPU, not one. Returns
// what was undone ("the OpenMP runtime had bound this process to CPU 0 (OMP_PROC_BIND=true); released to the
// granted CPUs 0-1"); when the runtime binds but its places are no wider than the calling thread's mask (a
// site's GOMP_CPU_AFFINITY=0: an explicit list, kept), says so; "" when the runtime does not bind.
std::string release_openmp_binding();

// What release_openmp_binding() undid in this process, "" when nothing (or not called).
const std::string& released_openmp_binding();

// "0-3,8,10-11".
std::string cpu_list_text(const std::vector<int>& cpus);

}  // namespace exacheck
