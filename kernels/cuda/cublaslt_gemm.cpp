// The CUDA backend of the gemm suite: cuBLASLt in every precision of the suite (kernels/cuda/gemm_types.hpp
// says which formats, compute type and layout each dtype runs with). prepare() draws the inputs on the host
// from std::mt19937_64(seed) in the order the cpu backend does, rounds them to the dtype with the CUDA host
// conversions and keeps the rounded values for the oracle, uploads them, and asks cuBLASLt's heuristic for
// its best algorithm; run() is one cublasLtMatmul on this backend's stream, waited for; verify() copies C
// back and recomputes sampled entries in long double (suites/gemm/gemm_oracle.hpp).
#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/gemm_types.hpp"
#include "kernels/cuda_backend.hpp"
#include "suites/gemm/gemm_oracle.hpp"

namespace exacheck::cuda {
namespace {

namespace gt = gemm_types;

// cuBLASLt's heuristic may pick split-K and stream-K kernels that need scratch memory; 64 MiB is above what
// NVIDIA recommends for Hopper (32 MiB) and Blackwell, so the workspace never limits the choice.
constexpr std::size_t k_workspace_bytes = std::size_t{64} << 20;

struct device_free {
  void operator()(void* pointer) const noexcept { cudaFree(pointer); }  // no throwing from a destructor
};
struct stream_destroy {
  void operator()(cudaStream_t stream) const noexcept { cudaStreamDestroy(stream); }
};
struct handle_destroy {
  void operator()(cublasLtHandle_t handle) const noexcept { cublasLtDestroy(handle); }
};
struct matmul_desc_destroy {
  void operator()(cublasLtMatmulDesc_t desc) const noexcept { cublasLtMatmulDescDestroy(desc); }
};
struct layout_destroy {
  void operator()(cublasLtMatrixLayout_t layout) const noexcept { cublasLtMatrixLayoutDestroy(layout); }
};
struct preference_destroy {
  void operator()(cublasLtMatmulPreference_t preference) const noexcept {
    cublasLtMatmulPreferenceDestroy(preference);
  }
};
using device_buffer = std::unique_ptr<void, device_free>;
using owned_stream = std::unique_ptr<std::remove_pointer_t<cudaStream_t>, stream_destroy>;
using owned_handle = std::unique_ptr<std::remove_pointer_t<cublasLtHandle_t>, handle_destroy>;
using owned_matmul_desc = std::unique_ptr<std::remove_pointer_t<cublasLtMatmulDesc_t>, matmul_desc_destroy>;
using owned_layout = std::unique_ptr<std::remove_pointer_t<cublasLtMatrixLayout_t>, layout_destroy>;
using owned_preference =
    std::unique_ptr<std::remove_pointer_t<cublasLtMatmulPreference_t>, preference_destroy>;

device_buffer allocate_device(std::size_t bytes) {
  void* pointer = nullptr;
  EXACHECK_CUDA(cudaMalloc(&pointer, std::max<std::size_t>(bytes, 1)));
  return device_buffer(pointer);
}

cudaDataType_t cuda_type(gt::element_format format) {
  switch (format) {
    case gt::element_format::fp64:
      return CUDA_R_64F;
    case gt::element_format::fp32:
      return CUDA_R_32F;
    case gt::element_format::fp16:
      return CUDA_R_16F;
    case gt::element_format::bf16:
      return CUDA_R_16BF;
    case gt::element_format::fp8_e4m3:
      return CUDA_R_8F_E4M3;
    case gt::element_format::fp8_e5m2:
      return CUDA_R_8F_E5M2;
    case gt::element_format::int8:
      return CUDA_R_8I;
    case gt::element_format::int32:
      return CUDA_R_32I;
  }
  throw std::logic_error("cublaslt_gemm: unknown element format");
}

cublasComputeType_t cublas_compute(gt::compute_mode mode) {
  switch (mode) {
    case gt::compute_mode::fp64:
      return CUBLAS_COMPUTE_64F;
    case gt::compute_mode::fp32:
      return CUBLAS_COMPUTE_32F;
    case gt::compute_mode::fp32_fast_tf32:
      return CUBLAS_COMPUTE_32F_FAST_TF32;
    case gt::compute_mode::int32:
      return CUBLAS_COMPUTE_32I;
  }
  throw std::logic_error("cublaslt_gemm: unknown compute mode");
}

template <class T>
void store(const T& value, std::byte* destination) {
  std::memcpy(destination, &value, sizeof(T));
}
template <class T>
T load(const std::byte* source) {
  T value;
  std::memcpy(&value, source, sizeof(T));
  return value;
}

// `value` in `format` at `destination`, rounded to nearest (FP8 saturating to the largest finite value).
void encode(gt::element_format format, double value, std::byte* destination) {
  switch (format) {
    case gt::element_format::fp64:
      return store(value, destination);
    case gt::element_format::fp32:
      return store(static_cast<float>(value), destination);
    case gt::element_format::fp16:
      return store(__double2half(value), destination);
    case gt::element_format::bf16:
      return store(__double2bfloat16(value), destination);
    case gt::element_format::fp8_e4m3:
      return store(__nv_cvt_double_to_fp8(value, __NV_SATFINITE, __NV_E4M3), destination);
    case gt::element_format::fp8_e5m2:
      return store(__nv_cvt_double_to_fp8(value, __NV_SATFINITE, __NV_E5M2), destination);
    case gt::element_format::int8:
      return store(static_cast<std::int8_t>(std::lround(value)), destination);
    case gt::element_format::int32:
      return store(static_cast<std::int32_t>(std::llround(value)), destination);
  }
}

double decode(gt::element_format format, const std::byte* source) {
  switch (format) {
    case gt::element_format::fp64:
      return load<double>(source);
    case gt::element_format::fp32:
      return load<float>(source);
    case gt::element_format::fp16:
      return __half2float(load<__half>(source));
    case gt::element_format::bf16:
      return __bfloat162float(load<__nv_bfloat16>(source));
    case gt::element_format::fp8_e4m3:
      return __half2float(__half(__nv_cvt_fp8_to_halfraw(load<__nv_fp8_storage_t>(source), __NV_E4M3)));
    case gt::element_format::fp8_e5m2:
      return __half2float(__half(__nv_cvt_fp8_to_halfraw(load<__nv_fp8_storage_t>(source), __NV_E5M2)));
    case gt::element_format::int8:
      return load<std::int8_t>(source);
    case gt::element_format::int32:
      return load<std::int32_t>(source);
  }
  return NAN;
}

// Draws a rows × columns column-major matrix, element after element in storage order (the cpu backend's
// order, so both backends multiply the same matrices for a seed). Returns the values as the GPU multiplies
// them and writes their encoding in `format` to `image`, transposed (columns × rows) when asked.
std::vector<double> draw_matrix(std::mt19937_64& random, const gt::dtype_info& info,
                                gt::element_format format, std::int64_t rows, std::int64_t columns,
                                bool transpose, std::vector<std::byte>& image) {
  const std::size_t bytes = gt::element_bytes(format);
  std::vector<double> values(static_cast<std::size_t>(rows * columns));
  image.assign(values.size() * bytes, std::byte{0});
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::byte scratch[8];
  for (std::int64_t c = 0; c < columns; ++c)
    for (std::int64_t r = 0; r < rows; ++r) {
      const double u = uniform(random);
      double value = 0;
      if (format == gt::element_format::int8) {
        value = gt::quantize_int8(u);
      } else if (info.round_inputs_to_tf32) {
        value = gt::round_to_tf32(static_cast<float>(u));
      } else {
        encode(format, u, scratch);
        value = decode(format, scratch);
      }
      values[static_cast<std::size_t>(r + c * rows)] = value;
      const std::int64_t at = transpose ? c + r * columns : r + c * rows;
      encode(format, value, image.data() + static_cast<std::size_t>(at) * bytes);
    }
  return values;
}

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
  const gt::dtype_info* info = nullptr;
  gt::executed_layout layout;
  // The inputs as multiplied, in the requested storage (column-major, leading dimension = stored rows).
  std::vector<double> host_a, host_b;
  device_buffer a, b, c;
  device_buffer scale_one;  // FP8: the per-tensor scale factors of A and B, one fp32 1.0
  owned_matmul_desc desc;
  owned_layout layout_a, layout_b, layout_c;
  cublasLtMatmulAlgo_t algo{};
  std::size_t algo_workspace_bytes = 0;
  int algo_id = -1;
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
  }
  // Members release the problem, the workspace, the stream and the handle, in that order; every call has
  // synchronised the stream, so nothing is in flight by then.
  ~cublaslt_gemm_backend() override = default;
  // Owns device memory, a stream and a cuBLASLt handle: a copy would free them twice.
  cublaslt_gemm_backend(const cublaslt_gemm_backend&) = delete;
  cublaslt_gemm_backend& operator=(const cublaslt_gemm_backend&) = delete;

