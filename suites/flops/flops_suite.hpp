#pragma once
// The `flops` suite: peak floating-point throughput per precision, from independent FMA chains in registers
// on every thread of every rank (fma_chain.hpp: the chains and their scalar oracle; flops_backend.hpp: the
// kernels).
#include <functional>
#include <memory>

#include "harness/core/suite.hpp"
#include "suites/flops/flops_backend.hpp"

namespace exacheck {

// The suite with the backend chosen by ctx.backend (flops::make_flops_backend).
std::unique_ptr<suite> make_flops_suite();

using flops_backend_factory = std::function<std::unique_ptr<flops::flops_backend>(const run_context&)>;
// The same suite with another backend factory (tests: force a kernel, plant a wrong answer).
std::unique_ptr<suite> make_flops_suite(flops_backend_factory factory);

}  // namespace exacheck
