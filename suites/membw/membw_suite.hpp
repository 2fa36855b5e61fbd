#pragma once
// The membw suite, two benchmarks. `membw`: STREAM copy, scale, add, triad and dot per rank (kernels behind
// stream_backend.hpp), bandwidth = bytes counted by STREAM / best time excluding the first iteration,
// verified by scalar replay (stream_oracle.hpp), arrays sized past the last-level cache (membw_sizing.hpp).
// `copybw`: copy-engine bandwidth h2d, d2h, d2d and the node's p2p matrix (copybw.hpp, behind
// copy_backend.hpp).
#include <memory>

#include "harness/core/suite.hpp"
#include "suites/copybw/copy_backend.hpp"
#include "suites/membw/stream_backend.hpp"

namespace exacheck {

// The suite; its kernels are the backend table's membw::stream_backend and membw::copy_backend named by
// ctx.backend (harness/core/backends.hpp).
std::unique_ptr<suite> make_membw_suite();

}  // namespace exacheck
