#pragma once
// The membw suite: STREAM copy, scale, add, triad and dot per rank (kernels behind stream_backend.hpp),
// bandwidth = bytes counted by STREAM / best time excluding the first iteration, verified by scalar replay
// (stream_oracle.hpp), arrays sized past the last-level cache (membw_sizing.hpp). Copy-engine bandwidth is
// its own suite: suites/copybw.
#include <memory>

#include "harness/core/suite.hpp"
#include "suites/membw/stream_backend.hpp"

namespace exacheck {

// The suite; its kernels are the backend table's membw::stream_backend named by ctx.backend
// (harness/core/backends.hpp).
std::unique_ptr<suite> make_membw_suite();

}  // namespace exacheck
