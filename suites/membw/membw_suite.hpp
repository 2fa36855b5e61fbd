#pragma once
// The membw suite, two benchmarks. `membw`: STREAM copy, scale, add, triad and dot per rank (kernels behind
// stream_backend.hpp), bandwidth = bytes counted by STREAM / best time excluding the first iteration,
// verified by scalar replay (stream_oracle.hpp), arrays sized past the last-level cache (membw_sizing.hpp).
// `copybw`: copy-engine bandwidth h2d, d2h, d2d and the node's p2p matrix (copybw.hpp, behind
// copy_backend.hpp).
#include <functional>
#include <memory>

#include "harness/core/suite.hpp"
#include "suites/copybw/copy_backend.hpp"
#include "suites/membw/stream_backend.hpp"

namespace exacheck {

// The suite with the backend chosen by ctx.backend (membw::make_stream_backend).
std::unique_ptr<suite> make_membw_suite();

using stream_backend_factory = std::function<std::unique_ptr<membw::stream_backend>(const run_context&)>;
// The same suite with another backend factory (tests: plant a wrong answer).
std::unique_ptr<suite> make_membw_suite(stream_backend_factory factory);
// The same suite with another copybw backend factory (tests: plant a wrong byte).
std::unique_ptr<suite> make_membw_suite_with_copy_backend(membw::copy_backend_factory factory);

}  // namespace exacheck
