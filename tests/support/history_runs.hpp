#pragma once
// Analysed run documents for the history's tests: the members of run.json the history reads (plan,
// provenance, verdict, analysis.devices, one analysis.metrics entry, device_verdicts), nothing more.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace exacheck::testing {

struct history_gpu {
  std::string host;
  int gpu = 0;
  std::string uuid, serial;
  std::optional<double> value;   // this night's gemm tflops; nullopt: no valid value
  std::string verdict = "PASS";  // with a FAIL reason at the point when not PASS
};

// A run started at `started_at` ("2026-11-20T01:00:00Z") of these GPUs, one rank-scoped metric: gemm tflops
// at dtype=bf16 (better: higher).
inline nlohmann::json history_run(const std::string& started_at, const std::vector<history_gpu>& gpus,
                                  const std::string& metric = "tflops",
                                  const std::string& better = "higher") {
  using nlohmann::json;
  json devices = json::array(), index = json::array(), rank = json::array(), value = json::array(),
       verdicts = json::array(), attention = json::array(), hosts = json::array();
  const json params = {{"dtype", "bf16"}, {"m", 8192}};
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    const auto& g = gpus[i];
    json device = {{"host", g.host}, {"gpu", g.gpu}, {"kind", "gpu"}, {"name", "NVIDIA H200"}};
    device["uuid"] = g.uuid.empty() ? json() : json(g.uuid);
    device["serial"] = g.serial.empty() ? json() : json(g.serial);
    devices.push_back(device);
    index.push_back(i);
    rank.push_back(i);
    value.push_back(g.value ? json(*g.value) : json());
    json verdict = device;
    verdict["device"] = i;
    verdict["verdict"] = g.verdict;
    verdict["failing_checks"] = g.verdict == "PASS" ? 0 : 1;
    verdict["reasons"] = json::array();
    if (g.verdict != "PASS") {
      verdict["reasons"].push_back({{"verdict", g.verdict},
                                    {"outcome", g.verdict},
                                    {"kind", "reference"},
                                    {"case_id", "gemm-1a2b3c4d"},
                                    {"benchmark", "gemm"},
                                    {"metric", metric},
                                    {"params", params},
                                    {"value", value.back()},
                                    {"unit", "TFLOP/s"},
                                    {"reason", "below the reference"}});
      attention.push_back({{"gpu", i}});
    }
    verdicts.push_back(verdict);
    if (std::find(hosts.begin(), hosts.end(), json(g.host)) == hosts.end()) hosts.push_back(g.host);
  }
  return {
      {"schema", "exacheck/run/v3"},
      {"verdict", attention.empty() ? "PASS" : "FAIL"},
      {"exit_code", attention.empty() ? 0 : 1},
      {"complete", true},
      {"plan", {{"name", "nightly"}, {"sha256", "ab12"}}},
      {"system", {{"name", "h200-sxm"}}},
      {"provenance",
       {{"started_at", started_at},
        {"finished_at", started_at},
        {"controller_host", "login1"},
        {"command_line", {"exacheck", "run", "nightly.yaml"}},
        {"hosts", hosts}}},
      {"analysis",
       {{"devices", devices},
        {"metrics",
         {{{"case_id", "gemm-1a2b3c4d"},
           {"case", "gemm"},
           {"benchmark", "gemm"},
           {"params", params},
           {"metric", metric},
           {"unit", "TFLOP/s"},
           {"better", better},
           {"statistic", "median"},
           {"devices", {{"index", index}, {"rank", rank}, {"value", value}, {"robust_z", json::array()}}}}}},
        {"device_verdicts", {{"gpus", verdicts}, {"attention", attention}}}}}};
}

// The GPUs of a small fleet: node00<n> GPU g, UUID GPU-<n><g>, serial S<n><g>, each at `value`.
inline std::vector<history_gpu> history_fleet(int nodes, int gpus_per_node, double value) {
  std::vector<history_gpu> gpus;
  for (int n = 1; n <= nodes; ++n)
    for (int g = 0; g < gpus_per_node; ++g)
      gpus.push_back({.host = "node00" + std::to_string(n),
                      .gpu = g,
                      .uuid = "GPU-" + std::to_string(n) + std::to_string(g),
                      .serial = "S" + std::to_string(n) + std::to_string(g),
                      .value = value});
  return gpus;
}

}  // namespace exacheck::testing
