#include "harness/results/point_identity.hpp"

#include <string>

namespace exacheck {
namespace {

void move_key(nlohmann::json& params, const char* key, nlohmann::json& derived) {
  const auto found = params.find(key);
  if (found == params.end()) return;
  derived[key] = std::move(*found);
  params.erase(found);
}

}  // namespace

nlohmann::json split_legacy_derived(std::string_view benchmark, nlohmann::json& params,
                                    const nlohmann::json* case_params) {
  nlohmann::json derived = nlohmann::json::object();
  if (!params.is_object()) return derived;
  // Collectives wrote the bytes moved as `bytes` and the plan's size as `requested_bytes` when they differed.
  if (const auto requested = params.find("requested_bytes"); requested != params.end()) {
    nlohmann::json plan_bytes = std::move(*requested);
    params.erase(requested);
    move_key(params, "bytes", derived);
    params["bytes"] = std::move(plan_bytes);
  }
  move_key(params, "array_bytes_used", derived);  // membw: the STREAM array size measured
  // flops: `isa` and `threads` mark the old form (a skipped point had neither, and its inner_iterations was
  // the requested value); there `inner_iterations` held the steps used, auto-sized or not.
  if (benchmark == "flops" && (params.contains("isa") || params.contains("threads"))) {
    move_key(params, "isa", derived);
    move_key(params, "threads", derived);
    if (params.contains("inner_iterations")) {
      move_key(params, "inner_iterations", derived);
      if (case_params) {
        const auto requested =
            case_params->is_object() ? case_params->find("inner_iterations") : case_params->end();
        const bool scalar =
            case_params->is_object() && requested != case_params->end() && requested->is_number_integer();
        params["inner_iterations"] = scalar ? *requested : nlohmann::json(0);  // 0: the default, auto
      }
    }
  }
  return derived;
}

}  // namespace exacheck
