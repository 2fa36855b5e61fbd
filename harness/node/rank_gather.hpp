#pragma once
// What every rank of a communicator must know of every other before it decides alone: which GPUs the ranks of
// a node see (device_binding.hpp), which GPU each rank was given. Collective calls: every rank of `comm`
// calls them together.
#include <mpi.h>

#include <string>
#include <vector>

#include "harness/node/device_binding.hpp"

namespace exacheck {

// Every rank's `mine`, on every rank, indexed by rank in `comm` (any length, any bytes).
std::vector<std::string> allgather_text(MPI_Comm comm, const std::string& mine);

// Every rank's CUDA_VISIBLE_DEVICES (nullopt where unset), on every rank, indexed by rank in `comm`: with the
// node's communicator, the settings choose_gpu_on_node decides from.
visible_device_settings allgather_visible_device_settings(MPI_Comm comm);

}  // namespace exacheck
