#pragma once
// A planted wrong answer for the collective benchmarks: the real backend, with one output element changed.
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "suites/collectives/collective_backend.hpp"

namespace exacheck::testing {

inline constexpr std::size_t k_fault_index = 3;

class faulty_backend final : public collectives::collective_backend {
 public:
  faulty_backend(std::unique_ptr<collectives::collective_backend> inner, bool faulty)
      : m_inner(std::move(inner)), m_faulty(faulty) {}
  std::string name() const override { return m_inner->name(); }
  std::string library_version() const override { return m_inner->library_version(); }
  std::size_t max_elements() const override { return m_inner->max_elements(); }
  std::optional<std::string> cannot_run(const collectives::collective_layout& layout) const override {
    return m_inner->cannot_run(layout);
  }
  std::vector<std::string> notes(const collectives::collective_layout& layout) const override {
    return m_inner->notes(layout);
  }
  bool supports_graphs() const override { return m_inner->supports_graphs(); }
  void prepare(const collectives::collective_layout& layout) override { m_inner->prepare(layout); }
  void write_input(std::span<const double> values) override { m_inner->write_input(values); }
  void fill_output(double value) override { m_inner->fill_output(value); }
  std::vector<double> read_output() override {
    auto output = m_inner->read_output();
    if (m_faulty && output.size() > k_fault_index) output[k_fault_index] += 1;
    return output;
  }
  void run() override { m_inner->run(); }
  batch_time time_batch(int calls, bool graph) override { return m_inner->time_batch(calls, graph); }

 private:
  std::unique_ptr<collectives::collective_backend> m_inner;
  bool m_faulty;
};

}  // namespace exacheck::testing
