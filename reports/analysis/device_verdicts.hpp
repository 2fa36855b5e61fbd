#pragma once
// Internal to the analysis (reports/aggregate*.cpp): the verdict of every GPU and every node of a run
// (run.json analysis.device_verdicts, docs/run-json.md "Device verdicts"). The analysis tells it, check by
// check, which device failed what; this turns that into one verdict per device with its reasons worst first,
// the devices that were expected and never reported (MISSING), the failing checks that belong to no single
// device, and the order in which every report lists the devices that need attention.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "harness/results/outcome.hpp"
#include "reports/analysis/metric_fleet.hpp"

namespace exacheck::reports::detail {

// How one failing check concerns one device (or, for a check tied to none, the check itself).
struct device_reason {
  outcome result = outcome::fail;  // the check's outcome: FAIL, INCORRECT, OUTLIER, ERROR or TIMEOUT
  // reference (outside the reference's bounds) | invalid (no valid value) | outlier (the GPU against the
  // fleet) | node_outlier (its node against the other nodes) | spread | correctness | error | missing
  std::string kind;
  std::string case_id, benchmark, metric, unit, reason;
  nlohmann::json params;
  std::optional<double> value;  // the device's own value, in `unit`
  std::optional<int> rank;      // its (lowest) rank at that point
  double badness = 0;           // how far off, in % in the bad direction (infinity: no valid value)
  bool missing = false;         // expected and never reported: verdict MISSING, `result` unused
};

// A GPU as a failing check may name it when the analysis has no point that measured it (a rank that
// errored, a wrong answer on a collective): host, index (local rank on the cpu backend) and UUID.
struct described_device {
  std::string host, uuid, kind;
  std::optional<int> gpu;
  std::optional<int> rank;
};

class device_verdicts {
 public:
  // The GPU whose identity key (device_identity::key) is `key` failed a check.
  void add_gpu(const std::string& key, device_reason reason);
  // A GPU known only by its description (resolved against the run's GPUs at the end; a GPU that no point
  // measured is added; one without host or index becomes its node's, or is tied to no device).
  void add_described(const described_device& device, device_reason reason);
  // Something about node `host` that its GPUs do not explain.
  void add_node(const std::string& host, device_reason reason);
  // Host `host` sent a rank record for some case (run.json's case `hosts`), even one whose result was not
  // accounted for: it reported, and is not MISSING as never having reported.
  void add_reported_host(const std::string& host);
  // A failing check that belongs to no single device; `slowest_rank` ({rank, host, ratio}) or null.
  void add_untied(device_reason reason, nlohmann::json slowest_rank);

  // analysis.device_verdicts: `table` is analysis.devices (in its order), `expected` what run.json's
  // provenance says should have reported (expected_hosts, expected_gpus_per_host), or null.
  nlohmann::json to_json(const std::vector<const device_identity*>& table, const nlohmann::json& provenance);

 private:
  std::unordered_map<std::string, std::vector<device_reason>> m_gpus;  // by identity key
  std::vector<std::pair<described_device, device_reason>> m_described;
  std::unordered_map<std::string, std::vector<device_reason>> m_nodes;  // by host
  std::vector<std::pair<device_reason, nlohmann::json>> m_untied;
  std::vector<std::string> m_reported_hosts;
};

// One rank's value of a metric at a point.
struct rank_value {
  int rank = 0;
  double value = 0;  // NaN when the rank reported no number or did not report the metric
};

// One scored (metric, point) of a case, as attribute_metric needs it.
struct metric_attribution {
  const metric_fleet& fleet;
  const nlohmann::json& test_case;
  const nlohmann::json& params;
  bool node_scoped = false;  // the point's values are its nodes' (scope "node"), not its GPUs'
  nlohmann::json* own_check =
      nullptr;  // the point's check of the metric (reference, fail closed), or nullptr
  // Per fleet device (fleet.devices' order), its ranks' values: read only when own_check FAILed.
  std::vector<std::vector<rank_value>> rank_values;
};

// Tells `verdicts` which devices fail the (metric, point) on their own: when its own check FAILed, every GPU
// with a rank outside the reference's bounds or without a valid value (its node, for a node-scoped point);
// every fleet outlier. A node outlier whose node has such a GPU at this point is that GPU's (the node is
// slow because of it); a spread check goes to the GPU it names when that GPU is flagged too. The own check
// and `outlier_checks` (one per outlier, in order) get their "devices" and "device_count"; a check tied to
// no device is left without them (analyse_run lists it as not tied to one device).
void attribute_metric(const metric_attribution& m, const std::vector<fleet_outlier>& outliers,
                      std::vector<nlohmann::json>& outlier_checks, device_verdicts& verdicts);

// A failing check that names its ranks ("failed_ranks": a wrong answer, a rank's error) is their GPUs': tells
// `verdicts` and gives the check its "devices" and "device_count".
void attribute_described(const nlohmann::json& test_case, nlohmann::json& check, device_verdicts& verdicts);
// A case that finished (completed, error or timeout) and names the hosts its launch spanned
// (`expected_hosts`: the whole Slurm allocation, or mpirun's hosts) makes each of them that sent no rank
// record (the case's `hosts`, else the hosts of its results' ranks) MISSING for that case: a node reason of
// kind "missing" naming the case. reports/analysis/missing_hosts.cpp.
void attribute_missing_hosts(const nlohmann::json& test_case, device_verdicts& verdicts);

// A failing check that no device fails on its own (no "device_count", or 0) is listed as tied to none: a
// collective's metric (with its point's slowest rank from `slowest`, by params), a case that did not run,
// fewer ranks than launched, a spread of the whole fleet. It gets "device_count": 0 and "devices": [].
void list_if_untied(const nlohmann::json& test_case, nlohmann::json& check,
                    const std::unordered_map<std::string, nlohmann::json>& slowest,
                    device_verdicts& verdicts);

// One entry of a check's "devices" (docs/run-json.md "Checks"): the device a failing check is attributed to.
nlohmann::json check_device_json(const device_identity* gpu, std::string_view host, const device_reason& why);

// The per-device verdict a check's outcome gives: FAIL, INCORRECT, OUTLIER; ERROR for ERROR and TIMEOUT.
std::string_view device_verdict_of(outcome result);

// At most this many reasons per device, and devices per check, are written (worst first): the counts are
// exact, and a contract every GPU misses stays a few MB of run.json instead of tens.
inline constexpr std::size_t max_reasons_listed = 20;

}  // namespace exacheck::reports::detail
