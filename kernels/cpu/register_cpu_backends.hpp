#pragma once

namespace exacheck {

// Adds the CPU kernel of every suite interface to core's backend table as "cpu"
// (kernels/register_backends.cpp calls it). Once per process.
void register_cpu_backends();

}  // namespace exacheck
