// Every enum that files, reports or messages spell by name has one table of {value, name}
// (harness/core/enum_names.hpp): each enumerator is listed, its name leads back to it through the public
// functions too, and the names are spelled as run.json, the reports and earlier runs spell them.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "harness/core/param_spec.hpp"
#include "harness/core/result.hpp"
#include "harness/node/device_binding.hpp"
#include "harness/results/outcome.hpp"
#include "kernels/cpu/cpu_fma.hpp"
#include "kernels/cuda/flops_types.hpp"
#include "kernels/cuda/gemm_types.hpp"
#include "suites/collectives/collective_formulas.hpp"
#include "suites/copybw/copy_backend.hpp"
#include "suites/flops/fma_chain.hpp"

namespace exacheck {
namespace {

// Every enumerator from 0 to `last` (each of these enums counts up from 0) is in `table` once, and its name
// round-trips: value → name (the public `to_name`, and name_of) → value (value_of, and the public
// `from_name` where the enum has one).
template <typename Row, std::size_t N, typename Enum>
void expect_every_value_round_trips(
    const std::array<Row, N>& table, Enum last, const std::function<std::string_view(Enum)>& to_name,
    const std::function<std::optional<Enum>(std::string_view)>& from_name = {}) {
  const auto count = static_cast<std::size_t>(last) + 1;
  EXPECT_EQ(table.size(), count) << "a table lists an enumerator twice, or the enum has more than `last`";
  for (std::size_t i = 0; i < count; ++i) {
    const auto value = static_cast<Enum>(i);
    SCOPED_TRACE("enumerator " + std::to_string(i));
    ASSERT_NE(row_of(table, value), nullptr) << "not in the table";
    const std::string_view name = to_name(value);
    EXPECT_EQ(name, name_of(table, value));
    EXPECT_FALSE(name.empty());
    EXPECT_EQ(value_of(table, name), value);
    if (from_name) {
      EXPECT_EQ(from_name(name), value);
    }
  }
  EXPECT_FALSE(value_of(table, "no such name").has_value());
  if (from_name) {
    EXPECT_FALSE(from_name("").has_value());
  }
}

using strings = std::vector<std::string>;

TEST(enum_names, outcome) {
  expect_every_value_round_trips<outcome_row, 8, outcome>(
      outcome_names, outcome::recorded, [](outcome v) { return to_string(v); }, outcome_from_string);
  EXPECT_EQ(names_of(outcome_names),
            (strings{"PASS", "RECORDED", "SKIPPED", "OUTLIER", "FAIL", "INCORRECT", "TIMEOUT", "ERROR"}));
  EXPECT_FALSE(outcome_from_string("pass").has_value());  // names are matched exactly
}

TEST(enum_names, better_and_metric_scope) {
  expect_every_value_round_trips<enum_name<better>, 2, better>(
      better_names, better::lower, [](better v) { return to_string(v); }, better_from_string);
  EXPECT_EQ(names_of(better_names), (strings{"higher", "lower"}));
  expect_every_value_round_trips<enum_name<metric_scope>, 3, metric_scope>(
      metric_scope_names, metric_scope::global,
      [](metric_scope v) { return name_of(metric_scope_names, v); });
  EXPECT_EQ(names_of(metric_scope_names), (strings{"rank", "node", "global"}));
}

TEST(enum_names, a_point_result_keeps_its_scope_through_json_and_an_unknown_scope_reads_as_rank) {
  for (const auto& [scope, name] : metric_scope_names) {
    point_result point;
    point.scope = scope;
    const nlohmann::json written = point;
    EXPECT_EQ(written["scope"], name);
    EXPECT_EQ(written.get<point_result>().scope, scope);
  }
  EXPECT_EQ(nlohmann::json({{"scope", "cluster"}}).get<point_result>().scope, metric_scope::rank);
  EXPECT_EQ(nlohmann::json::object().get<point_result>().scope, metric_scope::rank);
}

TEST(enum_names, param_type_and_gpu_binding_mode) {
  expect_every_value_round_trips<enum_name<param_type>, 6, param_type>(
      param_type_names, param_type::duration, [](param_type v) { return to_string(v); });
  EXPECT_EQ(names_of(param_type_names),
            (strings{"integer", "number", "bytes", "string", "boolean", "duration"}));
  expect_every_value_round_trips<enum_name<gpu_binding_mode>, 2, gpu_binding_mode>(
      gpu_binding_mode_names, gpu_binding_mode::per_task, [](gpu_binding_mode v) { return to_string(v); });
  EXPECT_EQ(names_of(gpu_binding_mode_names), (strings{"shared_visible_set", "per_task"}));
}

TEST(enum_names, collectives_and_their_element_types) {
  using namespace collectives;
  expect_every_value_round_trips<enum_name<collective>, 7, collective>(
      collective_names, collective::sendrecv, [](collective v) { return to_string(v); },
      collective_from_string);
  EXPECT_EQ(names_of(collective_names), (strings{"allreduce", "allgather", "reduce_scatter", "broadcast",
                                                 "reduce", "alltoall", "sendrecv"}));
  expect_every_value_round_trips<enum_name<element_type>, 7, element_type>(
      element_type_names, element_type::fp8_e5m2, [](element_type v) { return to_string(v); },
      element_type_from_string);
  EXPECT_EQ(names_of(element_type_names),
            (strings{"int32", "fp32", "fp64", "bf16", "fp16", "fp8_e4m3", "fp8_e5m2"}));
}

TEST(enum_names, copy_directions_chain_kinds_and_cpu_isas) {
  expect_every_value_round_trips<enum_name<membw::copy_direction>, 4, membw::copy_direction>(
      membw::copy_direction_names, membw::copy_direction::p2p,
      [](membw::copy_direction v) { return membw::to_string(v); }, membw::copy_direction_from_string);
  EXPECT_EQ(names_of(membw::copy_direction_names), (strings{"h2d", "d2h", "d2d", "p2p"}));
  expect_every_value_round_trips<enum_name<flops::chain_kind>, 3, flops::chain_kind>(
      flops::chain_kind_names, flops::chain_kind::mma,
      [](flops::chain_kind v) { return flops::to_string(v); });
  EXPECT_EQ(names_of(flops::chain_kind_names), (strings{"fma", "dot2_bf16", "mma"}));
  expect_every_value_round_trips<enum_name<flops::cpu_isa>, 4, flops::cpu_isa>(
      flops::cpu_isa_names, flops::cpu_isa::avx512_bf16,
      [](flops::cpu_isa v) { return flops::to_string(v); });
  EXPECT_EQ(names_of(flops::cpu_isa_names), (strings{"portable", "avx2_fma", "avx512f", "avx512_bf16"}));
}

TEST(enum_names, the_cuda_backends_instruction_families_formats_and_compute_types) {
  namespace ft = cuda::flops_types;
  namespace gt = cuda::gemm_types;
  expect_every_value_round_trips<enum_name<ft::instruction_family>, 4, ft::instruction_family>(
      ft::instruction_family_names, ft::instruction_family::wgmma,
      [](ft::instruction_family v) { return ft::family_name(v); });
  EXPECT_EQ(names_of(ft::instruction_family_names), (strings{"none", "fma", "mma.sync", "wgmma"}));
  expect_every_value_round_trips<enum_name<gt::element_format>, 8, gt::element_format>(
      gt::element_format_names, gt::element_format::int32,
      [](gt::element_format v) { return gt::format_name(v); });
  EXPECT_EQ(names_of(gt::element_format_names),
            (strings{"CUDA_R_64F", "CUDA_R_32F", "CUDA_R_16F", "CUDA_R_16BF", "CUDA_R_8F_E4M3",
                     "CUDA_R_8F_E5M2", "CUDA_R_8I", "CUDA_R_32I"}));
  expect_every_value_round_trips<enum_name<gt::compute_mode>, 4, gt::compute_mode>(
      gt::compute_mode_names, gt::compute_mode::int32,
      [](gt::compute_mode v) { return gt::compute_name(v); });
  EXPECT_EQ(names_of(gt::compute_mode_names),
            (strings{"CUBLAS_COMPUTE_64F", "CUBLAS_COMPUTE_32F", "CUBLAS_COMPUTE_32F_FAST_TF32",
                     "CUBLAS_COMPUTE_32I"}));
  static_assert(gt::format_name(gt::element_format::bf16) == "CUDA_R_16BF",
                "still usable in constant expressions");
}

TEST(enum_names, a_value_the_table_does_not_list_has_no_row_and_reads_as_a_question_mark) {
  EXPECT_EQ(row_of(better_names, static_cast<better>(7)), nullptr);
  EXPECT_EQ(name_of(better_names, static_cast<better>(7)), "?");
}

}  // namespace
}  // namespace exacheck
