#include "harness/param_spec.hpp"

namespace exacheck {

std::string_view to_string(param_type type) {
  return name_of(param_type_names, type);
}

const param_spec* find_param(const std::vector<param_spec>& specs, std::string_view name) {
  for (const auto& spec : specs)
    if (spec.name == name) return &spec;
  return nullptr;
}

}  // namespace exacheck
