#include "reports/render/device_text.hpp"

#include <fmt/core.h>

#include "reports/analysis/format.hpp"

namespace exacheck::reports {

using nlohmann::json;

std::optional<std::size_t> count_in(const json& value) {
  if (value.is_number_unsigned()) return value.get<std::size_t>();
  if (value.is_number_integer() && value.get<long long>() >= 0)
    return static_cast<std::size_t>(value.get<long long>());
  return std::nullopt;
}

const json& device_verdicts_of(const json& run) {
  const json& verdicts = field(field(run, "analysis"), "device_verdicts");
  static const json none;
  return verdicts.is_object() ? verdicts : none;
}

attention_entry attention_at(const json& verdicts, const json& entry) {
  const bool node = count_in(field(entry, "node")).has_value();
  const auto index = count_in(field(entry, node ? "node" : "gpu"));
  const json& list = list_field(verdicts, node ? "nodes" : "gpus");
  static const json none;
  if (!index || *index >= list.size()) return {none, node};
  return {list[*index], node};
}

std::string device_name(const json& device, bool node) {
  const std::string host = text_field(device, "host");
  if (node) return fmt::format("{} (node)", host.empty() ? std::string(missing_mark) : host);
  return fmt::format("{} {} {}", host.empty() ? std::string(missing_mark) : host,
                     text_field(device, "kind") == "cpu" ? "CPU" : "GPU", text_field(device, "gpu"));
}

std::string reason_line(const json& reason) {
  std::string what = text_field(reason, "benchmark");
  for (const auto& part : {text_field(reason, "metric"), params_text(field(reason, "params"))})
    if (!part.empty()) what += (what.empty() ? "" : " ") + part;
  const std::string why = text_field(reason, "reason");
  return what.empty() ? why : what + ": " + why;
}

std::string slowest_rank_text(const json& slowest) {
  if (!slowest.is_object() || !field(slowest, "rank").is_number()) return "";
  const json& ratio = field(slowest, "ratio");
  return fmt::format("slowest rank {} on {}{}", text_field(slowest, "rank"), text_field(slowest, "host"),
                     ratio.is_number() ? fmt::format(", {:.2f}× the median rank", ratio.get<double>()) : "");
}

std::string attention_summary(const json& verdicts) {
  const json& s = field(verdicts, "summary");
  const auto count = [&](const json& object, const char* key) {
    return count_in(field(object, key)).value_or(0);
  };
  const std::size_t gpus = count(s, "gpus"), needing = count(s, "gpus_needing_attention");
  const std::size_t nodes = count(s, "nodes"), nodes_needing = count(s, "nodes_needing_attention");
  const std::size_t listed = count(s, "nodes_listed"), untied = count(s, "not_tied");
  const std::size_t missing_gpus = count(field(s, "missing"), "gpus");
  const std::size_t missing_nodes = count(field(s, "missing"), "nodes");
  // On the cpu backend every rank is its own device: calling it a GPU would send a reader looking for one.
  bool all_cpu = true;
  for (const auto& device : list_field(verdicts, "gpus"))
    all_cpu = all_cpu && text_field(device, "kind") == "cpu";
  const std::string devices = all_cpu && gpus > 0 ? "CPU rank(s)" : "GPU(s)";
  if (needing == 0 && nodes_needing == 0 && untied == 0)
    return fmt::format("None: all {} {} on {} node(s) passed every check that concerns them.", gpus, devices,
                       nodes);
  std::string text = fmt::format("{} of {} {} need attention, on {} of {} node(s)", needing, gpus, devices,
                                 nodes_needing, nodes);
  if (listed > 0) text += fmt::format("; {} node(s) for a reason of their own", listed);
  if (missing_gpus + missing_nodes > 0)
    text += fmt::format("; expected and never reported: {} node(s), {} GPU(s)", missing_nodes, missing_gpus);
  if (untied > 0) text += fmt::format("; {} failing check(s) not tied to one device", untied);
  return text + ".";
}

std::string check_culprits(const json& check, std::size_t listed) {
  const auto count = count_in(field(check, "device_count"));
  if (!count) return "";
  if (*count == 0) {
    const std::string slowest = slowest_rank_text(field(check, "slowest_rank"));
    return slowest.empty() ? "not tied to one device" : "not tied to one device; " + slowest;
  }
  std::string text;
  std::size_t shown = 0;
  for (const auto& device : list_field(check, "devices")) {
    if (shown == listed) break;
    std::string name = text_field(device, "host");
    if (field(device, "gpu").is_number())
      name += (text_field(device, "kind") == "cpu" ? " CPU " : " GPU ") + text_field(device, "gpu");
    if (!text_field(device, "uuid").empty()) name += " (" + text_field(device, "uuid") + ")";
    // A fleet outlier's reason names its GPU already.
    const std::string reason = text_field(device, "reason");
    text += (shown ? "; " : "") + (reason.starts_with(name) ? reason : name + ": " + reason);
    ++shown;
  }
  if (*count > shown) text += fmt::format("; and {} more", *count - shown);
  return text;
}

}  // namespace exacheck::reports
