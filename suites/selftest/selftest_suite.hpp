#pragma once
#include <memory>

#include "harness/core/suite.hpp"

namespace exacheck {
// `selftest`: checks the harness itself on a cluster — does a time-out stop a hung rank, does a crash become
// ERROR, does a wrong answer become INCORRECT? Measures a tiny host loop; misbehaves only when asked to.
std::unique_ptr<suite> make_selftest_suite();
}  // namespace exacheck
