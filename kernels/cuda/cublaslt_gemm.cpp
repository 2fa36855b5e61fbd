// The CUDA backend of the gemm suite: cuBLASLt in every precision of the suite (kernels/cuda/gemm_types.hpp
// says which formats, compute type and layout each dtype runs with). prepare() generates the inputs on the
// device (gemm_fill.cuh: gemm::normal_input rounded to the dtype), builds strided-batch layouts when asked,
// and picks the algorithm: cuBLASLt's heuristic choice, or with autotune the fastest of its top candidates
// timed with CUDA events (cublaslt_tuning.hpp). run() is one cublasLtMatmul on this backend's stream, waited
// for; time_batch() times back-to-back calls with events on that stream (gemm_backend.hpp's timed entry);
// verify() reads sampled entries of C and recomputes them in long double from the same generator.
#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>
#include <fmt/core.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "kernels/cuda/cublaslt_formats.hpp"
#include "kernels/cuda/cublaslt_owners.hpp"
#include "kernels/cuda/cublaslt_tuning.hpp"
#include "kernels/cuda/cuda_backends.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/gemm_fill.cuh"
#include "kernels/cuda/gemm_types.hpp"
#include "suites/gemm/gemm_inputs.hpp"
#include "suites/gemm/gemm_oracle.hpp"

namespace exacheck::cuda {
namespace {

namespace gt = gemm_types;
using gemm_fill::input_format;
using namespace cublaslt_formats;

// cuBLASLt's heuristic may pick split-K and stream-K kernels that need scratch memory; 64 MiB is above what
// NVIDIA recommends for Hopper (32 MiB) and Blackwell, so the workspace never limits the choice.
constexpr std::size_t k_workspace_bytes = std::size_t{64} << 20;

std::string cublaslt_version() {
  const std::size_t version = cublasLtGetVersion();  // major·10000 + minor·100 + patch
  return fmt::format("{}.{}.{}", version / 10000, version / 100 % 100, version % 100);
}

// alpha = 1 and beta = 0 in each scale type (host pointers: CUBLASLT_POINTER_MODE_HOST, the default).
constexpr double k_one_f64 = 1.0, k_zero_f64 = 0.0;
constexpr float k_one_f32 = 1.0f, k_zero_f32 = 0.0f;
constexpr std::int32_t k_one_i32 = 1, k_zero_i32 = 0;

// Everything prepare() builds for one problem; the next prepare() replaces it whole.
struct prepared_gemm {
  gemm::gemm_shape shape;
  gemm::gemm_options options;  // fast_accum: the accumulation the oracle's bound must assume (verify())
  const gt::dtype_info* info = nullptr;
  gt::executed_layout layout;
  input_format format_a{}, format_b{};
  std::uint64_t key_a = 0, key_b = 0;  // gemm::input_key of A and B
  device_buffer a, b, c;               // column-major in the executed layout, batch entries back to back
  device_buffer scale_one;             // FP8: the per-tensor scale factors of A and B, one fp32 1.0
  owned_matmul_desc desc;
  owned_layout layout_a, layout_b, layout_c;
  tuned_algorithm algorithm;
  const void* alpha = nullptr;
  const void* beta = nullptr;
};

class cublaslt_gemm_backend final : public gemm::gemm_backend {
 public:
  // Runs on the calling thread's current device (the worker has selected it).
  cublaslt_gemm_backend() {
    EXACHECK_CUDA(cudaGetDevice(&m_device));
    cudaDeviceProp properties{};
    EXACHECK_CUDA(cudaGetDeviceProperties(&properties, m_device));
    m_device_name = fmt::format("CUDA device {} ({})", m_device, properties.name);
    m_major = properties.major;
    m_minor = properties.minor;
    cublasLtHandle_t handle = nullptr;
    EXACHECK_CUBLAS(cublasLtCreate(&handle));
    m_handle.reset(handle);
    cudaStream_t stream = nullptr;
    EXACHECK_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    m_stream.reset(stream);
    m_workspace = allocate_device(k_workspace_bytes);
    m_timer = std::make_unique<event_timer>(m_stream.get());
  }
  // Members release the problem, the timer, the workspace, the stream and the handle, in that order; every
  // call has synchronised the stream, so nothing is in flight by then.
  ~cublaslt_gemm_backend() override = default;
  // Owns device memory, a stream, events and a cuBLASLt handle: a copy would free them twice.
  cublaslt_gemm_backend(const cublaslt_gemm_backend&) = delete;
  cublaslt_gemm_backend& operator=(const cublaslt_gemm_backend&) = delete;

