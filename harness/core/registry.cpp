#include "harness/core/registry.hpp"

#include <algorithm>

namespace exacheck {

void registry::add(std::unique_ptr<suite> s) {
  m_suites.push_back(std::move(s));
}

suite* registry::find(std::string_view benchmark) const {
  for (const auto& s : m_suites) {
    const auto names = s->benchmarks();
    if (std::find(names.begin(), names.end(), benchmark) != names.end()) return s.get();
  }
  return nullptr;
}

std::vector<std::string> registry::benchmark_names() const {
  std::vector<std::string> names;
  for (const auto& s : m_suites)
    for (auto& name : s->benchmarks()) names.push_back(std::move(name));
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace exacheck
