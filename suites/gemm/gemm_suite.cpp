#include "suites/gemm/gemm_suite.hpp"

#include <fmt/core.h>
#include <mpi.h>

#include <stdexcept>

#include "harness/core/backends.hpp"
#include "harness/core/rank_agreement.hpp"
#include "harness/core/statistics.hpp"
#include "suites/gemm/gemm_oracle.hpp"
#include "suites/gemm/gemm_peaks.hpp"
#include "suites/gemm/gemm_simulate.hpp"

namespace exacheck {
namespace gemm {

std::optional<std::string> gemm_backend::fast_accum_unsupported_reason(std::string_view dtype) const {
  return fmt::format(
      "fast_accum is cuBLASLt's fp8 fast accumulation; this backend ({}) has no such mode for {}",
      implementation(), dtype);
}

}  // namespace gemm

namespace {
using namespace gemm;

// Distinct stream per purpose, so the entries checked do not correlate with the input values.
constexpr std::uint64_t k_verify_stream = 0x9e3779b97f4a7c15ULL;

// The dtypes cuBLASLt has fast accumulation for.
bool is_fp8(std::string_view dtype) {
  return dtype == "fp8_e4m3" || dtype == "fp8_e5m2";
}

// Bytes of one element of A and B, and of C (8-bit inputs accumulate into a wider C).
std::pair<int, int> element_bytes(std::string_view dtype) {
  if (dtype == "fp64") return {8, 8};
  if (dtype == "fp32" || dtype == "tf32") return {4, 4};
  if (dtype == "fp16" || dtype == "bf16") return {2, 2};
  if (dtype == "int8") return {1, 4};
  return {1, 2};  // fp8_e4m3, fp8_e5m2: C in bf16/fp16
}

// The point's memory and operations, in long double (exact far past 2^64 for these products, which would
// wrap around in 64-bit integers): a GEMM whose flop count does not fit in 64 bits, or whose matrices no node
// holds, cannot run, and a worker that tried once reported 4e24 TFLOP/s.
std::optional<std::string> gemm_unrunnable(const param_values& point) {
  const auto dimension = [&](const char* name) {
    const auto it = point.find(name);
    return it != point.end() && it->is_number() ? it->get<long double>() : 1.0L;
  };
  const long double m = dimension("m"), n = dimension("n"), k = dimension("k"), batch = dimension("batch");
  const std::string dtype = point.value("dtype", std::string("fp64"));
  const auto [input_bytes, output_bytes] = element_bytes(dtype);
  const long double bytes = ((m * k + k * n) * input_bytes + m * n * output_bytes) * batch;
  const std::string shape =
      fmt::format("m={:.0f} n={:.0f} k={:.0f} batch={:.0f}", static_cast<double>(m), static_cast<double>(n),
                  static_cast<double>(k), static_cast<double>(batch));
  if (bytes > static_cast<long double>(max_bytes_per_rank))
    return fmt::format(
        "matrices A, B and C of {} at {} are {:.3g} TiB per rank, above the {:.0f} TiB any node holds "
        "(m·k + k·n + m·n elements × batch)",
        dtype, shape, static_cast<double>(bytes / 1099511627776.0L), max_bytes_per_rank / 1099511627776.0);
  const long double flops = 2.0L * m * n * k * batch;
  if (flops >= 9223372036854775808.0L)
    return fmt::format("2·m·n·k·batch at {} is {:.3g} operations, beyond a 64-bit count (2^63)", shape,
                       static_cast<double>(flops));
  // Not a no-op to record: a second point identical to the one without it would only look like a measurement.
  if (point.value("fast_accum", false) && !is_fp8(dtype))
    return fmt::format(
        "fast_accum: true with dtype {}: fast accumulation is an fp8 mode of cuBLASLt (fp8_e4m3, fp8_e5m2); "
        "other dtypes have none (set fast_accum only on fp8 points)",
        dtype);
  return std::nullopt;
}

class gemm_suite final : public suite_with_backends<gemm_backend> {
 public:
  std::vector<std::string> benchmarks() const override { return {"gemm"}; }

