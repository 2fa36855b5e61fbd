#pragma once
// What a reference number says in every file that holds one: a system file's `references` (contract numbers
// with tolerances, docs/plan-schema.md) and a vendor reference file's `entries` (measured baselines,
// docs/reference-files.md). Both models extend it; harness/plan/reference_entry.hpp reads it.
#include <nlohmann/json.hpp>
#include <string>

namespace exacheck {

struct reference_point {
  std::string benchmark;
  std::string metric;  // e.g. "tflops"
  // Values of the benchmark's parameters the number is about: all of a point's, or some (then it applies to
  // every point that has them), e.g. {dtype: bf16}.
  nlohmann::json where = nlohmann::json::object();
  double value = 0.0;
  std::string unit;
};

}  // namespace exacheck