  std::optional<std::string> unsupported_reason(std::string_view dtype) const override {
    return gt::unsupported_reason(dtype, m_major, m_minor, m_device_name);
  }

  void prepare(const gemm::gemm_shape& shape, std::string_view dtype, std::uint64_t seed) override {
    if (const auto reason = unsupported_reason(dtype)) throw std::invalid_argument(*reason);
    if (shape.m < 1 || shape.n < 1 || shape.k < 1)
      throw std::invalid_argument(
          fmt::format("gemm: m, n, k must be ≥ 1 (got {}, {}, {})", shape.m, shape.n, shape.k));
    const gt::dtype_info& info = *gt::find_dtype(dtype);
    if (info.a == gt::element_format::int8 && shape.k > gt::int8_max_k)
      throw std::invalid_argument(
          fmt::format("gemm: int8 with K = {} could overflow the int32 accumulator (|a·b| ≤ 2^14, so K ≤ {})",
                      shape.k, gt::int8_max_k));
    m_plan.reset();  // release the previous problem first: peak device memory stays one problem

    auto plan = std::make_unique<prepared_gemm>();
    plan->shape = shape;
    plan->info = &info;
    plan->layout = gt::executed_layout_for(info, shape.transa, shape.transb);
    const auto& s = shape;
    std::mt19937_64 random(seed);
    std::vector<std::byte> image;
    plan->host_a = draw_matrix(random, info, info.a, s.transa ? s.k : s.m, s.transa ? s.m : s.k,
                               plan->layout.transpose_a_on_upload, image);
    plan->a = upload(image);
    plan->host_b = draw_matrix(random, info, info.b, s.transb ? s.n : s.k, s.transb ? s.k : s.n,
                               plan->layout.transpose_b_on_upload, image);
    plan->b = upload(image);
    const std::size_t c_bytes = static_cast<std::size_t>(s.m * s.n) * gt::element_bytes(info.c);
    plan->c = allocate_device(c_bytes);
    EXACHECK_CUDA(cudaMemsetAsync(plan->c.get(), 0, c_bytes, m_stream.get()));

    // Layouts of the matrices as stored on the device, for the op cuBLASLt runs.
    const bool transa = plan->layout.transa, transb = plan->layout.transb;
    plan->layout_a = make_layout(info.a, transa ? s.k : s.m, transa ? s.m : s.k);
    plan->layout_b = make_layout(info.b, transb ? s.n : s.k, transb ? s.k : s.n);
    plan->layout_c = make_layout(info.c, s.m, s.n);

    cublasLtMatmulDesc_t desc = nullptr;
    EXACHECK_CUBLAS(cublasLtMatmulDescCreate(&desc, cublas_compute(info.compute), cuda_type(info.scale)));
    plan->desc.reset(desc);
    const cublasOperation_t op_a = transa ? CUBLAS_OP_T : CUBLAS_OP_N,
                            op_b = transb ? CUBLAS_OP_T : CUBLAS_OP_N;
    EXACHECK_CUBLAS(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_a, sizeof op_a));
    EXACHECK_CUBLAS(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_b, sizeof op_b));
    if (is_fp8(info.a)) {
      // Per-tensor scale factors (device pointers, compute type fp32) of 1: the inputs are used as drawn.
      plan->scale_one = allocate_device(sizeof(float));
      const float one = 1.0f;
      EXACHECK_CUDA(
          cudaMemcpyAsync(plan->scale_one.get(), &one, sizeof one, cudaMemcpyHostToDevice, m_stream.get()));
      const void* scale = plan->scale_one.get();
      EXACHECK_CUBLAS(
          cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &scale, sizeof scale));
      EXACHECK_CUBLAS(
          cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &scale, sizeof scale));
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
    choose_algorithm(*plan);
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));  // uploads done before the first timed run
    m_plan = std::move(plan);
  }

  std::string implementation() const override {
    const std::string library = fmt::format("cuBLASLt {} cublasLtMatmul", cublaslt_version());
    if (!m_plan) return fmt::format("{} on {}", library, m_device_name);
    const prepared_gemm& p = *m_plan;
    const gt::dtype_info& info = *p.info;
    std::string layout =
        fmt::format("op(A)={} op(B)={}", p.layout.transa ? 't' : 'n', p.layout.transb ? 't' : 'n');
    if (p.layout.transa != p.shape.transa || p.layout.transb != p.shape.transb)
      layout +=
          fmt::format(" (requested {}{}: cuBLASLt runs {} only as TN, the inputs were transposed on upload)",
                      p.shape.transa ? 't' : 'n', p.shape.transb ? 't' : 'n', info.dtype);
    return fmt::format(
        "{} {}: A {}, B {}, C {}, {}{}, {}, heuristic algorithm id {} (workspace {} of {} MiB), {}", library,
        info.dtype, gt::format_name(info.a), gt::format_name(info.b), gt::format_name(info.c),
        gt::compute_name(info.compute), p.scale_one ? ", A and B scale 1" : "", layout, p.algo_id,
        p.algo_workspace_bytes, k_workspace_bytes >> 20, m_device_name);
  }

  void run() override {
    if (!m_plan) throw std::logic_error("cublaslt_gemm: run() before prepare()");
    prepared_gemm& p = *m_plan;
    // D = C in place (same pointer and layout), beta = 0: C is only written.
    EXACHECK_CUBLAS(cublasLtMatmul(m_handle.get(), p.desc.get(), p.alpha, p.a.get(), p.layout_a.get(),
                                   p.b.get(), p.layout_b.get(), p.beta, p.c.get(), p.layout_c.get(),
                                   p.c.get(), p.layout_c.get(), &p.algo, m_workspace.get(), k_workspace_bytes,
                                   m_stream.get()));
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
  }

  correctness verify(int samples, std::uint64_t seed) const override {
    if (!m_plan) throw std::logic_error("cublaslt_gemm: verify() before prepare()");
    const prepared_gemm& p = *m_plan;
    const auto& s = p.shape;
    const std::size_t c_element = gt::element_bytes(p.info->c);
    std::vector<std::byte> c(static_cast<std::size_t>(s.m * s.n) * c_element);
    EXACHECK_CUDA(cudaMemcpyAsync(c.data(), p.c.get(), c.size(), cudaMemcpyDeviceToHost, m_stream.get()));
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
    const std::int64_t lda = s.transa ? s.k : s.m, ldb = s.transb ? s.n : s.k;
    const auto op_a = [&](std::int64_t i, std::int64_t l) -> long double {
      return p.host_a[static_cast<std::size_t>(s.transa ? l + i * lda : i + l * lda)];
    };
    const auto op_b = [&](std::int64_t l, std::int64_t j) -> long double {
      return p.host_b[static_cast<std::size_t>(s.transb ? j + l * ldb : l + j * ldb)];
    };
    const auto out_c = [&](std::int64_t i, std::int64_t j) -> long double {
      return decode(p.info->c, c.data() + static_cast<std::size_t>(i + j * s.m) * c_element);
    };
    return gemm::check_sampled_entries(s, p.info->dtype, samples, seed, op_a, op_b, out_c);
  }

  void corrupt_output_for_testing(std::int64_t i, std::int64_t j, double delta) {
    if (!m_plan || i < 0 || j < 0 || i >= m_plan->shape.m || j >= m_plan->shape.n)
      throw std::out_of_range("cublaslt_gemm: corrupt_output_for_testing outside C");
    const gt::element_format format = m_plan->info->c;
    const std::size_t bytes = gt::element_bytes(format);
    std::byte* element =
        static_cast<std::byte*>(m_plan->c.get()) + static_cast<std::size_t>(i + j * m_plan->shape.m) * bytes;
    std::byte value[8];
    EXACHECK_CUDA(cudaMemcpyAsync(value, element, bytes, cudaMemcpyDeviceToHost, m_stream.get()));
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
    encode(format, decode(format, value) + delta, value);
    EXACHECK_CUDA(cudaMemcpyAsync(element, value, bytes, cudaMemcpyHostToDevice, m_stream.get()));
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
  }

 private:
  static bool is_fp8(gt::element_format format) {
    return format == gt::element_format::fp8_e4m3 || format == gt::element_format::fp8_e5m2;
  }

  device_buffer upload(const std::vector<std::byte>& image) {
    device_buffer buffer = allocate_device(image.size());
    EXACHECK_CUDA(
        cudaMemcpyAsync(buffer.get(), image.data(), image.size(), cudaMemcpyHostToDevice, m_stream.get()));
    // The next draw overwrites `image`: a pageable copy may still be reading it.
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
    return buffer;
  }

  static owned_layout make_layout(gt::element_format format, std::int64_t rows, std::int64_t columns) {
    cublasLtMatrixLayout_t layout = nullptr;  // column-major (CUBLASLT_ORDER_COL), ld = rows: no padding
    EXACHECK_CUBLAS(cublasLtMatrixLayoutCreate(&layout, cuda_type(format), static_cast<std::uint64_t>(rows),
                                               static_cast<std::uint64_t>(columns), rows));
    return owned_layout(layout);
  }

  // The heuristic's first choice for this problem within the workspace. No choice at all means cuBLASLt has
  // no kernel for the shape; for the TN-only dtypes that is usually alignment (FP8 wants 16-byte leading
  // dimensions, INT8 IMMA multiples of 4 elements), which the message suggests.
  void choose_algorithm(prepared_gemm& plan) const {
    cublasLtMatmulPreference_t raw_preference = nullptr;
    EXACHECK_CUBLAS(cublasLtMatmulPreferenceCreate(&raw_preference));
    const owned_preference preference(raw_preference);
    const std::uint64_t workspace = k_workspace_bytes;
    EXACHECK_CUBLAS(cublasLtMatmulPreferenceSetAttribute(
        raw_preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace, sizeof workspace));
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(
        m_handle.get(), plan.desc.get(), plan.layout_a.get(), plan.layout_b.get(), plan.layout_c.get(),
        plan.layout_c.get(), raw_preference, 1, &result, &found);
    const auto& s = plan.shape;
    if (status == CUBLAS_STATUS_NOT_SUPPORTED || (status == CUBLAS_STATUS_SUCCESS && found == 0))
      throw device_error(fmt::format(
          "cuBLASLt {} has no algorithm for gemm {} M={} N={} K={} op(A)={} op(B)={} on {}{}",
          cublaslt_version(), plan.info->dtype, s.m, s.n, s.k, plan.layout.transa ? 't' : 'n',
          plan.layout.transb ? 't' : 'n', m_device_name,
          plan.info->requires_tn
              ? " (its TN kernels want 16-byte aligned leading dimensions: try K and M multiples of 16)"
              : ""));
    if (status != CUBLAS_STATUS_SUCCESS)
      throw_device_error("cuBLAS", "cublasLtMatmulAlgoGetHeuristic(...)", cublasLtGetStatusName(status),
                         __FILE__, __LINE__);
    plan.algo = result.algo;
    plan.algo_workspace_bytes = result.workspaceSize;
    std::size_t written = 0;
    EXACHECK_CUBLAS(cublasLtMatmulAlgoConfigGetAttribute(&plan.algo, CUBLASLT_ALGO_CONFIG_ID, &plan.algo_id,
                                                         sizeof plan.algo_id, &written));
  }

  int m_device = 0;
  int m_major = 0, m_minor = 0;
  std::string m_device_name;  // "CUDA device 0 (NVIDIA H100 80GB HBM3)"
  owned_handle m_handle;
  owned_stream m_stream;
  device_buffer m_workspace;
  std::unique_ptr<prepared_gemm> m_plan;  // null until prepare()
};

}  // namespace

std::unique_ptr<gemm::gemm_backend> make_gemm_backend(const run_context&) {
  return std::make_unique<cublaslt_gemm_backend>();
}

void corrupt_gemm_output_for_testing(gemm::gemm_backend& backend, std::int64_t i, std::int64_t j,
                                     double delta) {
  auto* cublaslt = dynamic_cast<cublaslt_gemm_backend*>(&backend);
  if (!cublaslt)
    throw std::invalid_argument(
        "corrupt_gemm_output_for_testing: the backend is not the cuBLASLt gemm backend");
  cublaslt->corrupt_output_for_testing(i, j, delta);
}

}  // namespace exacheck::cuda
