// The one place suites are registered: a new benchmark family adds one line here.
#include "harness/core/registry.hpp"

#include "suites/collectives/collectives_suite.hpp"
#include "suites/copybw/copybw_suite.hpp"
#include "suites/flops/flops_suite.hpp"
#include "suites/gemm/gemm_suite.hpp"
#include "suites/membw/membw_suite.hpp"
#include "suites/selftest/selftest_suite.hpp"

namespace exacheck {

const registry& registry::instance() {
  static const registry all = [] {
    registry r;
    register_all_suites(r);
    return r;
  }();
  return all;
}

void register_all_suites(registry& r) {
  r.add(make_gemm_suite());
  r.add(make_collectives_suite());
  r.add(make_membw_suite());
  r.add(make_copybw_suite());
  r.add(make_flops_suite());
  r.add(make_selftest_suite());
}

}  // namespace exacheck
