#pragma once
// The `flops` suite: peak floating-point throughput per precision, from independent FMA chains in registers
// on every thread of every rank (fma_chain.hpp: the chains and their scalar oracle; flops_backend.hpp: the
// kernels).
#include <memory>

#include "harness/core/suite.hpp"
#include "suites/flops/flops_backend.hpp"

namespace exacheck {

// The suite; its kernels are the backend table's flops::flops_backend named by ctx.backend
// (harness/core/backends.hpp).
std::unique_ptr<suite> make_flops_suite();

}  // namespace exacheck
