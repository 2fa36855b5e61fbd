#include "suites/gemm/gemm_oracle.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <string>

namespace exacheck::gemm {

double gemm_flops(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch) {
  return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) *
         static_cast<double>(batch);
}

double machine_epsilon(std::string_view dtype) {
  // 2^-p for p explicit mantissa bits: fp64 52, fp32 23, tf32 10 (fp32 range, fp16 mantissa), fp16 10,
  // bf16 7, e4m3 3, e5m2 2 (OCP 8-bit floating point specification).
  if (dtype == "fp64") return std::ldexp(1.0, -52);
  if (dtype == "fp32") return std::ldexp(1.0, -23);
  if (dtype == "tf32" || dtype == "fp16") return std::ldexp(1.0, -10);
  if (dtype == "bf16") return std::ldexp(1.0, -7);
  if (dtype == "fp8_e4m3") return std::ldexp(1.0, -3);
  if (dtype == "fp8_e5m2") return std::ldexp(1.0, -2);
  if (dtype == "int8") return 0.0;
  throw std::invalid_argument(fmt::format("gemm: unknown dtype '{}'", dtype));
}

accumulation_model accumulation_for(std::string_view dtype, bool fast_accumulation) {
  accumulation_model model;
  if (dtype == "int8") return model;  // exact: every eps 0
  model.output_eps = machine_epsilon(dtype == "fp8_e4m3" || dtype == "fp8_e5m2" ? "bf16" : dtype);
  model.accumulator_eps = dtype == "fp64" ? std::ldexp(1.0, -52) : std::ldexp(1.0, -23);
  if (dtype == "fp8_e4m3" || dtype == "fp8_e5m2") {
    model.narrow_eps = std::ldexp(1.0, -13);
    model.promotion_every = fast_accumulation ? 0 : 128;
  }
  return model;
}

double entry_tolerance(const accumulation_model& model, std::int64_t k, long double reference,
                       const entry_magnitudes& magnitudes) {
  const long double narrow =
      model.promotion_every > 0 ? magnitudes.narrow_promoted : magnitudes.narrow_unpromoted;
  return static_cast<double>(static_cast<long double>(k) * model.accumulator_eps * magnitudes.products +
                             model.output_eps * std::fabs(reference) +
                             narrow_safety * (model.narrow_step + 1) * model.narrow_eps * narrow);
}

double entry_tolerance_at_most(std::string_view dtype, std::int64_t k, long double magnitude_sum) {
  const accumulation_model model = accumulation_for(dtype, true);
  // |reference| ≤ S, and each of the at most k steps' |P_t| ≤ S.
  const entry_magnitudes magnitudes{magnitude_sum, 0, static_cast<long double>(k) * magnitude_sum};
  return entry_tolerance(model, k, magnitude_sum, magnitudes);
}

std::vector<entry_position> sample_positions(const gemm_shape& shape, int samples, std::uint64_t seed) {
  std::vector<entry_position> positions;
  if (shape.m <= 0 || shape.n <= 0 || shape.batch <= 0 || samples <= 0) return positions;
  const std::int64_t total = shape.batch * shape.m * shape.n;
  if (samples >= total) {
    for (std::int64_t b = 0; b < shape.batch; ++b)
      for (std::int64_t j = 0; j < shape.n; ++j)
        for (std::int64_t i = 0; i < shape.m; ++i) positions.push_back({b, i, j});
    return positions;
  }
  positions.push_back({0, 0, 0});
  if (samples > 1) positions.push_back({shape.batch - 1, shape.m - 1, shape.n - 1});
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<std::int64_t> batch(0, shape.batch - 1), row(0, shape.m - 1),
      column(0, shape.n - 1);
  while (static_cast<int>(positions.size()) < samples) {
    // Drawn in this order whatever the batch, so an unbatched shape keeps the positions it always had.
    const std::int64_t i = row(random), j = column(random);
    positions.push_back({shape.batch > 1 ? batch(random) : 0, i, j});
  }
  return positions;
}

