#pragma once
// Shared by the renderers that name devices (markdown, html, junit, the console summary): run.json's device
// verdicts (analysis.device_verdicts) and a check's "devices" as text. Rendering only: what a device failed
// and why is decided by the analysis (reports/analysis/device_verdicts.hpp).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace exacheck::reports {

// A count or position as run.json holds it: an integer ≥ 0 (signed or not), else nullopt.
std::optional<std::size_t> count_in(const nlohmann::json& value);

// analysis.device_verdicts, or null when run.json has none (not analysed, or by an older exacheck).
const nlohmann::json& device_verdicts_of(const nlohmann::json& run);

// One entry of device_verdicts.attention: the GPU or node it points to, and which.
struct attention_entry {
  const nlohmann::json& device;  // a device_verdicts.gpus or .nodes entry (null when out of range)
  bool node = false;
};
attention_entry attention_at(const nlohmann::json& verdicts, const nlohmann::json& entry);

// "node017 GPU 2", "node001 CPU 0"; a node: "node017 (node)".
std::string device_name(const nlohmann::json& device, bool node);
// "gemm tflops dtype=bf16 m=8192 n=8192 k=8192: 612 TFLOP/s < 665 TFLOP/s, …": what a reason (or a
// not-tied check) is about, then why.
std::string reason_line(const nlohmann::json& reason);
// "slowest rank 3 on node002, 1.14× the median rank", or "" when the check names no slowest rank.
std::string slowest_rank_text(const nlohmann::json& slowest_rank);
// "3 of 2100 GPUs need attention, on 3 of 525 nodes; 2 failing checks are not tied to one device." from
// device_verdicts.summary.
std::string attention_summary(const nlohmann::json& verdicts);

// Who a failing check is about, from its "devices" (docs/run-json.md "Checks"): "node017 GPU 2
// (GPU-…): 612 TFLOP/s < 665 TFLOP/s, …; node100 GPU 1 (GPU-…): …" (at most `listed`, then "and N more"),
// "not tied to one device" (with the slowest rank where the check names one), or "" for a check the
// analysis did not attribute (a passing one, or a run.json without device verdicts).
std::string check_culprits(const nlohmann::json& check, std::size_t listed = 5);

}  // namespace exacheck::reports
