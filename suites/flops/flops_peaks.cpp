#include "suites/flops/flops_peaks.hpp"

namespace exacheck::flops {

std::vector<peak_rule> flops_peak_rules() {
  std::vector<peak_rule> rules;
  for (const char* dtype : {"fp64", "fp32"})
    rules.push_back({.where = {{"engine", "cuda_core"}, {"dtype", dtype}}, .keys = {dtype}});
  rules.push_back({.where = {{"engine", "tensor_core"}, {"dtype", "fp64"}}, .keys = {"fp64_tensor"}});
  for (const char* dtype : {"tf32", "fp16", "bf16", "int8"})
    rules.push_back({.where = {{"engine", "tensor_core"}, {"dtype", dtype}}, .keys = {dtype}});
  rules.push_back({.where = {{"engine", "tensor_core"}, {"dtype", "fp8_e4m3"}}, .keys = {"fp8"}});
  return rules;
}

}  // namespace exacheck::flops
