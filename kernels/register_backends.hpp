#pragma once
// The one call that fills core's backend table (harness/core/backends.hpp) and GPU runtime: the CLI's entry
// and every test program's main make it before anything runs a suite. An explicit call, not self-registering
// objects, because a static library drops objects nothing refers to.

namespace exacheck {

// Registers the CPU backends, and the CUDA ones in a build with CUDA. Calling it again does nothing.
void register_backends();

}  // namespace exacheck
