#include "harness/core/granted_cpus.hpp"

#include <fmt/core.h>
#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <set>

namespace exacheck {

namespace {

std::string g_released;  // set once, at the start of main, before any thread exists

std::vector<int> affinity_of_calling_thread() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  std::vector<int> cpus;
  if (::sched_getaffinity(0, sizeof mask, &mask) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &mask)) cpus.push_back(cpu);
  return cpus;
}

std::vector<int> union_of_openmp_places() {
  std::set<int> cpus;
  const int places = omp_get_num_places();
  for (int p = 0; p < places; ++p) {
    std::vector<int> ids(static_cast<std::size_t>(std::max(omp_get_place_num_procs(p), 0)));
    if (ids.empty()) continue;
    omp_get_place_proc_ids(p, ids.data());
    cpus.insert(ids.begin(), ids.end());
  }
  return {cpus.begin(), cpus.end()};
}

// The site's OpenMP placement settings that reached this process, for the message: "OMP_PROC_BIND=true
// OMP_PLACES=cores".
std::string placement_environment() {
  std::string said;
  for (const char* name : {"OMP_PROC_BIND", "OMP_PLACES", "GOMP_CPU_AFFINITY"})
    if (const char* value = std::getenv(name))
      said += fmt::format("{}{}={}", said.empty() ? "" : " ", name, value);
  return said.empty() ? "the OpenMP runtime's defaults" : said;
}

}  // namespace

std::vector<int> granted_cpus() {
  std::vector<int> mask = affinity_of_calling_thread();
  if (omp_get_proc_bind() == omp_proc_bind_false) return mask;
  std::vector<int> places = union_of_openmp_places();
  if (places.empty()) return mask;
  // The calling thread may already have been released (release_openmp_binding): the wider of the two.
  return places.size() > mask.size() ? places : mask;
}

std::string release_openmp_binding() {
  if (omp_get_proc_bind() == omp_proc_bind_false) return "";
  const std::vector<int> mask = affinity_of_calling_thread();
  const std::vector<int> granted = granted_cpus();
  if (granted.size() <= mask.size()) {
    // The site's places themselves are narrower than the launch (GOMP_CPU_AFFINITY=0): kept, and said.
    g_released = fmt::format(
        "the OpenMP runtime binds threads ({}) to places covering CPUs {} only: exacheck "
        "keeps to them",
        placement_environment(), cpu_list_text(granted));
    return g_released;
  }
  cpu_set_t wider;
  CPU_ZERO(&wider);
  for (const int cpu : granted) CPU_SET(cpu, &wider);
  if (::sched_setaffinity(0, sizeof wider, &wider) != 0) return "";
  g_released =
      fmt::format("the OpenMP runtime had bound this process to CPU {} ({}); released to the granted CPUs {}",
                  cpu_list_text(mask), placement_environment(), cpu_list_text(granted));
  return g_released;
}

const std::string& released_openmp_binding() {
  return g_released;
}

std::string cpu_list_text(const std::vector<int>& cpus) {
  std::string text;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    text += (text.empty() ? "" : ",") +
            (j == i ? std::to_string(cpus[i]) : fmt::format("{}-{}", cpus[i], cpus[j]));
    i = j + 1;
  }
  return text;
}

}  // namespace exacheck
