#pragma once
// Which GPU a rank uses. Pure logic: the worker passes in its
// node-local rank (from the MPI shared-memory split), every local rank's CUDA_VISIBLE_DEVICES (gathered over
// that split) and the number of GPUs CUDA shows it, so every rule here is testable without a GPU.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/enum_names.hpp"

namespace exacheck {

// How a node's ranks were given their GPUs, recorded in each rank's device record as "binding".
enum class gpu_binding_mode {
  shared_visible_set,  // every local rank sees the same GPUs: local rank r uses GPU r (r % visible with
                       // sharing)
  per_task,  // every local rank sees GPUs of its own (srun --gpus-per-task, --gpu-bind): its device 0
};
inline constexpr std::array<enum_name<gpu_binding_mode>, 2> gpu_binding_mode_names{
    {{gpu_binding_mode::shared_visible_set, "shared_visible_set"}, {gpu_binding_mode::per_task, "per_task"}}};
std::string_view to_string(gpu_binding_mode mode);

struct gpu_binding {
  int device_index = 0;     // CUDA device ordinal among the visible GPUs, for cudaSetDevice
  int ranks_on_device = 1;  // local ranks that share this GPU (more than 1 only with sharing allowed)
  gpu_binding_mode mode = gpu_binding_mode::shared_visible_set;
};

// Every local rank's CUDA_VISIBLE_DEVICES, indexed by local rank; nullopt where it is unset.
using visible_device_settings = std::vector<std::optional<std::string>>;

// CUDA_VISIBLE_DEVICES as this process sees it; nullopt when unset.
std::optional<std::string> cuda_visible_devices_setting();

// Local rank r of n uses GPU r; with more ranks than GPUs and sharing allowed, GPU r % visible_gpus
// (round-robin, so the ranks spread evenly). Throws std::runtime_error, with a message that says what to
// change, when there are more ranks than GPUs without sharing, when no GPU is visible (naming
// CUDA_VISIBLE_DEVICES when it is set), or when the arguments are inconsistent.
gpu_binding choose_gpu(
    int local_rank, int local_ranks, int visible_gpus, bool allow_sharing,
    const std::optional<std::string>& cuda_visible_devices = cuda_visible_devices_setting());

// The binding of local rank `local_rank` of the node `host`, from what every local rank sees:
// - every rank's CUDA_VISIBLE_DEVICES lists the same GPUs (the usual case, unset on every rank included):
//   choose_gpu above, mode shared_visible_set;
// - every rank's lists GPUs no other rank lists ("0", "1", … or one UUID each, as Slurm's per-task binding
//   sets them): each rank uses its own device 0, ranks_on_device 1, mode per_task;
// - anything else (lists that overlap in part, a rank that sees no GPU or every GPU while another is
//   restricted) throws std::runtime_error naming the host, the clashing local ranks and every setting.
// `visible_gpus` is the count CUDA reports to this rank; settings.size() is the node's rank count.
gpu_binding choose_gpu_on_node(int local_rank, const visible_device_settings& settings, int visible_gpus,
                               bool allow_sharing, std::string_view host);

// Checks a binding against the GPUs the ranks really got: `device_ids` (indexed by local rank) identify each
// rank's GPU (its UUID and PCI bus id, as the worker writes them; MIG instances of one GPU differ by UUID).
// Two settings that look different can name one GPU ("0" and that GPU's UUID). Returns `binding` with
// ranks_on_device set to the local ranks whose id is this rank's; throws std::runtime_error naming the host,
// the ranks and the GPU when that is more than one without allow_sharing. Empty ids (unknown) are not
// compared.
gpu_binding confirm_gpu_binding(gpu_binding binding, int local_rank,
                                const std::vector<std::string>& device_ids, bool allow_sharing,
                                std::string_view host);

// How many GPUs CUDA_VISIBLE_DEVICES lets CUDA see: -1 when it is unset (not restricted: ask the driver),
// 0 for "" or a list that starts with an invalid entry such as "-1", otherwise the entries before the
// first invalid one ("0,1" → 2, "GPU-8a1…,GPU-77c…" → 2, "0,-1,1" → 1), as CUDA itself stops there.
int visible_gpu_count(const std::optional<std::string>& cuda_visible_devices);
int visible_gpu_count_from_env();

}  // namespace exacheck
