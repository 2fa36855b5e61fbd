#pragma once
// What the launch tests share: the SLURM_* variables of a 4-node allocation, an environment made of a map or
// set for the exacheck a test starts, and the text of the usage_error a call throws.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "harness/controller/environment.hpp"
#include "harness/core/errors.hpp"

namespace exacheck::testing {

// The SLURM_* variables of `salloc -N 4 --ntasks-per-node=1` (nodes node01…node04): job `job_id` in
// `partition`, each node giving its task `cpus_per_node` CPUs ("1": the dev cluster's 2-CPU nodes, CR_Core).
inline std::map<std::string, std::string> four_node_allocation(const std::string& job_id = "12",
                                                               const std::string& partition = "debug",
                                                               const std::string& cpus_per_node = "1") {
  return {{"SLURM_JOB_ID", job_id},
          {"SLURM_JOB_PARTITION", partition},
          {"SLURM_JOB_NODELIST", "node[01-04]"},
          {"SLURM_JOB_NUM_NODES", "4"},
          {"SLURM_NNODES", "4"},
          {"SLURM_NTASKS", "4"},
          {"SLURM_NTASKS_PER_NODE", "1"},
          {"SLURM_TASKS_PER_NODE", "1(x4)"},
          {"SLURM_JOB_CPUS_PER_NODE", cpus_per_node + "(x4)"}};
}

// Sets environment variables for the exacheck this process starts, and restores them when it goes.
class scoped_environment {
 public:
  explicit scoped_environment(const std::map<std::string, std::string>& variables) {
    for (const auto& [name, value] : variables) {
      const char* old = std::getenv(name.c_str());
      m_saved.emplace(name, old ? std::optional<std::string>(old) : std::nullopt);
      ::setenv(name.c_str(), value.c_str(), 1);
    }
  }
  ~scoped_environment() {
    for (const auto& [name, value] : m_saved)
      value ? ::setenv(name.c_str(), value->c_str(), 1) : ::unsetenv(name.c_str());
  }
  scoped_environment(const scoped_environment&) = delete;
  scoped_environment& operator=(const scoped_environment&) = delete;

 private:
  std::map<std::string, std::optional<std::string>> m_saved;
};

// An environment holding exactly `variables`.
inline environment_lookup environment_of(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    return found == variables.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
}

// The usage_error's text when `call` throws one; "" (and a test failure) when it does not.
template <typename F>
std::string usage_error_of(F call) {
  try {
    call();
  } catch (const usage_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a usage_error";
  return "";
}

}  // namespace exacheck::testing
