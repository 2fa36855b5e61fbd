#pragma once
// The collectives suite: allreduce, allgather, reduce_scatter, broadcast, reduce, alltoall, sendrecv — a
// message size sweep inside one worker launch, nccl-tests' algbw/busbw formulas (collective_formulas.hpp),
// every element of every size checked against inputs whose exact result is known.
#include <memory>

#include "harness/core/suite.hpp"
#include "suites/collectives/collective_backend.hpp"

namespace exacheck {

// The suite; its kernels are the backend table's collectives::collective_backend named by ctx.backend
// (harness/core/backends.hpp).
std::unique_ptr<suite> make_collectives_suite();

}  // namespace exacheck
