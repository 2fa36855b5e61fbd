#include "harness/param_spec.hpp"

namespace exacheck {

std::string_view to_string(param_type type) {
  switch (type) {
    case param_type::integer:
      return "integer";
    case param_type::number:
      return "number";
    case param_type::bytes:
      return "bytes";
    case param_type::string:
      return "string";
    case param_type::boolean:
      return "boolean";
    case param_type::duration:
      return "duration";
  }
  return "unknown";
}

const param_spec* find_param(const std::vector<param_spec>& specs, std::string_view name) {
  for (const auto& spec : specs)
    if (spec.name == name) return &spec;
  return nullptr;
}

}  // namespace exacheck
