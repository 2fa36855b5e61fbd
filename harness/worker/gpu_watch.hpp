#pragma once
// The GPU side of a worker rank: binding the rank to its GPU, and watching that GPU (NVML clocks,
// temperature, power, clock-event reasons, ECC) before, during and after the case, so every result says what
// the device did.
#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "harness/core/suite.hpp"
#include "harness/worker/nvml.hpp"

namespace exacheck {

// Picks this rank's GPU from its local rank and every local rank's CUDA_VISIBLE_DEVICES (choose_gpu_on_node,
// confirmed by the bus ids the ranks got: confirm_gpu_binding), makes it current, and describes it: the CUDA
// runtime's view (name, UUID, PCI bus id, compute capability), NVML's serial number where NVML is there,
// ranks_on_device and binding ("shared_visible_set" or "per_task"). Collective over `node_comm` (the ranks
// of this node). Throws with the reason when the node has too few GPUs or its ranks' GPU sets clash.
nlohmann::json bind_rank_to_gpu(const run_context& ctx, MPI_Comm node_comm, bool allow_sharing);

// Samples one GPU through NVML from construction until finish(): one sample before, one every `period_s`
// during (at most `max_samples`), one after. Without NVML the telemetry says why it is unavailable.
class gpu_telemetry {
 public:
  gpu_telemetry(const std::string& pci_bus_id, double period_s = 0.5, std::size_t max_samples = 2000);
  ~gpu_telemetry();
  // Owns a sampling thread: a copy would join it twice.
  gpu_telemetry(const gpu_telemetry&) = delete;
  gpu_telemetry& operator=(const gpu_telemetry&) = delete;

  // Stops sampling; {"before", "during", "after", "nvml_index"} or {"unavailable": reason}. Call once.
  nlohmann::json finish();

 private:
  std::optional<nvml_session> m_nvml;
  int m_index = -1;
  std::string m_unavailable;
  nlohmann::json m_before, m_during = nlohmann::json::array();
  std::atomic<bool> m_stop{false};
  std::thread m_sampler;
};

// NVML writes bus ids as "00000000:3B:00.0", CUDA as "0000:3b:00.0": equal when domain, bus, device and
// function match as numbers. The domain counts: GPUs of one node may differ only by it (0009:01:00.0 and
// 0019:01:00.0 on some Grace and multi-root systems). An id without a domain ("3b:00.0") is in domain 0.
// Ids that do not parse are equal only when they are the same text, ignoring case; an empty id never is.
bool same_pci_device(const std::string& a, const std::string& b);

}  // namespace exacheck