  std::string description(std::string_view) const override {
    return "dense matrix multiply C = op(A)·op(B) (batch products per call) on every rank with random, "
           "approximately standard normal inputs; TFLOP/s = 2·M·N·K·batch / median time of a call (cuda: "
           "CUDA events around back-to-back calls); sampled entries checked against a long double reference";
  }

  std::vector<param_spec> parameters(std::string_view) const override {
    const auto dimension = [](std::string name, std::string doc) {
      return param_spec{std::move(name), param_type::integer, "elements", 1024, {}, 1.0, max_int32_value,
                        false,           std::move(doc)};
    };
    return {
        {"dtype",
         param_type::string,
         "",
         "fp64",
         {"fp64", "fp32", "tf32", "fp16", "bf16", "fp8_e4m3", "fp8_e5m2", "int8"},
         {},
         {},
         false,
         "element type of A, B and C; the cpu backend (OpenBLAS) runs fp64 and fp32, other types are skipped "
         "with the reason (they exist for plans shared with GPU systems)"},
        dimension("m", "rows of op(A) and C"),
        dimension("n", "columns of op(B) and C"),
        dimension("k", "columns of op(A), rows of op(B): the length of each dot product"),
        {"transa", param_type::string, "", "n", {"n", "t"}, {}, {}, false, "op(A): n = A, t = Aᵀ (BLAS)"},
        {"transb", param_type::string, "", "n", {"n", "t"}, {}, {}, false, "op(B): n = B, t = Bᵀ (BLAS)"},
        {"batch",
         param_type::integer,
         "matrices",
         1,
         {},
         1.0,
         max_int32_value,
         false,
         "independent products of the shape per call (strided batched GEMM: cuBLASLt batch layouts on cuda, "
         "one OpenBLAS call per product on cpu); flops = 2·M·N·K·batch"},
        {"autotune",
         param_type::boolean,
         "",
         false,
         {},
         {},
         {},
         false,
         "cuda: time cuBLASLt's top 8 heuristic candidates with CUDA events and keep the fastest (the choice "
         "and every candidate's time go into the metric's description); false: the heuristic's first choice. "
         "No effect on cpu (said in the point's warnings)"},
        {"fast_accum",
         param_type::boolean,
         "",
         false,
         {},
         {},
         {},
         false,
         "fp8 dtypes only (another dtype with true is a plan error): cuBLASLt's fast accumulation "
         "(CUBLASLT_MATMUL_DESC_FAST_ACCUM 1: faster, fewer accumulator bits); false: cuBLASLt's default "
         "(more precise) accumulation. A backend without the mode (cpu) SKIPs true. Left out of the point's "
         "params when false, so points measured before it existed are the same points",
         true},
        {"verify_samples",
         param_type::integer,
         "entries",
         256,
         {},
         1.0,
         max_int32_value,
         false,
         "entries of C recomputed in long double to check the answer (all of C when at least M·N)"},
    };
  }

  std::vector<metric_spec> metrics(std::string_view) const override {
    return {
        {.name = "tflops",
         .unit = "TFLOP/s",
         .better_is = better::higher,
         .statistic = "median",
         .scope = metric_scope::rank,
         .description = "2·M·N·K·batch / median time of one call"},
        {.name = "time",
         .unit = "s",
         .better_is = better::lower,
         .statistic = "median",
         .scope = metric_scope::rank,
         .description = "median time of one call (of `batch` products)"},
    };
  }

  std::optional<std::string> why_unrunnable(std::string_view, const param_values& point) const override {
    return gemm_unrunnable(point);
  }

