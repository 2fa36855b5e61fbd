#include "harness/core/rank_agreement.hpp"

#include <mpi.h>

namespace exacheck {
namespace {
stop_agreement reduce_with(const run_context& ctx, MPI_Op op) {
  if (!mpi_active(ctx)) return {};
  return [comm = ctx.comm, op](bool wants_to_stop) {
    int mine = wants_to_stop ? 1 : 0, agreed = 0;
    MPI_Allreduce(&mine, &agreed, 1, MPI_INT, op, comm);
    return agreed != 0;
  };
}
}  // namespace

bool mpi_active(const run_context& ctx) {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return ctx.ranks > 1 && initialized && !finalized;
}

stop_agreement stop_when_every_rank_is_done(const run_context& ctx) {
  return reduce_with(ctx, MPI_LAND);
}

stop_agreement stop_when_any_rank_must(const run_context& ctx) {
  return reduce_with(ctx, MPI_LOR);
}

stop_agreement follow_rank_zero(const run_context& ctx) {
  if (!mpi_active(ctx)) return {};
  return [comm = ctx.comm](bool wants_to_stop) {
    int stop = wants_to_stop ? 1 : 0;
    MPI_Bcast(&stop, 1, MPI_INT, 0, comm);
    return stop != 0;
  };
}

batch_agreement batch_size_of_rank_zero(const run_context& ctx) {
  if (!mpi_active(ctx)) return {};
  return [comm = ctx.comm](int proposed_iterations) {
    int iterations = proposed_iterations;
    MPI_Bcast(&iterations, 1, MPI_INT, 0, comm);
    return iterations;
  };
}

}  // namespace exacheck
