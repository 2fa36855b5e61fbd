#include "suites/gemm/gemm_peaks.hpp"

namespace exacheck::gemm {

std::vector<peak_rule> gemm_peak_rules() {
  std::vector<peak_rule> rules{{.where = {{"dtype", "fp64"}}, .keys = {"fp64_tensor", "fp64"}}};
  for (const char* dtype : {"fp32", "tf32", "fp16", "bf16", "int8"})
    rules.push_back({.where = {{"dtype", dtype}}, .keys = {dtype}});
  for (const char* dtype : {"fp8_e4m3", "fp8_e5m2"})
    rules.push_back({.where = {{"dtype", dtype}}, .keys = {"fp8"}});
  return rules;
}

}  // namespace exacheck::gemm
