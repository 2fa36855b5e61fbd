#include "harness/core/param_spec.hpp"

namespace exacheck {

std::string_view to_string(param_type type) {
  return name_of(param_type_names, type);
}

const param_spec* find_param(const std::vector<param_spec>& specs, std::string_view name) {
  for (const auto& spec : specs)
    if (spec.name == name) return &spec;
  return nullptr;
}

bool same_param_value(const nlohmann::json& a, const nlohmann::json& b) {
  // 8, 8u and 8.0 are the same point: references written by hand rarely match the normalised type exactly.
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}

}  // namespace exacheck
