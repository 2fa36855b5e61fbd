#pragma once
// How the ranks of one case agree on when to stop measuring (see measure.hpp's stop_agreement) and on the
// size of their batches (batch_agreement): every rank must run the same number of iterations, or one is left
// waiting in a collective.
#include "harness/core/measure.hpp"
#include "harness/core/suite.hpp"

namespace exacheck {

// True when this case runs on several ranks with MPI up (false for in-process tests and single ranks).
bool mpi_active(const run_context& ctx);

// Stop once every rank is done (the ranks keep loading the node until the last one finishes: gemm, flops).
stop_agreement stop_when_every_rank_is_done(const run_context& ctx);
// Stop as soon as one rank must (e.g. it hit max_time: membw).
stop_agreement stop_when_any_rank_must(const run_context& ctx);
// Rank 0 decides, every rank follows (collectives).
stop_agreement follow_rank_zero(const run_context& ctx);
// Rank 0's batch size for every rank (collectives; ranks that start each batch together: membw, copybw).
batch_agreement batch_size_of_rank_zero(const run_context& ctx);

}  // namespace exacheck