  std::vector<point_result> run(const run_context& ctx, std::string_view,
                                const param_values& params) override {
    const std::string dtype = params.value("dtype", std::string("fp64"));
    gemm_shape shape;
    shape.m = params.value("m", std::int64_t{1024});
    shape.n = params.value("n", std::int64_t{1024});
    shape.k = params.value("k", std::int64_t{1024});
    shape.transa = params.value("transa", std::string("n")) == "t";
    shape.transb = params.value("transb", std::string("n")) == "t";
    shape.batch = params.value("batch", std::int64_t{1});
    gemm_options options;
    options.autotune = params.value("autotune", false);
    options.fast_accum = params.value("fast_accum", false);
    const int verify_samples = params.value("verify_samples", 256);

    if (const auto why = gemm_unrunnable(params)) throw std::invalid_argument("gemm: " + *why);
    point_result point;
    point.scope = metric_scope::rank;
    point.params = params;
    std::unique_ptr<gemm_backend> backend = make_backend<gemm_backend>(ctx, "gemm");
    if (const auto reason = backend->unsupported_reason(dtype)) {
      point.skipped_reason = *reason;
      return {point};
    }
    if (const auto reason =
            options.fast_accum ? backend->fast_accum_unsupported_reason(dtype) : std::nullopt) {
      point.skipped_reason = *reason;
      return {point};
    }
    const std::uint64_t seed = ctx.seed ^ static_cast<std::uint64_t>(ctx.rank);
    backend->prepare(shape, dtype, seed, options);
    // Which kernel the library picked: found on this node, so derived, never the point's identity.
    if (const auto algorithm = backend->algorithm()) point.derived["algorithm"] = *algorithm;

    // Ranks of a node share cores, memory bandwidth and power: start together and keep every rank loaded
    // until all are done, so no rank measures an idle node.
    if (mpi_active(ctx)) MPI_Barrier(ctx.comm);
    const stop_agreement all_done = stop_when_every_rank_is_done(ctx);
    gemm_backend& kernel = *backend;
    const measure_outcome measured = measure_batches(
        ctx.measurement, [&kernel](int calls) { return kernel.time_batch(calls); }, all_done);
    const int calls_per_sample = measured.batch_iterations;
    const bool device_timed = measured.clock == batch_clock::device;

    const double median_s = median(measured.samples_s);
    const double flops = gemm_flops(shape.m, shape.n, shape.k, shape.batch);
    const std::string shape_text = fmt::format(
        "{} M={} N={} K={}{} op(A)={} op(B)={}{}", dtype, shape.m, shape.n, shape.k,
        shape.batch > 1 ? fmt::format(" batch={}", shape.batch) : std::string(), shape.transa ? 't' : 'n',
        shape.transb ? 't' : 'n', options.fast_accum ? " fast_accum" : "");
    const std::string clock =
        device_timed ? fmt::format("device events around {} back-to-back calls per sample, time / calls",
                                   calls_per_sample)
        : calls_per_sample == 1
            ? std::string("steady clock around one blocking call per sample")
            : fmt::format("steady clock around {} back-to-back blocking calls per sample, time / calls",
                          calls_per_sample);
    point.metrics.push_back({"tflops", flops / median_s / 1e12, "TFLOP/s", "median", better::higher,
                             fmt::format("2·M·N·K{} / median time ({}; {})", shape.batch > 1 ? "·batch" : "",
                                         shape_text, backend->implementation())});
    point.metrics.push_back(
        {"time", median_s, "s", "median", better::lower,
         fmt::format("median time of one call{} ({}; {})",
                     shape.batch > 1 ? fmt::format(" of {} GEMMs", shape.batch) : std::string(), shape_text,
                     clock)});
    point.samples.push_back({"time", "s", measured.samples_s});
    for (auto& warning : backend->warnings()) point.warnings.push_back(std::move(warning));
    if (auto noisy = noise_warning(measured, ctx.measurement)) point.warnings.push_back(std::move(*noisy));
    point.check =
        ctx.verify ? backend->verify(verify_samples, seed ^ k_verify_stream) : not_verified_by_plan();
    return {point};
  }

  std::vector<point_result> simulate(const simulation_input& in) const override {
    return gemm::simulate_gemm(in);
  }

  std::vector<peak_rule> peak_rules(std::string_view) const override { return gemm::gemm_peak_rules(); }
};

}  // namespace

std::unique_ptr<suite> make_gemm_suite() {
  return std::make_unique<gemm_suite>();
}

}  // namespace exacheck
