#pragma once
// A point's identity (`params`: what the plan asked for) and what its suite derived while it ran (`derived`),
// for the readers of files an older exacheck wrote with both in `params` (docs/run-json.md "derived").
#include <nlohmann/json.hpp>
#include <string_view>

namespace exacheck {

// Moves the derived values an exacheck before the split wrote into a point's `params` out of them, in place,
// and returns them (an empty object when there were none): flops' `isa` and `threads`, and its
// `inner_iterations` beside them (the steps used: the point's becomes the case's requested value from
// `case_params`, 0 = auto by default, or is dropped when `case_params` is null, as for a reference file's
// `where`); a collective's `bytes` when `requested_bytes` is beside it (the plan's size comes back into
// `bytes`, the moved size goes to derived `bytes`); membw's `array_bytes_used`. Params in today's form have
// none of these keys and are left as they are, so calling it twice changes nothing.
nlohmann::json split_legacy_derived(std::string_view benchmark, nlohmann::json& params,
                                    const nlohmann::json* case_params);

}  // namespace exacheck
