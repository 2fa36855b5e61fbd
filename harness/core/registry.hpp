#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/suite.hpp"

namespace exacheck {

// Every suite this build has. Suites are added in exactly one place: suites/registry.cpp.
class registry {
 public:
  static const registry& instance();

  void add(std::unique_ptr<suite> s);
  // The suite that runs `benchmark`, or nullptr.
  suite* find(std::string_view benchmark) const;
  // Every benchmark name, sorted.
  std::vector<std::string> benchmark_names() const;

 private:
  std::vector<std::unique_ptr<suite>> m_suites;
};

// Defined in suites/registry.cpp (as is instance()): adds every suite.
void register_all_suites(registry& r);

}  // namespace exacheck
