#include "harness/device_binding.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace exacheck {
namespace {
std::string_view trimmed(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

// An entry CUDA accepts: a device index, or a GPU/MIG UUID (a unique prefix of one is enough for CUDA, so
// only the prefix is checked). Anything else, "-1" included, ends the list.
bool valid_entry(std::string_view entry) {
  if (entry.starts_with("GPU-") || entry.starts_with("MIG-")) return true;
  return !entry.empty() &&
         std::all_of(entry.begin(), entry.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

std::string visible_devices_note(const std::optional<std::string>& cuda_visible_devices) {
  if (!cuda_visible_devices) return "";
  return fmt::format(" (CUDA_VISIBLE_DEVICES='{}')", *cuda_visible_devices);
}
}  // namespace

std::optional<std::string> cuda_visible_devices_setting() {
  const char* value = std::getenv("CUDA_VISIBLE_DEVICES");
  if (!value) return std::nullopt;
  return std::string(value);
}

int visible_gpu_count(const std::optional<std::string>& cuda_visible_devices) {
  if (!cuda_visible_devices) return -1;
  // CUDA's rule (CUDA C Programming Guide, "CUDA Environment Variables"): only the devices listed before the
  // first invalid entry are visible, so "0,2,-1,1" shows two and "-1" shows none.
  int count = 0;
  std::string_view rest = *cuda_visible_devices;
  while (true) {
    const auto comma = rest.find(',');
    if (!valid_entry(trimmed(rest.substr(0, comma)))) break;
    ++count;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return count;
}

int visible_gpu_count_from_env() {
  return visible_gpu_count(cuda_visible_devices_setting());
}

gpu_binding choose_gpu(int local_rank, int local_ranks, int visible_gpus, bool allow_sharing,
                       const std::optional<std::string>& cuda_visible_devices) {
  if (local_ranks < 1 || local_rank < 0 || local_rank >= local_ranks)
    throw std::runtime_error(fmt::format(
        "cannot bind a GPU: local rank {} is outside 0..{} (the node-local rank split is inconsistent)",
        local_rank, local_ranks - 1));
  if (visible_gpus < 0)
    throw std::runtime_error(fmt::format(
        "cannot bind a GPU: the number of visible GPUs is unknown ({}); count the devices before binding",
        visible_gpus));
  if (visible_gpus == 0) {
    if (cuda_visible_devices)
      throw std::runtime_error(fmt::format(
          "no GPU is visible to this process: CUDA_VISIBLE_DEVICES='{}' hides them all; list the GPUs to use "
          "in CUDA_VISIBLE_DEVICES or unset it, or run with backend: cpu",
          *cuda_visible_devices));
    throw std::runtime_error(
        "no GPU is visible to this process (no NVIDIA driver or device found); run with backend: cpu");
  }
  if (local_ranks > visible_gpus && !allow_sharing)
    throw std::runtime_error(fmt::format(
        "{} ranks on this node but only {} {} visible{}; set ranks_per_node to at most {} or allow sharing "
        "with allow_gpu_sharing: true",
        local_ranks, visible_gpus, visible_gpus == 1 ? "GPU is" : "GPUs are",
        visible_devices_note(cuda_visible_devices), visible_gpus));
  gpu_binding binding;
  binding.device_index = local_rank % visible_gpus;
  // Ranks d, d + g, d + 2g, … land on device d: the first (local_ranks % g) devices get one rank more.
  binding.ranks_on_device =
      local_ranks / visible_gpus + (binding.device_index < local_ranks % visible_gpus ? 1 : 0);
  return binding;
}

}  // namespace exacheck
