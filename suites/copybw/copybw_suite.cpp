#include "suites/copybw/copybw_suite.hpp"

#include "harness/core/backends.hpp"
#include "suites/copybw/copybw.hpp"
#include "suites/copybw/copybw_simulate.hpp"

namespace exacheck {
namespace {
using namespace membw;

class copybw_suite final : public suite_with_backends<copy_backend> {
 public:
  std::vector<std::string> benchmarks() const override { return {"copybw"}; }
  std::string description(std::string_view) const override { return copybw_description(); }
  std::vector<param_spec> parameters(std::string_view) const override { return copybw_parameters(); }
  std::vector<metric_spec> metrics(std::string_view) const override { return copybw_metrics(); }

  std::vector<point_result> run(const run_context& ctx, std::string_view,
                                const param_values& params) override {
    const std::unique_ptr<copy_backend> backend = make_backend<copy_backend>(ctx, "copybw");
    return run_copybw(ctx, params, *backend);
  }

  std::vector<point_result> simulate(const simulation_input& in) const override {
    return simulate_copybw(in);
  }
};

}  // namespace

std::unique_ptr<suite> make_copybw_suite() {
  return std::make_unique<copybw_suite>();
}

}  // namespace exacheck
