#pragma once
// Compiled only in a build with CUDA (kernels/cuda/CMakeLists.txt); kernels/register_backends.cpp calls it
// only there.

namespace exacheck {

// Adds the CUDA kernel of every suite interface to core's backend table as "cuda", and installs the CUDA
// runtime as core's GPU runtime (harness/node/gpu_runtime.hpp). Once per process.
void register_cuda_backends();

}  // namespace exacheck
