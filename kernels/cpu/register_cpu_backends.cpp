#include "kernels/cpu/register_cpu_backends.hpp"

#include <memory>

#include "harness/core/backends.hpp"
#include "kernels/cpu/cpu_copy.hpp"
#include "kernels/cpu/cpu_fma.hpp"
#include "kernels/cpu/cpu_gemm.hpp"
#include "kernels/cpu/cpu_stream.hpp"
#include "kernels/cpu/mpi_collectives.hpp"

namespace exacheck {

void register_cpu_backends() {
  // OpenBLAS with the rank's threads.
  add_backend<gemm::gemm_backend>(
      "cpu", [](const run_context& ctx) { return std::make_unique<gemm::cpu_gemm_backend>(ctx.threads); });
  // MPI on a duplicate of the case's communicator.
  add_backend<collectives::collective_backend>("cpu", [](const run_context& ctx) {
    return std::make_unique<collectives::mpi_collective_backend>(ctx.comm);
  });
  // OpenMP threads pinned by local rank: ranks of a node share its memory and cores.
  add_backend<membw::stream_backend>("cpu", [](const run_context& ctx) {
    return std::make_unique<membw::cpu_stream_backend>(ctx.threads, ctx.local_rank);
  });
  add_backend<membw::copy_backend>("cpu", [](const run_context& ctx) {
    return std::make_unique<membw::cpu_copy_backend>(ctx.threads, ctx.local_rank);
  });
  add_backend<flops::flops_backend>("cpu", [](const run_context& ctx) {
    return std::make_unique<flops::cpu_fma_backend>(ctx.threads, ctx.local_rank);
  });
}

}  // namespace exacheck
