#pragma once
// The controller's pre-flight for GPUs: a case whose ranks on this node need more GPUs
// than the node shows is refused before anything runs, all such cases named in one message with what to do,
// rather than each launch starting its ranks only for device binding (harness/node/device_binding.hpp) to
// refuse them one case after another. Pure logic with the GPU count and the environment passed in, so that
// every rule is testable without a GPU.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/controller/environment.hpp"
#include "harness/plan/plan.hpp"

namespace exacheck {

// Whether a launch with `launcher` starts its ranks on the controller's own node, so that the GPUs the
// controller sees are the ones its ranks bind to: `local` always; `mpirun` unless a batch allocation or a
// default hostfile can spread it over other nodes (a Slurm allocation of more than one node, PBS, LSF, Open
// MPI's default hostfile); `srun` never: the controller may run on a login or batch node that is not the
// compute node, and Slurm may bind GPUs per task (--gpus-per-task), so what the controller counts says
// nothing there.
bool launch_stays_on_this_node(const std::string& launcher,
                               const environment_lookup& environment = process_environment);

// A case of the plan (all its launches) whose ranks on this node exceed the GPUs visible here.
struct gpu_shortfall {
  std::string case_name;
  std::string
      backend;  // as the plan or --backend asked for it: "cuda", or "auto" (cuda where a GPU is visible)
  int ranks_on_node = 0;
  int launches = 0;
};

// The cases that resolve to the cuda backend on this node (backend cuda, or auto with `visible_gpus` > 0),
// run on this node (launch_stays_on_this_node), do not allow GPU sharing, and put more ranks on the node
// (ranks_per_node when set, else ranks) than `visible_gpus`; in the plan's order, one entry per case name.
std::vector<gpu_shortfall> find_gpu_shortfalls(const std::vector<expanded_case>& cases, int visible_gpus,
                                               const environment_lookup& environment = process_environment);

// The usage error's text: every case with its ranks, the GPUs visible (and CUDA_VISIBLE_DEVICES when set),
// and the ways out: `one_gpu_plan` (the path of the shipped one-GPU plan; "" when the plan is that one),
// fewer ranks, allow_gpu_sharing, or the cpu backend.
std::string gpu_shortfall_message(const std::string& plan_name, const std::vector<gpu_shortfall>& shortfalls,
                                  int visible_gpus, const std::optional<std::string>& cuda_visible_devices,
                                  const std::string& one_gpu_plan);

// The GPUs the controller sees, as a worker's device binding counts them: the CUDA runtime's device count
// (honouring CUDA_VISIBLE_DEVICES; 0 in a build without CUDA). For tests only, EXACHECK_TEST_VISIBLE_GPUS
// (a count) replaces it, so that a CPU-only build can stand in for a GPU node.
int controller_visible_gpus(const environment_lookup& environment = process_environment);

// Throws usage_error (exit 2) with gpu_shortfall_message when find_gpu_shortfalls finds any case; asks for
// the GPU count only when some case could need one.
void refuse_cases_short_of_gpus(const plan& p, const std::vector<expanded_case>& cases,
                                const environment_lookup& environment = process_environment);

}  // namespace exacheck
