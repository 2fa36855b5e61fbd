#include "harness/node/device_binding.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

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

// The entries CUDA uses, trimmed. CUDA's rule (CUDA C Programming Guide, "CUDA Environment Variables"): only
// the devices listed before the first invalid entry are visible, so "0,2,-1,1" shows two and "-1" none.
std::vector<std::string_view> visible_entries(std::string_view setting) {
  std::vector<std::string_view> entries;
  while (true) {
    const auto comma = setting.find(',');
    const std::string_view entry = trimmed(setting.substr(0, comma));
    if (!valid_entry(entry)) break;
    entries.push_back(entry);
    if (comma == std::string_view::npos) break;
    setting.remove_prefix(comma + 1);
  }
  return entries;
}

// Whether two entries name one GPU: the same index, or UUIDs of which one is a prefix of the other (CUDA
// takes a unique prefix of a UUID for the whole).
bool same_entry(std::string_view a, std::string_view b) {
  const bool uuids = !std::isdigit(static_cast<unsigned char>(a.front())) &&
                     !std::isdigit(static_cast<unsigned char>(b.front()));
  return uuids ? a.starts_with(b) || b.starts_with(a) : a == b;
}

std::string lower_case(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string setting_text(const std::optional<std::string>& setting) {
  return setting ? fmt::format("'{}'", *setting) : std::string("unset");
}

// "0='0', 1='1', 2=unset": every local rank's CUDA_VISIBLE_DEVICES (the first 16, then how many more).
std::string settings_list(const visible_device_settings& settings) {
  constexpr std::size_t shown = 16;
  std::string text;
  for (std::size_t r = 0; r < std::min(settings.size(), shown); ++r)
    text += fmt::format("{}{}={}", r == 0 ? "" : ", ", r, setting_text(settings[r]));
  if (settings.size() > shown) text += fmt::format(" and {} more", settings.size() - shown);
  return text;
}

// Why the local ranks' different settings do not give each rank GPUs of its own, or "" when they do.
std::string why_not_one_gpu_set_each(const visible_device_settings& settings,
                                     const std::vector<std::vector<std::string_view>>& entries) {
  const auto ranks = static_cast<int>(settings.size());
  for (int a = 0; a < ranks; ++a) {
    if (settings[static_cast<std::size_t>(a)]) continue;
    for (int b = 0; b < ranks; ++b)
      if (settings[static_cast<std::size_t>(b)])
        return fmt::format(
            "local rank {} sees every GPU (CUDA_VISIBLE_DEVICES unset) while local rank {} sees "
            "only {}",
            a, b, setting_text(settings[static_cast<std::size_t>(b)]));
  }
  for (int a = 0; a < ranks; ++a)
    if (entries[static_cast<std::size_t>(a)].empty())
      return fmt::format("local rank {} sees no GPU (CUDA_VISIBLE_DEVICES={})", a,
                         setting_text(settings[static_cast<std::size_t>(a)]));
  for (int a = 0; a < ranks; ++a)
    for (int b = a + 1; b < ranks; ++b)
      for (const auto entry_a : entries[static_cast<std::size_t>(a)])
        for (const auto entry_b : entries[static_cast<std::size_t>(b)])
          if (same_entry(entry_a, entry_b))
            return fmt::format("local ranks {} and {} both see GPU {}, and their GPU lists differ", a, b,
                               entry_a == entry_b ? fmt::format("'{}'", entry_a)
                                                  : fmt::format("'{}' ('{}')", entry_a, entry_b));
  return "";
}

std::string visible_devices_note(const std::optional<std::string>& cuda_visible_devices) {
  if (!cuda_visible_devices) return "";
  return fmt::format(" (CUDA_VISIBLE_DEVICES='{}')", *cuda_visible_devices);
}

// The checks every binding rule starts with: a local rank inside the node, and at least one visible GPU.
void check_rank_and_gpu_count(int local_rank, int local_ranks, int visible_gpus,
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
}
}  // namespace