std::string entry_name(const gemm_shape& shape, const entry_position& at) {
  return shape.batch > 1 ? fmt::format("C[{}]({}, {})", at.batch, at.i, at.j)
                         : fmt::format("C({}, {})", at.i, at.j);
}

correctness judge_entries(std::string_view dtype, const gemm_shape& shape, std::int64_t total_entries,
                          const std::vector<entry_check>& entries, bool fast_accumulation) {
  const accumulation_model model = accumulation_for(dtype, fast_accumulation);
  const auto tolerance_of = [&](const entry_check& e) {
    return entry_tolerance(model, shape.k, e.reference, e.magnitudes);
  };
  correctness check;
  check.checked = true;
  check.method = fmt::format(
      "{} sampled entries of C recomputed in long double from the stored inputs; |error| <= k * {:.3g} * "
      "sum_l |a_il * b_lj| + {:.3g} * |C_ref|{} (accumulator and output precision of {})",
      entries.size(), model.accumulator_eps, model.output_eps,
      model.narrow_eps == 0
          ? std::string()
          : fmt::format(" + {} * {} * {:.3g} * sum of step magnitudes ({})", narrow_safety,
                        model.narrow_step + 1, model.narrow_eps,
                        model.promotion_every > 0
                            ? fmt::format("promoted to fp32 every {} products", model.promotion_every)
                            : std::string("fast accumulation: never promoted")),
      dtype);
  if (entries.empty()) {
    check.passed = false;
    check.detail = "no entries were checked";
    return check;
  }
  std::size_t wrong = 0;
  const entry_check* first_wrong = nullptr;
  const entry_check* worst = nullptr;
  double worst_ratio = -1;  // error / tolerance; ≤ 1 passes
  for (const auto& entry : entries) {
    const double error = static_cast<double>(std::fabs(entry.computed - entry.reference));
    const double tolerance = tolerance_of(entry);
    // Written so that NaN fails: a comparison with NaN is false.
    const bool ok = error <= tolerance;
    const double ratio = !ok ? INFINITY : tolerance > 0 ? error / tolerance : 0.0;
    if (!ok && !first_wrong) first_wrong = &entry;
    wrong += ok ? 0 : 1;
    if (ratio > worst_ratio || !worst) {
      worst_ratio = ratio;
      worst = &entry;
    }
  }
  check.passed = wrong == 0;
  const auto describe = [&](const entry_check& e) {
    return fmt::format("{} = {:.17g}, reference {:.17g}, error {:.3g}, tolerance {:.3g}",
                       entry_name(shape, e.at), static_cast<double>(e.computed),
                       static_cast<double>(e.reference),
                       static_cast<double>(std::fabs(e.computed - e.reference)), tolerance_of(e));
  };
  // An oracle that an all-zero C would pass cannot tell a wrong result from a right one.
  const bool too_loose =
      entries.size() >= 8 && std::all_of(entries.begin(), entries.end(), [&](const entry_check& e) {
        return tolerance_of(e) >= static_cast<double>(std::fabs(e.reference));
      });
  if (too_loose && wrong == 0) {
    check.passed = false;
    check.detail = fmt::format(
        "not verifiable: the error bound of every one of the {} checked entries is as large as the entry "
        "itself (k = {}, {}), so a wrong result would pass too; for example {}",
        entries.size(), shape.k, dtype, describe(*worst));
    return check;
  }
  if (first_wrong)
    check.detail = fmt::format("{} of {} checked entries wrong; first: {}", wrong, entries.size(),
                               describe(*first_wrong));
  else
    check.detail = fmt::format(
        "largest error relative to its tolerance ({:.2g} of it): {}; {} of {} entries "
        "checked",
        worst_ratio, describe(*worst), entries.size(), total_entries);
  return check;
}

}  // namespace exacheck::gemm