  std::optional<std::string> unsupported_reason(std::string_view dtype) const override {
    return gt::unsupported_reason(dtype, m_major, m_minor, m_device_name);
  }

  std::optional<std::string> fast_accum_unsupported_reason(std::string_view dtype) const override {
    const gt::dtype_info* info = gt::find_dtype(dtype);
    if (info && is_fp8(info->a)) return std::nullopt;
    return fmt::format("fast_accum: cuBLASLt's fast accumulation is for fp8 inputs; dtype {} has none",
                       dtype);
  }

  void prepare(const gemm::gemm_shape& shape, std::string_view dtype, std::uint64_t seed,
               const gemm::gemm_options& options) override {
    if (const auto reason = unsupported_reason(dtype)) throw std::invalid_argument(*reason);
    if (const auto reason = options.fast_accum ? fast_accum_unsupported_reason(dtype) : std::nullopt)
      throw std::invalid_argument(*reason);
    if (shape.m < 1 || shape.n < 1 || shape.k < 1 || shape.batch < 1)
      throw std::invalid_argument(fmt::format("gemm: m, n, k and batch must be ≥ 1 (got {}, {}, {}, {})",
                                              shape.m, shape.n, shape.k, shape.batch));
    if (shape.batch > std::numeric_limits<std::int32_t>::max())
      throw std::invalid_argument(
          fmt::format("gemm: batch {} is above cuBLASLt's int32 batch count", shape.batch));
    const gt::dtype_info& info = *gt::find_dtype(dtype);
    if (info.a == gt::element_format::int8 && shape.k > gt::int8_max_k)
      throw std::invalid_argument(
          fmt::format("gemm: int8 with K = {} could overflow the int32 accumulator (|a·b| ≤ 2^14, so K ≤ {})",
                      shape.k, gt::int8_max_k));
    m_plan.reset();  // release the previous problem first: peak device memory stays one problem

    auto plan = std::make_unique<prepared_gemm>();
    plan->shape = shape;
    plan->options = options;
    plan->info = &info;
    plan->layout = gt::executed_layout_for(info, shape.transa, shape.transb);
    const auto& s = shape;
    const bool transa = plan->layout.transa, transb = plan->layout.transb;
    plan->format_a = input_format_of(info.a, info.round_inputs_to_tf32);
    plan->format_b = input_format_of(info.b, info.round_inputs_to_tf32);
    plan->key_a = gemm::input_key(seed, gemm::input_matrix::a);
    plan->key_b = gemm::input_key(seed, gemm::input_matrix::b);
    const auto elements_a = static_cast<std::uint64_t>(s.m * s.k * s.batch),
               elements_b = static_cast<std::uint64_t>(s.k * s.n * s.batch),
               elements_c = static_cast<std::uint64_t>(s.m * s.n * s.batch);
    plan->a = allocate_device(elements_a * gemm_fill::input_bytes(plan->format_a));
    plan->b = allocate_device(elements_b * gemm_fill::input_bytes(plan->format_b));
    plan->c = allocate_device(elements_c * gt::element_bytes(info.c));
    EXACHECK_CUDA(
        gemm_fill::fill_gemm_input(plan->format_a, plan->key_a, elements_a, plan->a.get(), m_stream.get()));
    EXACHECK_CUDA(
        gemm_fill::fill_gemm_input(plan->format_b, plan->key_b, elements_b, plan->b.get(), m_stream.get()));
    // Poisoned, not zeroed: all-ones bytes are NaN in every floating format of C, so an entry no kernel wrote
    // fails the check instead of passing as a plausible zero.
    EXACHECK_CUDA(
        cudaMemsetAsync(plan->c.get(), 0xff, elements_c * gt::element_bytes(info.c), m_stream.get()));

    // Layouts of the matrices as stored on the device, for the op cuBLASLt runs.
    plan->layout_a = make_layout(info.a, transa ? s.k : s.m, transa ? s.m : s.k, s.batch);
    plan->layout_b = make_layout(info.b, transb ? s.n : s.k, transb ? s.k : s.n, s.batch);
    plan->layout_c = make_layout(info.c, s.m, s.n, s.batch);

    cublasLtMatmulDesc_t desc = nullptr;
    EXACHECK_CUBLAS(cublasLtMatmulDescCreate(&desc, cublas_compute(info.compute), cuda_type(info.scale)));
    plan->desc.reset(desc);
    const cublasOperation_t op_a = transa ? CUBLAS_OP_T : CUBLAS_OP_N,
                            op_b = transb ? CUBLAS_OP_T : CUBLAS_OP_N;
    EXACHECK_CUBLAS(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_a, sizeof op_a));
    EXACHECK_CUBLAS(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_b, sizeof op_b));
    if (is_fp8(info.a)) {
      // Per-tensor scale factors (device pointers, compute type fp32) of 1: the inputs are used as generated.
      plan->scale_one = allocate_device(sizeof(float));
      const float one = 1.0f;
      EXACHECK_CUDA(
          cudaMemcpyAsync(plan->scale_one.get(), &one, sizeof one, cudaMemcpyHostToDevice, m_stream.get()));
      const void* scale = plan->scale_one.get();
      EXACHECK_CUBLAS(
          cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &scale, sizeof scale));
      EXACHECK_CUBLAS(
          cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &scale, sizeof scale));
      // Set either way, so the descriptor says what the point asked for rather than leaning on a default.
      const std::int8_t fast_accum = options.fast_accum ? 1 : 0;
      EXACHECK_CUBLAS(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_FAST_ACCUM, &fast_accum,
                                                     sizeof fast_accum));
    }
    switch (info.scale) {
      case gt::element_format::fp64:
        plan->alpha = &k_one_f64;
        plan->beta = &k_zero_f64;
        break;
      case gt::element_format::int32:
        plan->alpha = &k_one_i32;
        plan->beta = &k_zero_i32;
        break;
      default:
        plan->alpha = &k_one_f32;
        plan->beta = &k_zero_f32;
        break;
    }
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));  // inputs written before any timing
    const std::vector<cublasLtMatmulHeuristicResult_t> candidates =
        heuristic_candidates(*plan, options.autotune ? k_autotune_candidates : 1);
    plan->algorithm = options.autotune ? autotune(candidates, matmul_call(*plan), *m_timer)
                                       : heuristic_choice(candidates.front());
    m_plan = std::move(plan);
  }

  std::string implementation() const override {
    const std::string library = fmt::format("cuBLASLt {} cublasLtMatmul", cublaslt_version());
    if (!m_plan) return fmt::format("{} on {}", library, m_device_name);
    const prepared_gemm& p = *m_plan;
    const gt::dtype_info& info = *p.info;
    const char* accumulation = !is_fp8(info.a) ? ""
                               : p.options.fast_accum
                                   ? ", fast accumulation (CUBLASLT_MATMUL_DESC_FAST_ACCUM 1)"
                                   : ", default accumulation (FAST_ACCUM 0)";
    return fmt::format(
        "{} {}: A {}, B {}, C {}, {}{}{}, op(A)={} op(B)={}{}, {} (workspace {} MiB), {}", library,
        info.dtype, gt::format_name(info.a), gt::format_name(info.b), gt::format_name(info.c),
        gt::compute_name(info.compute), p.scale_one ? ", A and B scale 1" : "", accumulation,
        p.layout.transa ? 't' : 'n', p.layout.transb ? 't' : 'n',
        p.shape.batch > 1 ? fmt::format(", strided batch of {}", p.shape.batch) : std::string(),
        p.algorithm.description, k_workspace_bytes >> 20, m_device_name);
  }

  std::optional<std::string> algorithm() const override {
    if (!m_plan) return std::nullopt;
    return describe_algorithm(m_plan->algorithm.algo);
  }

  std::vector<std::string> warnings() const override {
    if (!m_plan) return {};
    const prepared_gemm& p = *m_plan;
    if (p.layout.transa == p.shape.transa && p.layout.transb == p.shape.transb) return {};
    return {
        fmt::format("{} ran as op(A)=t op(B)=n, not the requested op(A)={} op(B)={}: cuBLASLt has {} GEMM "
                    "only as TN; the inputs were generated in that layout, so the same kind of product is "
                    "measured",
                    p.info->dtype, p.shape.transa ? 't' : 'n', p.shape.transb ? 't' : 'n', p.info->dtype)};
  }

  void run() override {
    const prepared_gemm& p = plan("run()");
    EXACHECK_CUBLAS(matmul_call(p)(p.algorithm.algo));
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
  }

  batch_time time_batch(int calls) override {
    const prepared_gemm& p = plan("time_batch()");
    if (calls < 1) throw std::invalid_argument("cublaslt_gemm: a batch needs at least one call");
    return {m_timer->time(matmul_call(p), p.algorithm.algo, calls), batch_clock::device};
  }

  correctness verify(int samples, std::uint64_t seed) const override {
    const prepared_gemm& p = plan("verify()");
    const auto& s = p.shape;
    const std::size_t c_element = gt::element_bytes(p.info->c);
    const auto c_entries = static_cast<std::size_t>(s.m * s.n * s.batch);
    // Whole C when most of it is checked; one small copy per entry otherwise (gigabytes stay on the device).
    const bool whole = static_cast<std::size_t>(std::max(samples, 0)) * 16 >= c_entries;
    std::vector<std::byte> c(whole ? c_entries * c_element : 0);
    // Copies on this backend's stream (non-blocking: the legacy default stream would not wait for its work).
    const auto copy_to_host = [&](void* host, const void* device, std::size_t bytes) {
      EXACHECK_CUDA(cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, m_stream.get()));
      EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
    };
    if (whole) copy_to_host(c.data(), p.c.get(), c.size());
    const std::int64_t lda = p.layout.transa ? s.k : s.m, ldb = p.layout.transb ? s.n : s.k;
    const std::int64_t stride_a = s.m * s.k, stride_b = s.k * s.n, stride_c = s.m * s.n;
    // The inputs as multiplied, recomputed from the generator at their index in the executed layout.
    const auto op_a = [&](std::int64_t batch, std::int64_t i, std::int64_t l) -> long double {
      const std::int64_t at = batch * stride_a + (p.layout.transa ? l + i * lda : i + l * lda);
      return gemm_fill::stored_input(p.format_a, p.key_a, static_cast<std::uint64_t>(at));
    };
    const auto op_b = [&](std::int64_t batch, std::int64_t l, std::int64_t j) -> long double {
      const std::int64_t at = batch * stride_b + (p.layout.transb ? j + l * ldb : l + j * ldb);
      return gemm_fill::stored_input(p.format_b, p.key_b, static_cast<std::uint64_t>(at));
    };
    const auto out_c = [&](std::int64_t batch, std::int64_t i, std::int64_t j) -> long double {
      const auto at = static_cast<std::size_t>(batch * stride_c + i + j * s.m) * c_element;
      if (whole) return decode_output(p.info->c, c.data() + at);
      std::byte value[8];
      copy_to_host(value, static_cast<const std::byte*>(p.c.get()) + at, c_element);
      return decode_output(p.info->c, value);
    };
    // Fast accumulation (fp8) never promotes to fp32: the oracle's bound for it is the wider one.
    return gemm::check_sampled_entries(s, p.info->dtype, samples, seed, op_a, op_b, out_c,
                                       p.options.fast_accum);
  }

  // Adds `delta` to C(i, j) of batch entry 0.
  void corrupt_output_for_testing(std::int64_t i, std::int64_t j, double delta) {
    if (!m_plan || i < 0 || j < 0 || i >= m_plan->shape.m || j >= m_plan->shape.n)
      throw std::out_of_range("cublaslt_gemm: corrupt_output_for_testing outside C");
    const gt::element_format format = m_plan->info->c;
    const std::size_t bytes = gt::element_bytes(format);
    std::byte* element =
        static_cast<std::byte*>(m_plan->c.get()) + static_cast<std::size_t>(i + j * m_plan->shape.m) * bytes;
    // On this backend's stream (non-blocking: the legacy default stream does not order with it), waited for.
    std::byte value[8];
    EXACHECK_CUDA(cudaMemcpyAsync(value, element, bytes, cudaMemcpyDeviceToHost, m_stream.get()));
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
    encode_output(format, decode_output(format, value) + delta, value);
    EXACHECK_CUDA(cudaMemcpyAsync(element, value, bytes, cudaMemcpyHostToDevice, m_stream.get()));
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
  }

  // The stored input A (`matrix_b` false) or B, every element, from the device and recomputed on the host.
  gemm_input_images inputs_for_testing(bool matrix_b) const {
    const prepared_gemm& p = plan("inputs_for_testing()");
    const auto& s = p.shape;
    const input_format format = matrix_b ? p.format_b : p.format_a;
    const auto elements = static_cast<std::size_t>((matrix_b ? s.k * s.n : s.m * s.k) * s.batch);
    const std::size_t bytes = gemm_fill::input_bytes(format);
    std::vector<std::byte> image(elements * bytes);
    EXACHECK_CUDA(cudaMemcpyAsync(image.data(), (matrix_b ? p.b : p.a).get(), image.size(),
                                  cudaMemcpyDeviceToHost, m_stream.get()));
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
    gemm_input_images images{std::vector<double>(elements), std::vector<double>(elements)};
    const std::uint64_t key = matrix_b ? p.key_b : p.key_a;
    for (std::size_t e = 0; e < elements; ++e) {
      images.device[e] = gemm_fill::load_input(format, image.data() + e * bytes);
      images.host[e] = gemm_fill::stored_input(format, key, e);
    }
    return images;
  }

 private:
  static bool is_fp8(gt::element_format format) {
    return format == gt::element_format::fp8_e4m3 || format == gt::element_format::fp8_e5m2;
  }

  prepared_gemm& plan(const char* call) const {
    if (!m_plan) throw std::logic_error(fmt::format("cublaslt_gemm: {} before prepare()", call));
    return *m_plan;
  }

  // One cublasLtMatmul of `p` with a given algorithm, enqueued on the stream, not waited for. D = C in place
  // (same pointer and layout), beta = 0: C is only written.
  matmul_function matmul_call(const prepared_gemm& p) const {
    return [this, &p](const cublasLtMatmulAlgo_t& algo) {
      return cublasLtMatmul(m_handle.get(), p.desc.get(), p.alpha, p.a.get(), p.layout_a.get(), p.b.get(),
                            p.layout_b.get(), p.beta, p.c.get(), p.layout_c.get(), p.c.get(),
                            p.layout_c.get(), &algo, m_workspace.get(), k_workspace_bytes, m_stream.get());
    };
  }

  // Column-major, ld = rows (no padding); a batch of them stored back to back.
  static owned_layout make_layout(gt::element_format format, std::int64_t rows, std::int64_t columns,
                                  std::int64_t batch) {
    cublasLtMatrixLayout_t layout = nullptr;
    EXACHECK_CUBLAS(cublasLtMatrixLayoutCreate(&layout, cuda_type(format), static_cast<std::uint64_t>(rows),
                                               static_cast<std::uint64_t>(columns), rows));
    owned_layout owned(layout);
    if (batch > 1) {
      const auto count = static_cast<std::int32_t>(batch);
      const std::int64_t stride = rows * columns;  // elements between batch entries
      EXACHECK_CUBLAS(
          cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof count));
      EXACHECK_CUBLAS(cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
                                                       &stride, sizeof stride));
    }
    return owned;
  }

  // The heuristic's best `wanted` candidates within the workspace, best first. None means cuBLASLt has no
  // kernel for the shape; for the TN-only dtypes that is usually alignment (FP8 wants 16-byte leading
  // dimensions, INT8 IMMA multiples of 4 elements), which the message suggests.
  std::vector<cublasLtMatmulHeuristicResult_t> heuristic_candidates(const prepared_gemm& plan,
                                                                    int wanted) const {
    cublasLtMatmulPreference_t raw_preference = nullptr;
    EXACHECK_CUBLAS(cublasLtMatmulPreferenceCreate(&raw_preference));
    const owned_preference preference(raw_preference);
    const std::uint64_t workspace = k_workspace_bytes;
    EXACHECK_CUBLAS(cublasLtMatmulPreferenceSetAttribute(
        raw_preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace, sizeof workspace));
    std::vector<cublasLtMatmulHeuristicResult_t> results(static_cast<std::size_t>(wanted));
    int found = 0;
    const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(
        m_handle.get(), plan.desc.get(), plan.layout_a.get(), plan.layout_b.get(), plan.layout_c.get(),
        plan.layout_c.get(), raw_preference, wanted, results.data(), &found);
    const auto& s = plan.shape;
    if (status == CUBLAS_STATUS_NOT_SUPPORTED || (status == CUBLAS_STATUS_SUCCESS && found == 0))
      throw device_error(fmt::format(
          "cuBLASLt {} has no algorithm for gemm {} M={} N={} K={} batch={} op(A)={} op(B)={} on {}{}",
          cublaslt_version(), plan.info->dtype, s.m, s.n, s.k, s.batch, plan.layout.transa ? 't' : 'n',
          plan.layout.transb ? 't' : 'n', m_device_name,
          plan.info->requires_tn
              ? " (its TN kernels want 16-byte aligned leading dimensions: try K and M multiples of 16)"
              : ""));
    if (status != CUBLAS_STATUS_SUCCESS)
      throw_device_error("cuBLAS", "cublasLtMatmulAlgoGetHeuristic(...)", cublasLtGetStatusName(status),
                         __FILE__, __LINE__);
    results.resize(static_cast<std::size_t>(found));
    return results;
  }

  int m_device = 0;
  int m_major = 0, m_minor = 0;
  std::string m_device_name;  // "CUDA device 0 (NVIDIA H100 80GB HBM3)"
  owned_cublaslt m_handle;
  owned_stream m_stream;
  device_buffer m_workspace;
  std::unique_ptr<event_timer> m_timer;
  std::unique_ptr<prepared_gemm> m_plan;  // null until prepare()
};

cublaslt_gemm_backend& cublaslt_backend(gemm::gemm_backend& backend, const char* hook) {
  auto* cublaslt = dynamic_cast<cublaslt_gemm_backend*>(&backend);
  if (!cublaslt)
    throw std::invalid_argument(fmt::format("{}: the backend is not the cuBLASLt gemm backend", hook));
  return *cublaslt;
}

}  // namespace

std::unique_ptr<gemm::gemm_backend> make_gemm_backend(const run_context&) {
  return std::make_unique<cublaslt_gemm_backend>();
}

void corrupt_gemm_output_for_testing(gemm::gemm_backend& backend, std::int64_t i, std::int64_t j,
                                     double delta) {
  cublaslt_backend(backend, "corrupt_gemm_output_for_testing").corrupt_output_for_testing(i, j, delta);
}

gemm_input_images gemm_inputs_for_testing(gemm::gemm_backend& backend, bool matrix_b) {
  return cublaslt_backend(backend, "gemm_inputs_for_testing").inputs_for_testing(matrix_b);
}

}  // namespace exacheck::cuda
