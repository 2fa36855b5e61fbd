#pragma once
// A flops backend that forwards every call to another one: tests derive from it and override only what they
// change (plant a wrong chain value, pretend to be a GPU), so the wrappers keep up with the interface in one
// place.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "suites/flops/flops_backend.hpp"

namespace exacheck::testing {

class forwarding_flops_backend : public flops::flops_backend {
 public:
  explicit forwarding_flops_backend(std::unique_ptr<flops::flops_backend> inner)
      : m_inner(std::move(inner)) {}
  std::string resolve_engine(std::string_view dtype, std::string_view requested) const override {
    return m_inner->resolve_engine(dtype, requested);
  }
  std::optional<std::string> unsupported_reason(std::string_view dtype,
                                                std::string_view engine) const override {
    return m_inner->unsupported_reason(dtype, engine);
  }
  void prepare(std::string_view dtype, std::string_view engine, std::uint64_t steps) override {
    m_inner->prepare(dtype, engine, steps);
  }
  std::string implementation() const override { return m_inner->implementation(); }
  int threads() const override { return m_inner->threads(); }
  double flops_per_run() const override { return m_inner->flops_per_run(); }
  void run() override { m_inner->run(); }
  batch_time time_batch(int runs) override { return m_inner->time_batch(runs); }
  std::optional<flops::run_clock> last_run_clock() const override { return m_inner->last_run_clock(); }
  std::optional<std::string> last_run_instruction() const override { return m_inner->last_run_instruction(); }
  flops::chain_results results() const override { return m_inner->results(); }

 protected:
  flops::flops_backend& inner() { return *m_inner; }
  const flops::flops_backend& inner() const { return *m_inner; }

 private:
  std::unique_ptr<flops::flops_backend> m_inner;
};

}  // namespace exacheck::testing