std::optional<std::string> cuda_visible_devices_setting() {
  const char* value = std::getenv("CUDA_VISIBLE_DEVICES");
  if (!value) return std::nullopt;
  return std::string(value);
}

std::string_view to_string(gpu_binding_mode mode) {
  return name_of(gpu_binding_mode_names, mode);
}

int visible_gpu_count(const std::optional<std::string>& cuda_visible_devices) {
  if (!cuda_visible_devices) return -1;
  return static_cast<int>(visible_entries(*cuda_visible_devices).size());
}

int visible_gpu_count_from_env() {
  return visible_gpu_count(cuda_visible_devices_setting());
}

gpu_binding choose_gpu(int local_rank, int local_ranks, int visible_gpus, bool allow_sharing,
                       const std::optional<std::string>& cuda_visible_devices) {
  check_rank_and_gpu_count(local_rank, local_ranks, visible_gpus, cuda_visible_devices);
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

gpu_binding choose_gpu_on_node(int local_rank, const visible_device_settings& settings, int visible_gpus,
                               bool allow_sharing, std::string_view host) {
  const auto local_ranks = static_cast<int>(settings.size());
  const std::optional<std::string> none;
  const auto& mine =
      local_rank >= 0 && local_rank < local_ranks ? settings[static_cast<std::size_t>(local_rank)] : none;
  check_rank_and_gpu_count(local_rank, local_ranks, visible_gpus, mine);
  // Compared as CUDA reads them (entries before the first invalid one, trimmed), so "0,1" and "0, 1" agree.
  std::vector<std::vector<std::string_view>> entries;
  for (const auto& setting : settings)
    entries.push_back(setting ? visible_entries(*setting) : std::vector<std::string_view>{});
  bool same_everywhere = true;
  for (int r = 1; r < local_ranks; ++r)
    same_everywhere = same_everywhere &&
                      settings[static_cast<std::size_t>(r)].has_value() == settings.front().has_value() &&
                      entries[static_cast<std::size_t>(r)] == entries.front();
  if (same_everywhere) return choose_gpu(local_rank, local_ranks, visible_gpus, allow_sharing, mine);
  const std::string why_not = why_not_one_gpu_set_each(settings, entries);
  if (!why_not.empty())
    throw std::runtime_error(fmt::format(
        "cannot bind GPUs on {}: the {} ranks of this node see different GPUs, but not GPUs of their own: "
        "{}; "
        "CUDA_VISIBLE_DEVICES by local rank: {}. Give every rank of a node the same GPUs, or each rank GPUs "
        "of its own (srun --gpus-per-task=1, --gpu-bind=single:1)",
        host, local_ranks, why_not, settings_list(settings)));
  // Slurm's per-task binding: the rank's own GPU is its device 0, shared with no other local rank.
  return {.device_index = 0, .ranks_on_device = 1, .mode = gpu_binding_mode::per_task};
}

gpu_binding confirm_gpu_binding(gpu_binding binding, int local_rank,
                                const std::vector<std::string>& device_ids, bool allow_sharing,
                                std::string_view host) {
  if (local_rank < 0 || static_cast<std::size_t>(local_rank) >= device_ids.size() ||
      device_ids[static_cast<std::size_t>(local_rank)].empty())
    return binding;
  const std::string& mine = device_ids[static_cast<std::size_t>(local_rank)];
  std::vector<int> sharing;
  for (std::size_t r = 0; r < device_ids.size(); ++r)
    if (!device_ids[r].empty() && lower_case(device_ids[r]) == lower_case(mine))
      sharing.push_back(static_cast<int>(r));
  if (sharing.size() > 1 && !allow_sharing)
    throw std::runtime_error(fmt::format(
        "local ranks {} on {} were given one GPU ({}) by CUDA_VISIBLE_DEVICES ({} binding); give each rank a "
        "GPU of its own, or allow sharing with allow_gpu_sharing: true",
        fmt::join(sharing, ", "), host, mine, to_string(binding.mode)));
  binding.ranks_on_device = static_cast<int>(sharing.size());
  return binding;
}

}  // namespace exacheck
