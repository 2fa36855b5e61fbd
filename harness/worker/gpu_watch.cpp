#include "harness/worker/gpu_watch.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <optional>

#include "harness/node/device_binding.hpp"
#include "harness/node/gpu_runtime.hpp"
#include "harness/node/rank_gather.hpp"

namespace exacheck {
namespace {
// domain:bus:device.function as numbers, or nullopt when `id` is not a PCI address.
std::optional<std::array<unsigned long, 4>> pci_address(const std::string& id) {
  std::array<unsigned long, 4> parts{};
  std::string text = id;
  if (std::count(text.begin(), text.end(), ':') == 1) text = "0:" + text;  // no domain: domain 0
  const auto dot = text.rfind('.');
  const auto first = text.find(':'), second = text.find(':', first + 1);
  if (dot == std::string::npos || second == std::string::npos || dot < second) return std::nullopt;
  const std::string fields[4] = {text.substr(0, first), text.substr(first + 1, second - first - 1),
                                 text.substr(second + 1, dot - second - 1), text.substr(dot + 1)};
  for (int i = 0; i < 4; ++i) {
    if (fields[i].empty() || fields[i].size() > 8 ||
        !std::all_of(fields[i].begin(), fields[i].end(), [](unsigned char c) { return std::isxdigit(c); }))
      return std::nullopt;
    parts[i] = std::stoul(fields[i], nullptr, 16);
  }
  return parts;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

int nvml_index_of(const nvml_session& nvml, const std::string& pci_bus_id) {
  for (int i = 0; i < nvml.device_count(); ++i) {
    const auto identity = nvml.identity(i);
    if (identity.pci_bus_id && same_pci_device(*identity.pci_bus_id, pci_bus_id)) return i;
  }
  return -1;
}
}  // namespace

bool same_pci_device(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return false;
  const auto address_a = pci_address(a), address_b = pci_address(b);
  if (address_a && address_b) return *address_a == *address_b;
  return lower(a) == lower(b);
}

nlohmann::json bind_rank_to_gpu(const run_context& ctx, MPI_Comm node_comm, bool allow_sharing) {
  std::string why_not;
  const int visible = gpus().device_count(&why_not);
  if (visible == 0)
    throw std::runtime_error(fmt::format("no GPU for rank {} on {}: {}", ctx.rank, ctx.host, why_not));
  // Every local rank decides from what every local rank sees, so all reach the same rule (a shared visible
  // set, or Slurm's per-task binding) and fail together when it is neither. What a rank sees is compared by
  // the GPUs' UUIDs, not by the text of CUDA_VISIBLE_DEVICES: under Slurm's device cgroups every task is
  // given "0", each for a different GPU.
  std::string seen;
  for (int index = 0; index < visible; ++index)
    seen += (index ? "," : "") + gpus().device_properties(index).value("uuid", std::to_string(index));
  visible_device_settings by_identity;
  for (auto& text : allgather_text(node_comm, seen)) by_identity.emplace_back(std::move(text));
  // Gathered on every rank (a collective), shown only when binding fails: what the user set.
  const visible_device_settings settings = allgather_visible_device_settings(node_comm);
  gpu_binding binding;
  try {
    binding = choose_gpu_on_node(ctx.local_rank, by_identity, visible, allow_sharing, ctx.host);
  } catch (const std::runtime_error& error) {
    std::string set;
    for (std::size_t r = 0; r < settings.size(); ++r)
      set += fmt::format("{}local rank {}: {}", r ? "; " : "", r,
                         settings[r] ? fmt::format("'{}'", *settings[r]) : std::string("unset"));
    throw std::runtime_error(
        fmt::format("{} (GPUs named by UUID; CUDA_VISIBLE_DEVICES of each: {})", error.what(), set));
  }
  gpus().select_device(binding.device_index);
  nlohmann::json device = gpus().device_properties(binding.device_index);
  // UUID and bus id: "0" and GPU 0's UUID are one GPU, two MIG instances of one GPU are two.
  const std::string device_id =
      fmt::format("{} at {}", device.value("uuid", "?"), device.value("pci_bus_id", "?"));
  binding = confirm_gpu_binding(binding, ctx.local_rank, allgather_text(node_comm, device_id), allow_sharing,
                                ctx.host);
  device["ranks_on_device"] = binding.ranks_on_device;
  device["binding"] = std::string(to_string(binding.mode));
  // NVML numbers GPUs in PCI order and ignores CUDA_VISIBLE_DEVICES: match by bus id, not by index.
  std::string nvml_missing;
  if (auto nvml = nvml_session::open(&nvml_missing)) {
    const int index = nvml_index_of(*nvml, device.value("pci_bus_id", ""));
    if (index >= 0) {
      nlohmann::json identity = nvml->identity(index);
      device["serial"] = identity.value("serial", nlohmann::json(nullptr));
      device["driver"] = nvml->driver_version();
    }
  } else {
    device["serial"] = nullptr;
  }
  return device;
}

gpu_telemetry::gpu_telemetry(const std::string& pci_bus_id, double period_s, std::size_t max_samples) {
  m_nvml = nvml_session::open(&m_unavailable);
  if (!m_nvml) return;
  m_index = nvml_index_of(*m_nvml, pci_bus_id);
  if (m_index < 0) {
    m_unavailable = fmt::format("NVML reports no GPU at PCI bus id {}", pci_bus_id);
    return;
  }
  m_before = m_nvml->sample(m_index);
  m_sampler = std::thread([this, period_s, max_samples] {
    const auto period = std::chrono::duration<double>(period_s);
    auto next = std::chrono::steady_clock::now() + period;
    while (!m_stop.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (std::chrono::steady_clock::now() < next) continue;
      next += period;
      if (m_during.size() < max_samples) m_during.push_back(m_nvml->sample(m_index));
    }
  });
}

gpu_telemetry::~gpu_telemetry() {
  m_stop = true;
  if (m_sampler.joinable()) m_sampler.join();
}

nlohmann::json gpu_telemetry::finish() {
  m_stop = true;
  if (m_sampler.joinable()) m_sampler.join();
  if (!m_nvml || m_index < 0) return {{"unavailable", m_unavailable}};
  return {{"nvml_index", m_index},
          {"before", m_before},
          {"during", m_during},
          {"after", m_nvml->sample(m_index)}};
}

}  // namespace exacheck
