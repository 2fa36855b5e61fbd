#pragma once
// Backends that forward every call to another one (held as `Inner`, the interface or a concrete backend):
// tests derive from them and override only what they change (plant a wrong entry of C, pretend to be a
// device), so the wrappers keep up with each interface in one place. forwarding_flops_backend.hpp does the
// same for flops. The timed entry point (time_batch) forwards to the inner backend's: the suites run the
// operation only through it, so a test that changes what a run does overrides time_batch.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "suites/gemm/gemm_backend.hpp"
#include "suites/membw/stream_backend.hpp"

namespace exacheck::testing {

template <class Inner = gemm::gemm_backend>
class forwarding_gemm_backend : public gemm::gemm_backend {
 public:
  explicit forwarding_gemm_backend(std::unique_ptr<Inner> inner) : m_inner(std::move(inner)) {}
  std::optional<std::string> unsupported_reason(std::string_view dtype) const override {
    return m_inner->unsupported_reason(dtype);
  }
  void prepare(const gemm::gemm_shape& shape, std::string_view dtype, std::uint64_t seed,
               const gemm::gemm_options& options) override {
    m_inner->prepare(shape, dtype, seed, options);
  }
  std::optional<std::string> fast_accum_unsupported_reason(std::string_view dtype) const override {
    return m_inner->fast_accum_unsupported_reason(dtype);
  }
  std::string implementation() const override { return m_inner->implementation(); }
  std::optional<std::string> algorithm() const override { return m_inner->algorithm(); }
  std::vector<std::string> warnings() const override { return m_inner->warnings(); }
  void run() override { m_inner->run(); }
  batch_time time_batch(int calls) override { return m_inner->time_batch(calls); }
  correctness verify(int samples, std::uint64_t seed) const override {
    return m_inner->verify(samples, seed);
  }

 protected:
  Inner& inner() { return *m_inner; }
  const Inner& inner() const { return *m_inner; }

 private:
  std::unique_ptr<Inner> m_inner;
};

template <class Inner = membw::stream_backend>
class forwarding_stream_backend : public membw::stream_backend {
 public:
  explicit forwarding_stream_backend(std::unique_ptr<Inner> inner) : m_inner(std::move(inner)) {}
  std::optional<std::string> unsupported_reason(std::string_view dtype) const override {
    return m_inner->unsupported_reason(dtype);
  }
  void init_arrays(std::size_t n, std::string_view dtype, double a0, double b0, double c0) override {
    m_inner->init_arrays(n, dtype, a0, b0, c0);
  }
  void copy() override { m_inner->copy(); }
  void scale(double scalar) override { m_inner->scale(scalar); }
  void add() override { m_inner->add(); }
  void triad(double scalar) override { m_inner->triad(scalar); }
  double dot() override { return m_inner->dot(); }
  membw::stream_batch time_batch(membw::stream_kernel kernel, int calls, double scalar) override {
    return m_inner->time_batch(kernel, calls, scalar);
  }
  void read_arrays(std::vector<double>& a, std::vector<double>& b, std::vector<double>& c) const override {
    m_inner->read_arrays(a, b, c);
  }
  std::string implementation() const override { return m_inner->implementation(); }
  std::optional<std::pair<std::uint64_t, std::string>> auto_array_bytes() const override {
    return m_inner->auto_array_bytes();
  }

 protected:
  Inner& inner() { return *m_inner; }
  const Inner& inner() const { return *m_inner; }

 private:
  std::unique_ptr<Inner> m_inner;
};

}  // namespace exacheck::testing
