#include "reports/render/run_summary.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "reports/analysis/format.hpp"

namespace exacheck::reports {
namespace {

using nlohmann::json;

std::optional<double> number_field(const json& object, std::string_view key) {
  const json& value = field(object, key);
  return value.is_number() ? std::optional<double>(value.get<double>()) : std::nullopt;
}

run_provenance provenance_of(const json& run) {
  const json& provenance = field(run, "provenance");
  const json& plan = field(run, "plan");
  const json& system = field(run, "system");
  const json& cpu = field(provenance, "cpu");
  run_provenance p;
  p.exacheck_version = text_field(provenance, "exacheck_version");
  p.git_revision = text_field(provenance, "git_revision");
  p.plan_file = text_field(plan, "file");
  p.plan_sha256 = text_field(plan, "sha256");
  p.has_system = system.is_object();
  p.system_file = text_field(system, "file");
  p.system_nodes = text_field(field(system, "size"), "nodes");
  p.system_gpus_per_node = text_field(field(system, "size"), "gpus_per_node");
  p.command_line = list_field(provenance, "command_line");
  p.started_at = text_field(provenance, "started_at");
  p.finished_at = text_field(provenance, "finished_at");
  p.controller_host = text_field(provenance, "controller_host");
  for (const auto& host : list_field(provenance, "hosts")) p.hosts.push_back(scalar_text(host));
  p.cpu_model = text_field(cpu, "model");
  p.cpu_cores = text_field(cpu, "cores");
  p.cpu_threads = text_field(cpu, "threads");
  p.cpu_memory_bytes = number_field(cpu, "memory_bytes");
  p.cpu_llc_bytes = number_field(cpu, "llc_bytes");
  p.os = text_field(provenance, "os");
  const json& libraries = field(provenance, "libraries");
  if (libraries.is_object())
    for (const auto& library : libraries.items())
      p.libraries.emplace_back(library.key(), scalar_text(library.value()));
  return p;
}

// What a merged run is made of (docs/drain.md): the runs kept, the superseded ones, the nodes without a run.
std::string merged_from_of(const json& merged) {
  if (!merged.is_object()) return "";
  std::vector<std::string> hosts;
  std::size_t kept = 0, superseded = 0;
  for (const auto& r : list_field(merged, "runs")) {
    if (!field(r, "superseded_by").is_null()) {
      ++superseded;
      continue;
    }
    ++kept;
    for (const auto& h : list_field(r, "hosts"))
      if (h.is_string()) hosts.push_back(h.get<std::string>());
  }
  std::sort(hosts.begin(), hosts.end());
  std::string text = fmt::format(
      "{} run(s) of this plan on {} node(s){} by exacheck report --merge", kept, hosts.size(),
      hosts.empty() ? std::string()
                    : fmt::format(" ({}{})", hosts.front(), hosts.size() > 1 ? " … " + hosts.back() : ""));
  if (superseded > 0)
    text += fmt::format("; {} older run(s) of the same node(s) superseded by newer ones", superseded);
  const auto& without = list_field(merged, "without_run");
  if (!without.empty()) {
    std::vector<std::string> names;
    for (const auto& h : without)
      if (h.is_string()) names.push_back(h.get<std::string>());
    text +=
        fmt::format("; {} expected node(s) without a run, MISSING: {}", names.size(), fmt::join(names, ", "));
  }
  return text;
}

}  // namespace

run_summary summarise_run(const json& run) {
  const json& summary = field(run, "summary");
  run_summary s;
  s.plan_name = text_field(field(run, "plan"), "name");
  s.plan_description = text_field(field(run, "plan"), "description");
  s.system_name = text_field(field(run, "system"), "name");
  s.synthetic = field(run, "synthetic") == true;
  s.merged_from = merged_from_of(field(field(run, "provenance"), "merged"));
  s.verdict = text_field(run, "verdict");
  if (const json& code = field(run, "exit_code"); code.is_number_integer()) s.exit_code = code.get<int>();
  s.interrupted = field(run, "interrupted") == true;
  s.not_complete = field(run, "complete") == false;
  for (const auto& c : list_field(summary, "unfinished_cases"))
    s.unfinished_cases.push_back({text_field(c, "name"), text_field(c, "id"), text_field(c, "status")});
  s.stopped_reason = text_field(field(run, "stopped"), "reason");
  s.cases = text_field(summary, "cases");
  s.checks = text_field(summary, "checks");
  for (const auto& name : outcome_order()) {
    const json& count = field(field(summary, "counts"), name);
    s.counts.push_back({name, scalar_text(count),
                        count.is_number_integer() ? std::optional(count.get<long long>()) : std::nullopt});
  }
  s.provenance = provenance_of(run);
  const json& timing = field(run, "timing");
  s.timing = {number_field(timing, "launch_s"), number_field(timing, "benchmark_s"),
              number_field(timing, "aggregation_s"), number_field(timing, "reports_s"),
              number_field(timing, "total_s")};
  return s;
}

std::string report_title(const run_summary& summary) {
  return fmt::format("exacheck report: {}{}{}",
                     summary.plan_name.empty() ? std::string(missing_mark) : summary.plan_name,
                     summary.synthetic ? " — SYNTHETIC" : "",
                     summary.system_name.empty() ? "" : " on " + summary.system_name);
}

std::string seconds_text(const std::optional<double>& seconds) {
  return seconds ? readable_quantity(*seconds, "s") : std::string(missing_mark);
}

}  // namespace exacheck::reports
