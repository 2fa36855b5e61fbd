#pragma once
// The collectives suite: allreduce, allgather, reduce_scatter, broadcast, reduce, alltoall, sendrecv — a
// message size sweep inside one worker launch, nccl-tests' algbw/busbw formulas (collective_formulas.hpp),
// every element of every size checked against inputs whose exact result is known.
#include <memory>

#include "harness/core/suite.hpp"
#include "suites/collectives/collective_backend.hpp"

namespace exacheck {

// The suite with the backend chosen by ctx.backend (collectives::make_collective_backend).
std::unique_ptr<suite> make_collectives_suite();

// The same suite with another backend factory: tests wrap the real backend, e.g. to plant a wrong answer.
std::unique_ptr<suite> make_collectives_suite(collectives::collective_backend_factory factory);

}  // namespace exacheck
