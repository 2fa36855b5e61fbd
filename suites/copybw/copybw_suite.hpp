#pragma once
// The copybw suite: copy bandwidth through the copy engines, h2d, d2h, d2d and the node's p2p matrix
// (copybw.hpp; kernels behind copy_backend.hpp).
#include <memory>

#include "harness/core/suite.hpp"

namespace exacheck {

// The suite; its kernels are the backend table's membw::copy_backend named by ctx.backend
// (harness/core/backends.hpp).
std::unique_ptr<suite> make_copybw_suite();

}  // namespace exacheck
