#pragma once
// EXACHECK_MPI(call): a failing MPI call throws std::runtime_error naming the call, file:line, host, rank and
// MPI's error text (DESIGN.md "Conventions"), for communicators set to MPI_ERRORS_RETURN. The CUDA, cuBLAS
// and NCCL counterparts live with the CUDA kernels (kernels/cuda/cuda_check.hpp), which need those headers.

namespace exacheck {

// Throws when `status` is not MPI_SUCCESS; `call` is the call's text.
void check_mpi(int status, const char* call, const char* file, int line);

}  // namespace exacheck

#define EXACHECK_MPI(call) ::exacheck::check_mpi((call), #call, __FILE__, __LINE__)
