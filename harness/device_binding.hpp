#pragma once
// Which GPU a rank uses (issue 3, item 2). Pure logic: the worker passes in its node-local rank (from the MPI
// shared-memory split) and the number of GPUs CUDA shows it, so every rule here is testable without a GPU.
#include <optional>
#include <string>

namespace exacheck {

struct gpu_binding {
  int device_index = 0;     // CUDA device ordinal among the visible GPUs, for cudaSetDevice
  int ranks_on_device = 1;  // local ranks that share this GPU (more than 1 only with sharing allowed)
};

// CUDA_VISIBLE_DEVICES as this process sees it; nullopt when unset.
std::optional<std::string> cuda_visible_devices_setting();

// Local rank r of n uses GPU r; with more ranks than GPUs and sharing allowed, GPU r % visible_gpus
// (round-robin, so the ranks spread evenly). Throws std::runtime_error, with a message that says what to
// change, when there are more ranks than GPUs without sharing, when no GPU is visible (naming
// CUDA_VISIBLE_DEVICES when it is set), or when the arguments are inconsistent.
gpu_binding choose_gpu(
    int local_rank, int local_ranks, int visible_gpus, bool allow_sharing,
    const std::optional<std::string>& cuda_visible_devices = cuda_visible_devices_setting());

// How many GPUs CUDA_VISIBLE_DEVICES lets CUDA see: -1 when it is unset (not restricted: ask the driver),
// 0 for "" or a list that starts with an invalid entry such as "-1", otherwise the entries before the
// first invalid one ("0,1" → 2, "GPU-8a1…,GPU-77c…" → 2, "0,-1,1" → 1), as CUDA itself stops there.
int visible_gpu_count(const std::optional<std::string>& cuda_visible_devices);
int visible_gpu_count_from_env();

}  // namespace exacheck
